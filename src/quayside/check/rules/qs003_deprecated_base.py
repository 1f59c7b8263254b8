from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import image_tag

DEPRECATED = ("tiangolo/uvicorn-gunicorn", "tiangolo/uwsgi-nginx", "tiangolo/meinheld-gunicorn")


@register
class DeprecatedBase(Rule):
    """A base image the FastAPI guide calls deprecated: `tiangolo/uvicorn-gunicorn-fastapi` and its siblings.

    ## Why
    The guide says these images are deprecated and should not be used: Uvicorn manages its own workers
    now, and in a cluster you replicate containers rather than run a process manager. The images also
    lag behind Python and Debian security releases.

    ## Fix
    Start from the official `python:3.X-slim` and run `fastapi run` (see `quayside init`).
    """

    id = "QS003"
    name = "deprecated-base"
    severity = Severity.WARNING
    summary = "the base image is deprecated"
    references = (
        ("Status of Python versions", "https://devguide.python.org/versions/"),
        ("FastAPI guide: Dockerfile", "https://fastapi.tiangolo.com/deployment/docker/#dockerfile"),
    )
    bad = {"Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\nCOPY ./app /app\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nCOPY ./app /code/app\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for stage in df.stages:
                name, _, _ = image_tag(stage.base_resolved)
                if name.removeprefix("docker.io/").startswith(DEPRECATED):
                    yield self.at(df.path, stage.from_instruction, f"{name} is deprecated (FastAPI guide): use python:3.X-slim and `fastapi run`")
