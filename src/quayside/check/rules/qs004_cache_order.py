from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from quayside.build import DEPENDENCY_COMMAND
from quayside.check.context import CheckContext
from quayside.check.dockerfile import Instruction
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import BROAD_SOURCES, DEPENDENCY_FILES, copy_sources


def _used_by_install(copy: Instruction, sources: list[str], run: str) -> bool:
    """The install step names what this COPY brought in (its destination, or a copied file by name)."""
    if any(s in BROAD_SOURCES for s in sources):
        return False
    argv = copy.exec_form or copy.rest.split()
    destination = argv[-1].rstrip("/") if argv else ""
    names = {destination, *(posixpath.basename(s.rstrip("/")) for s in sources)} - {"", ".", "/"}
    return any(re.search(r"(^|[\s/=])" + re.escape(name) + r"(/|\s|$|\))", run) for name in names)


def _is_source(ctx: CheckContext, source: str) -> bool:
    if source in BROAD_SOURCES:
        return True
    if DEPENDENCY_FILES.search(source.rstrip("/")):
        return False
    path = ctx.root / source.lstrip("/")
    if path.is_file():
        return path.suffix == ".py"
    if path.is_dir():
        return any(path.rglob("*.py"))
    return source.endswith(".py")


@register
class CacheOrder(Rule):
    """The source is copied before the dependencies are installed, in the same stage.

    ## Why
    Docker reuses a layer only while everything before it is unchanged. When the code is copied before
    `pip install`, every code change reinstalls every dependency: minutes instead of seconds per build. The
    FastAPI guide copies `requirements.txt` alone, installs, and only then copies the app.

    ## Fix
    Copy only the dependency files (`requirements.txt`, or `pyproject.toml` + `uv.lock`) first, install, then
    copy the source.
    """

    id = "QS004"
    name = "cache-order"
    severity = Severity.WARNING
    summary = "the source is copied before the dependency install"
    references = (
        ("FastAPI guide: Docker Cache", "https://fastapi.tiangolo.com/deployment/docker/#docker-cache"),
        ("Docker build cache", "https://docs.docker.com/build/cache/"),
    )
    bad = {"Dockerfile": "FROM python:3.12-slim\nWORKDIR /code\nCOPY . /code\nRUN pip install --no-cache-dir -r requirements.txt\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nWORKDIR /code\nCOPY requirements.txt /code/\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . /code\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for stage in df.stages:
                early_copies = []
                for ins in stage.instructions:
                    if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                        sources = [s for s in copy_sources(ins) if _is_source(ctx, s)]
                        if sources:
                            early_copies.append((ins, sources))
                    elif ins.keyword == "RUN" and DEPENDENCY_COMMAND.search(ins.args):
                        for copy, sources in early_copies:
                            if _used_by_install(copy, sources, ins.args):
                                continue  # a local package the step installs, or a helper it runs: it must come first
                            yield self.at(df.path, copy, f"{', '.join(sources)} copied before the dependency install on line {ins.line}: "
                                          "every code change reinstalls every dependency")
                        break
