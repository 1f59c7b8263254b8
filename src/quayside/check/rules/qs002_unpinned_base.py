from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import image_tag


@register
class UnpinnedBase(Rule):
    """`FROM` without a tag, or with `latest` (after ARG substitution).

    ## Why
    `python` or `python:latest` changes under you: a rebuild can jump a Python major version, Debian release
    or libc, and a deploy breaks with no change of yours. The FastAPI guide pins `python:3.X`.

    ## Fix
    Pin at least the minor version (`python:3.12-slim`), or a digest for reproducible builds.
    """

    id = "QS002"
    name = "unpinned-base"
    severity = Severity.WARNING
    summary = "the base image is not pinned"
    references = (
        ("FastAPI guide: Build a Docker Image for FastAPI", "https://fastapi.tiangolo.com/deployment/docker/#build-a-docker-image-for-fastapi"),
        ("Docker best practices: pin base image versions", "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions"),
    )
    bad = {"Dockerfile": 'FROM python:latest\nCMD ["python"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["python"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for stage in df.stages:
                image = stage.base_resolved
                named = df.stage_named(image)
                if image.lower() == "scratch" or (named is not None and named.index < stage.index):
                    continue
                name, tag, digest = image_tag(image)
                if digest or not name or "$" in image:
                    continue  # pinned by digest, or chosen at build time (an ARG without a default)
                if not tag:
                    via = f" ({stage.base} after ARG substitution)" if stage.base != image else ""
                    yield self.at(df.path, stage.from_instruction, f"{name} has no tag{via}: it means `latest`, which moves")
                elif tag == "latest":
                    yield self.at(df.path, stage.from_instruction, f"{image}: `latest` moves; pin a version such as python:3.12-slim")
