from __future__ import annotations

import pathlib
from collections.abc import Iterator

from quayside.check.command import Server, split_words, stage_env
from quayside.check.context import CheckContext
from quayside.check.dockerfile import Dockerfile, Stage
from quayside.check.model import Finding, Fix, Rule, Severity, register
from quayside.check.rules._util import final_servers, fixable_cmd, replace_exec_form

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
UNKNOWN = "?"
GUNICORN_DEFAULT_CONFIG = "gunicorn.conf.py"  # read from the working directory when no -c is given


def _configured_host(ctx: CheckContext, df: Dockerfile, stage: Stage, server: Server) -> str | None:
    """The address the server binds, from its options, then where each server also reads it: uvicorn's
    UVICORN_HOST, gunicorn's GUNICORN_CMD_ARGS and config file (`bind = ...`). UNKNOWN when it is set
    somewhere quayside cannot read (a config file outside the build context, a variable)."""
    env = stage_env(df, stage)
    if server.kind not in ("gunicorn", "hypercorn"):
        return server.option("--host") or env.get("UVICORN_HOST") if server.kind == "uvicorn" else server.option("--host")
    bind = server.option("--bind", "-b")
    if bind is None and server.kind == "gunicorn":
        extra = Server("gunicorn", split_words(env.get("GUNICORN_CMD_ARGS", "")))
        bind = extra.option("--bind", "-b")
        if bind is None:
            bind = _gunicorn_config_bind(ctx, server.option("--config", "-c"))
    if bind is None:
        return None
    if bind == UNKNOWN or "$" in bind:
        return UNKNOWN
    return bind.rsplit(":", 1)[0] if not bind.startswith("unix:") else "unix"


def _gunicorn_config_bind(ctx: CheckContext, config: str | None) -> str | None:
    """`bind` from a gunicorn config file in the build context (`-c file.py`, or gunicorn.conf.py by default)."""
    name = config or GUNICORN_DEFAULT_CONFIG
    if name.startswith(("python:", "file:")):
        name = name.split(":", 1)[1]
        if config and config.startswith("python:"):
            return UNKNOWN  # a module on sys.path: not read here
    candidates = [ctx.root / name.lstrip("/"), ctx.root / pathlib.PurePosixPath(name).name]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        return UNKNOWN if config else None
    import ast  # only with a gunicorn config file to read: ast costs 2 ms of check's start

    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, RecursionError):
        return UNKNOWN
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "bind" for t in node.targets):
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)) and value.elts:
                value = value.elts[0]
            return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else UNKNOWN
    return None


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
            host = _configured_host(ctx, df, _stage, server)
            if host == UNKNOWN:
                host = "0.0.0.0"  # set where quayside cannot read it: no claim either way
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
