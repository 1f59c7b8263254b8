from __future__ import annotations

import posixpath
from collections.abc import Iterator

from quayside.check.command import stage_env
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import absolute_in_image, copy_sources

_PYTHON = lazy_compile(r"python[:\-]?(\d\.\d+)")


def python_of(image: str) -> str | None:
    m = _PYTHON.search(image.split("@")[0].lower())
    return m.group(1) if m else None


@register
class StagePythonMismatch(Rule):
    """A virtualenv is copied between stages whose Python versions or paths differ.

    ## Why
    A virtualenv is tied to the interpreter it was made with: `bin/python` links to that interpreter, and
    scripts (`fastapi`, `uvicorn`) carry its absolute path in their shebang. Copied to an image with another
    Python minor version, or to another path, it fails at start with "No such file or directory" or import
    errors in compiled wheels.

    ## Fix
    Build and run on the same `python:X.Y` (the slim variant of it for the runtime), and copy the virtualenv
    to the same path it was created at.
    """

    id = "QS019"
    name = "stage-python-mismatch"
    severity = Severity.ERROR
    summary = "a virtualenv copied across Python versions or paths"
    references = (
        ("Docker multi-stage builds", "https://docs.docker.com/build/building/multi-stage/"),
        ("Python venv: how venvs work", "https://docs.python.org/3/library/venv.html#how-venvs-work"),
    )
    bad = {"Dockerfile": "FROM python:3.11 AS builder\nRUN python -m venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\n"}
    good = {"Dockerfile": "FROM python:3.12 AS builder\nRUN python -m venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for stage in df.stages:
                for ins in stage.find("COPY"):
                    ref = ins.flag("from")
                    source = df.stage_named(ref) if ref else None
                    if source is None or source.index >= stage.index:
                        continue
                    argv = ins.exec_form or ins.rest.split()
                    sources, dest = copy_sources(ins), absolute_in_image(df, stage, ins.line, argv[-1] if argv else "")
                    env = stage_env(df, source)
                    venvs = {v.rstrip("/") for v in (env.get("VIRTUAL_ENV"), env.get("UV_PROJECT_ENVIRONMENT")) if v}
                    for src in sources:
                        if not ("venv" in src or src.rstrip("/") in venvs):
                            continue
                        built, run = python_of(df.external_base(source)), python_of(df.external_base(stage))
                        if built and run and built != run:
                            yield self.at(df.path, ins, f"{src} was made with Python {built} and runs on Python {run}")
                        elif dest.rstrip("/") != posixpath.normpath(src):  # COPY puts a directory's contents at dest
                            yield self.at(df.path, ins, f"{src} copied to {dest}: its scripts still point at {src}")
