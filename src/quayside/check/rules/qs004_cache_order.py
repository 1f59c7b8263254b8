from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from quayside.check.command import DEPENDENCY_COMMAND
from quayside.check.context import CheckContext
from quayside.check.dockerfile import Instruction
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import BROAD_SOURCES, DEPENDENCY_FILES, copy_sources

_TOOLING = {"pip", "setuptools", "wheel", "uv", "poetry", "pdm", "pipenv", "hatch", "virtualenv", "build"}
_PIP_TARGETS = lazy_compile(r"\bpip3?\s+install\s+([^&;|]*)")


def _tooling_only(run: str) -> bool:
    """`pip install --upgrade pip setuptools wheel`: the installer's own tools, not the project's dependencies."""
    installs = _PIP_TARGETS.findall(run)
    if not installs or re.search(r"\b(uv\s+sync|poetry\s+install|pdm\s+install|pipenv\s+install)\b", run):
        return False
    targets = [w.split("==")[0].split(">=")[0].lower() for segment in installs for w in segment.split() if not w.startswith("-")]
    return bool(targets) and all(t in _TOOLING for t in targets)


def _used_by_install(copy: Instruction, sources: list[str], run: str) -> bool:
    """The install step names what this COPY brought in (its destination, or a copied file by name)."""
    if any(s in BROAD_SOURCES for s in sources):
        return False
    argv = copy.exec_form or copy.rest.split()
    destination = argv[-1].rstrip("/") if argv else ""
    names = {destination, *(posixpath.basename(s.rstrip("/")) for s in sources)} - {"", ".", "/"}
    return any(re.search(r"(^|[\s/=\"'])" + re.escape(name) + r"(/|\s|$|\)|[\"'])", run) for name in names)


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
    # (the project installed in a stage built FROM the one that installed its dependencies is not flagged)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for stage in df.stages:
                early_copies = []
                # dependencies installed in another stage and copied in, or in the stage this one is built FROM:
                # this install only tops up (a package project installed apart from its dependencies)
                prebuilt = any(DEPENDENCY_COMMAND.search(r.args) for st in df.stage_chain(stage)[1:] for r in st.find("RUN"))
                for ins in stage.instructions:
                    if ins.keyword == "COPY" and (ref := ins.flag("from")) is not None:
                        source = df.stage_named(ref)
                        prebuilt = prebuilt or (source is not None and source.index < stage.index
                                                and any(DEPENDENCY_COMMAND.search(r.args) for st in df.stage_chain(source) for r in st.find("RUN")))
                    elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                        sources = [s for s in copy_sources(ins) if _is_source(ctx, s)]
                        if sources:
                            early_copies.append((ins, sources))
                    elif ins.keyword == "RUN" and DEPENDENCY_COMMAND.search(ins.args) and not _tooling_only(ins.args):
                        for copy, sources in early_copies if not prebuilt else []:
                            if _used_by_install(copy, sources, ins.args):
                                continue  # a local package the step installs, or a helper it runs: it must come first
                            yield self.at(df.path, copy, f"{', '.join(sources)} copied before the dependency install on line {ins.line}: "
                                          "every code change reinstalls every dependency")
                        break
