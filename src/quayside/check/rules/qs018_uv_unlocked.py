from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, Rule, Severity, register
from quayside.check.rules._util import BROAD_SOURCES, copy_sources, insert_after

UV_SYNC = lazy_compile(r"\buv\s+sync\b")


@register
class UvUnlocked(Rule):
    """uv installs without the lock, or without the dependency/project split.

    ## Why
    `uv sync` without `--locked` (or `--frozen`) may re-resolve and install versions you never tested when
    `uv.lock` is stale. The build should fail instead. `uv pip install` ignores `uv.lock` entirely. And
    `uv sync` after copying the source, without an earlier `uv sync --no-install-project`, reinstalls every
    dependency on each code change.

    ## Fix
    `RUN --mount=type=cache,target=/root/.cache/uv --mount=type=bind,source=uv.lock,target=uv.lock
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml uv sync --locked --no-install-project`,
    then copy the source and `uv sync --locked`. `--fix` adds `--locked`.
    """

    id = "QS018"
    name = "uv-unlocked"
    severity = Severity.WARNING
    summary = "uv installs without the lock or the dependency split"
    references = (
        ("uv in Docker", "https://docs.astral.sh/uv/guides/integration/docker/"),
        ("FastAPI guide: Docker Cache", "https://fastapi.tiangolo.com/deployment/docker/#docker-cache"),
    )
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/\nWORKDIR /code\nCOPY . /code\nRUN uv sync\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/\nWORKDIR /code\nCOPY pyproject.toml uv.lock /code/\nRUN uv sync --locked --no-install-project\nCOPY . /code\nRUN uv sync --locked\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        has_lock = (ctx.root / "uv.lock").is_file()
        for df in ctx.dockerfiles:
            for stage in df.stages:
                source_copied = False
                split_done = False
                for ins in stage.instructions:
                    if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and any(s in BROAD_SOURCES for s in copy_sources(ins)):
                        source_copied = True
                    if ins.keyword != "RUN":
                        continue
                    text = ins.args
                    if UV_SYNC.search(text):
                        problems = []
                        fix = None
                        if "--locked" not in text and "--frozen" not in text:
                            problems.append("without --locked, a stale uv.lock is re-resolved instead of failing the build")
                            fix = Fix("add --locked", tuple(insert_after(df, ins, UV_SYNC, " --locked")))
                        if "--no-install-project" in text:
                            split_done = True
                        elif source_copied and not split_done:
                            problems.append("the source is copied before it, with no `uv sync --no-install-project` first: "
                                            "each code change reinstalls every dependency")
                        if problems:
                            yield self.at(df.path, ins, "uv sync " + "; ".join(problems), fix)
                    elif (has_lock and re.search(r"\buv\s+pip\s+install\b", text)
                          # the project alone, its locked dependencies synced before: nothing the lock pins
                          and not ("--no-deps" in text and not re.search(r"\s(-r|--requirement)[\s=]", text))):
                        yield self.at(df.path, ins, "`uv pip install` ignores uv.lock: use `uv sync --locked`")
