from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Fix, Rule, Severity, register
from quayside.check.rules._util import final_servers, fixable_cmd, replace_exec_form

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@register
class DevServer(Rule):
    """A development server in the container: `--reload`, `fastapi dev`, or a bind to 127.0.0.1.

    ## Why
    `--reload` and `fastapi dev` watch files and restart, which costs CPU and memory and is meant for your
    laptop. A server bound to 127.0.0.1 inside a container cannot be reached from outside it, even through
    published ports. Uvicorn, Gunicorn and Hypercorn bind 127.0.0.1 unless told otherwise; `fastapi run`
    binds 0.0.0.0.

    ## Fix
    Use `fastapi run` (or uvicorn with `--host 0.0.0.0`) without `--reload`. `--fix` does this for an
    exec-form `CMD`.
    """

    id = "QS009"
    name = "dev-server"
    severity = Severity.ERROR
    summary = "a development server setting in the container command"
    references = (
        ("Uvicorn settings", "https://www.uvicorn.org/settings/"),
        ("FastAPI CLI: fastapi run", "https://fastapi.tiangolo.com/fastapi-cli/"),
    )
    fixable = True
    bad = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["uvicorn", "main:app", "--reload"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, _stage, command, server in final_servers(ctx):
            problems = []
            argv = list(command.argv)
            if server.kind == "fastapi-dev":
                problems.append("`fastapi dev` is the development server")
                argv = [("run" if a == "dev" and i > 0 and argv[i - 1].endswith("fastapi") else a) for i, a in enumerate(argv)]
            if "--reload" in server.args:
                problems.append("--reload restarts on file changes")
                argv = [a for a in argv if a != "--reload"]
            host = server.option("--host") if server.kind not in ("gunicorn", "hypercorn") else (server.option("--bind", "-b") or "").rsplit(":", 1)[0] or None
            if host in LOOPBACK:
                problems.append(f"it binds {host}, unreachable from outside the container")
            elif host is None and server.kind in ("uvicorn", "gunicorn", "hypercorn"):
                problems.append(f"{server.kind} binds 127.0.0.1 unless given {'--host 0.0.0.0' if server.kind == 'uvicorn' else '--bind 0.0.0.0:PORT'}")
                if server.kind == "uvicorn":
                    argv = [*argv, "--host", "0.0.0.0"]
            if not problems:
                continue
            fix = None
            cmd = fixable_cmd(command)
            if cmd is not None and not any(p.startswith(("it binds", "gunicorn", "hypercorn")) for p in problems):
                fix = Fix("production server settings", (replace_exec_form(df, cmd, argv),))
            yield self.at(df.path, command.instruction, "; ".join(problems), fix)
