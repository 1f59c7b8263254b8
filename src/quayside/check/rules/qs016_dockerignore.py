from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Fix, FixSafety, Rule, Severity, TextEdit, register
from quayside.check.rules._util import BROAD_SOURCES, copy_sources

# what must stay out of the build context, and a path that shows whether it does (nested where it can nest)
MUST_EXCLUDE = {".venv": (".venv", "**/.venv"), ".env": (".env", "**/.env"), ".git": (".git", "**/.git"),
                "__pycache__": ("app/__pycache__", "**/__pycache__")}


@register
class DockerIgnore(Rule):
    """The whole build context is copied, and `.dockerignore` is missing or lets in `.venv`, `.env`, `.git` or
    `__pycache__`.

    ## Why
    `COPY . .` copies what the context holds. A local `.venv` overwrites the image's environment with
    binaries built for your machine. `.env` bakes your secrets into a layer anyone with the image can read.
    `.git` adds megabytes and history. `__pycache__` busts the cache on every run. Each also slows every
    build's context upload.

    ## Fix
    `--fix` adds the missing patterns to `.dockerignore` (creating it when needed). Patterns use `**/` so
    nested copies are excluded too.
    """

    id = "QS016"
    name = "dockerignore"
    severity = Severity.WARNING
    summary = "the build context lets in .venv, .env, .git or __pycache__"
    references = (
        ("Docker: .dockerignore files", "https://docs.docker.com/build/concepts/context/#dockerignore-files"),
        ("FastAPI guide: Docker Cache", "https://fastapi.tiangolo.com/deployment/docker/#docker-cache"),
    )
    fix_safety = FixSafety.UNSAFE
    unsafe_because = "the new entries keep files out of the build context; a COPY that needed one of them fails"
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nCOPY . /code\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nCOPY . /code\n", ".dockerignore": "**/.venv\n**/.env\n**/.git\n**/__pycache__\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        ignore = ctx.dockerignore
        for df in ctx.dockerfiles:
            for ins in df.instructions:
                if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
                    continue
                if not any(s in BROAD_SOURCES for s in copy_sources(ins)):
                    continue
                missing = [name for name, (probe, _) in MUST_EXCLUDE.items() if ignore is None or not ignore.excludes(probe)]
                if not missing:
                    continue
                patterns = "".join(f"{MUST_EXCLUDE[m][1]}\n" for m in missing)
                if ignore is None:
                    edit = TextEdit(".dockerignore", 0, 0, "# keep secrets, virtualenvs and caches out of the build context\n" + patterns)
                else:
                    text = ignore.text
                    edit = TextEdit(".dockerignore", len(text), len(text), ("" if text.endswith("\n") or not text else "\n") + patterns)
                what = ".dockerignore is missing" if ignore is None else f".dockerignore lets in {', '.join(missing)}"
                yield self.at(df.path, ins, f"{ins.keyword} copies the whole context and {what}",
                              Fix(f"exclude {', '.join(missing)} in .dockerignore", (edit,)))
                break  # one finding per Dockerfile: the fix is the same
