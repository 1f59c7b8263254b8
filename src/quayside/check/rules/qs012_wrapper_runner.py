from __future__ import annotations

from collections.abc import Iterator

from quayside.check.command import stage_env
from quayside.check.context import CheckContext
from quayside.check.model import Finding, Fix, FixSafety, Rule, Severity, register
from quayside.check.rules._util import final_commands, fixable_cmd, replace_exec_form

# `poetry run` and `pipenv run` exec the command on POSIX (the server becomes PID 1, nothing is synced): not these
WRAPPERS = {"uv", "pdm", "hatch", "rye"}


@register
class WrapperRunner(Rule):
    """`uv run`, `pdm run`, `hatch run` or `rye run` as the container command.

    ## Why
    The wrapper stays PID 1 between Docker and the server (`poetry run` and `pipenv run` replace themselves
    with the command on Linux, so they are not flagged). It may re-resolve or even sync the environment
    at every start (`uv run` does by default), which writes to a read-only filesystem, needs the network,
    slows the start and can change the dependencies you tested. The virtualenv is already built into the
    image.

    ## Fix
    Put the virtualenv's `bin` on `PATH` and run the server directly: `CMD ["fastapi", "run", ...]`. `--fix`
    drops the wrapper when `PATH` already includes a virtualenv.
    """

    id = "QS012"
    name = "wrapper-runner"
    severity = Severity.WARNING
    summary = "a project-manager wrapper runs the server"
    references = (
        ("FastAPI guide: Use CMD - Exec Form", "https://fastapi.tiangolo.com/deployment/docker/#use-cmd-exec-form"),
        ("uv in Docker", "https://docs.astral.sh/uv/guides/integration/docker/"),
    )
    fix_safety = FixSafety.UNSAFE
    unsafe_because = "the server no longer runs through the wrapper, so whatever the wrapper did first (syncing the environment, loading .env) no longer happens"
    fixable = True
    bad = {"Dockerfile": 'FROM python:3.12-slim\nENV PATH="/code/.venv/bin:$PATH"\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nENV PATH="/code/.venv/bin:$PATH"\nCMD ["fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage, command in final_commands(ctx):
            words = command.words()
            for i in range(len(words) - 1):
                if words[i].rsplit("/", 1)[-1] in WRAPPERS and words[i + 1] == "run" and (i == 0 or words[i - 1] in ("&&", ";", "exec")):
                    wrapper = f"{words[i].rsplit('/', 1)[-1]} run"
                    fix = None
                    path = stage_env(df, stage).get("PATH", "")
                    cmd = fixable_cmd(command)
                    if cmd is not None and i == 0 and len(command.argv) > 2 and not command.argv[2].startswith("-") and "venv/bin" in path:
                        fix = Fix(f"drop `{wrapper}`", (replace_exec_form(df, cmd, command.argv[2:]),))
                    yield self.at(df.path, command.instruction, f"`{wrapper}` wraps the server: it stays PID 1 and may re-sync "
                                  "the environment at start; run the server from the virtualenv", fix)
                    break
