from __future__ import annotations

from quayside.check.model import Rule, Severity, register


def image_tag(image: str) -> tuple[str, str | None, bool]:
    """(name, tag, has digest)"""
    digest = "@" in image
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return name.rsplit(":", 1)[0], name.rsplit(":", 1)[1], digest
    return name, None, digest


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
    bad = {"Dockerfile": 'FROM python:latest\nCMD ["python"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["python"]\n'}

    def check(self, ctx):
        for df in ctx.dockerfiles:
            for stage in df.stages:
                image = stage.base_resolved
                if image.lower() == "scratch" or df.stage_named(image) is not None and df.stage_named(image).index < stage.index:
                    continue
                name, tag, digest = image_tag(image)
                if digest:
                    continue
                if not tag:
                    via = f" ({stage.base} after ARG substitution)" if stage.base != image else ""
                    yield self.at(df.path, stage.from_instruction, f"{name} has no tag{via}: it means `latest`, which moves")
                elif tag == "latest":
                    yield self.at(df.path, stage.from_instruction, f"{image}: `latest` moves; pin a version such as python:3.12-slim")
