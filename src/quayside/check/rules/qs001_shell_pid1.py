from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from quayside.check.command import INITS, SHELLS, signals_group
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, Rule, Severity, register
from quayside.check.rules._util import entry_script, final_commands, replace_exec_form

SHELL_SYNTAX = lazy_compile(r"[$`|&;<>*?(){}\[\]~\\]")
EXEC_AT_END = lazy_compile(r"(^|&&|;|\n)\s*exec\s")


_COMPOUND = lazy_compile(r"(^|[\s;&|(])(if|then|for|while|until|case|function|trap|select)(\s|$)|[|(){}`]|&\s*$|\|\|")


def bash_execs_last_command(script: str) -> bool:
    """Whether `bash -c SCRIPT` ends by exec'ing its last command: the script is a plain list of simple commands
    joined by `&&` or `;`, with no pipeline, subshell, compound command, `||`, background job or trap. Measured
    on bash 5.2 (Debian 12's): `bash -c "alembic upgrade head && uvicorn ..."` leaves uvicorn as PID 1, and
    `sh -c` (dash) does not."""
    unquoted = re.sub(r"'[^']*'|\"(\\.|[^\"\\])*\"", "''", script.strip())
    return bool(unquoted) and "$(" not in unquoted.split("&&")[-1].split(";")[-1] and not _COMPOUND.search(unquoted)


@register
class ShellPid1(Rule):
    """The server is not PID 1: a shell stands between Docker and the server.

    ## Why
    Docker sends SIGTERM to PID 1. With a shell-form `CMD`, or `sh -c "..."` in exec form, or an entrypoint
    script that does not `exec` the server, PID 1 is a shell that does not forward the signal. Uvicorn never
    hears it: in-flight requests are not drained, the lifespan shutdown never runs, and `docker stop` waits
    10 seconds before it kills everything. The FastAPI guide uses the exec form for this reason.

    Debian's `sh` (dash) stays PID 1 even for one command. `bash -c "alembic upgrade head && uvicorn ..."` is
    not flagged: bash 5.1+ replaces itself with the last command of a plain `&&`/`;` list (no pipeline,
    subshell, `||` or trap), so the server is PID 1 (tests/test_live_shells.py measures both).

    ## Fix
    Use the exec form (`CMD ["fastapi", "run", ...]`). In a shell command or script, start the server with
    `exec`. `--fix` rewrites a shell-form command that uses no shell syntax into the exec form.
    """

    id = "QS001"
    name = "shell-pid1"
    severity = Severity.ERROR
    summary = "the server is not PID 1, so SIGTERM does not reach it"
    references = (
        ("FastAPI guide: Use CMD - Exec Form", "https://fastapi.tiangolo.com/deployment/docker/#use-cmd-exec-form"),
        ("Dockerfile: shell and exec form", "https://docs.docker.com/reference/dockerfile/#shell-and-exec-form"),
        ("Dockerfile: ENTRYPOINT and signals", "https://docs.docker.com/reference/dockerfile/#entrypoint"),
    )
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nCMD fastapi run app/main.py --port 8000\n"}
    good = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "app/main.py", "--port", "8000"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage, command in final_commands(ctx):
            wrappers, inner = command.unwrap()
            init = next((w[0].rsplit("/", 1)[-1] for w in wrappers if w[0].rsplit("/", 1)[-1] in INITS), None)
            ep = command.entrypoint.exec_form if command.entrypoint else None
            if command.shell_form or (command.entrypoint is not None and ep is None):
                ins = command.entrypoint if (command.entrypoint is not None and ep is None) else command.instruction
                fix = None
                if not SHELL_SYNTAX.search(ins.rest):
                    try:
                        argv = shlex.split(ins.rest)
                    except ValueError:
                        argv = []
                    if argv:
                        fix = Fix(f"{ins.keyword} in exec form", (replace_exec_form(df, ins, argv),))
                yield self.at(df.path, ins, f"{ins.keyword} in shell form runs under /bin/sh -c: SIGTERM stops at the shell, "
                              "lifespan shutdown never runs and `docker stop` waits 10 s", fix)
                continue
            script = command.script
            if script is not None:
                if Path(inner[0]).name == "bash" and bash_execs_last_command(script):
                    continue  # bash -c replaces itself with a list's last simple command (bash 5.1+: Debian 11 on)
                if EXEC_AT_END.search(script) or signals_group(wrappers):
                    continue  # the server replaces the shell, or the init signals the whole process group
                if init is not None:
                    yield self.at(df.path, command.instruction, f"{init} forwards SIGTERM to `sh -c`, which does not pass it on: "
                                  "start the server with `exec` in the script (or use the exec form)")
                else:
                    yield self.at(df.path, command.instruction, "`sh -c` without `exec` before the server: the shell stays PID 1 "
                                  "and SIGTERM does not reach the server")
                continue
            target = inner[1] if inner and Path(inner[0]).name in SHELLS and len(inner) > 1 else (inner[0] if inner else "")
            text = entry_script(ctx, df, stage, command.instruction, target)
            if text is not None and not re.search(r"^\s*exec\s", text, re.MULTILINE) and not signals_group(wrappers):
                yield self.at(df.path, command.instruction, f"{target} starts the server without `exec`: the script "
                              "stays PID 1 and SIGTERM does not reach the server")
