from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.command import stage_env
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import chain_instructions, final_commands

RUNTIME_TOOLS = lazy_compile(r"(^|\s|/)(uv|uvx|pip|pip3|poetry|pdm|pipenv)(\s|$)")


def _creates_home(run_text: str, user: str) -> bool | None:
    """True/False when this RUN creates `user` with/without a home; None when it does not create it."""
    for m in re.finditer(r"\b(useradd|adduser)\b([^&;|]*)", run_text):
        args = m.group(2)
        if not re.search(rf"(^|\s){re.escape(user)}(\s|$)", args):
            continue
        if m.group(1) == "useradd":
            return bool(re.search(r"(^|\s)(-m|--create-home)(\s|$)", args))
        return not re.search(r"(^|\s)(-H|--no-create-home)(\s|$)|/nonexistent", args)
    return None


@register
class NonexistentHome(Rule):
    """The container runs as a user whose home directory does not exist, and the command runs a tool that
    writes caches there (uv, pip, poetry, pdm).

    ## Why
    `useradd --system` creates no home unless given `--create-home`, and `nobody`'s home is
    `/nonexistent`. uv and pip write their caches under `$HOME/.cache` at run time (`uv run` syncs on start),
    so they fail with "Permission denied" or "No such file or directory" only in the container.

    ## Fix
    `useradd --system --create-home app` (or set `HOME` to a writable directory), and better: run the server
    from the virtualenv, not through uv/pip at run time.
    """

    id = "QS025"
    name = "nonexistent-home"
    severity = Severity.WARNING
    summary = "a non-root user without a home runs a tool that writes one"
    references = (
        ("Dockerfile: USER", "https://docs.docker.com/reference/dockerfile/#user"),
    )
    bad = {"Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system app\nUSER app\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system --create-home app\nUSER app\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage, command in final_commands(ctx):
            users = chain_instructions(df, stage, "USER")
            if not users:
                continue
            user = users[-1].rest.strip().split(":", 1)[0]
            if user in ("root", "0") or not RUNTIME_TOOLS.search(" ".join(command.words())):
                continue
            if "HOME" in stage_env(df, stage):
                continue
            home = None
            if user == "nobody":
                home = False
            for ins in chain_instructions(df, stage, "RUN"):
                created = _creates_home(ins.args, user)
                if created is not None:
                    home = created
            if home is False:
                yield self.at(df.path, users[-1], f"user {user} has no home directory, and the command runs a tool that writes "
                              "its cache there at start")
