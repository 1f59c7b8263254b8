from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.command import CommandEnds, stage_env
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, Rule, Severity, TextEdit, register
from quayside.check.rules._util import has_cache_mount, shipped_stages

# the uv commands that download and build into uv's cache
UV_INSTALL = lazy_compile(r"\buv\s+(?:--?\S+\s+)*(?:sync|pip\s+(?:install|sync)|tool\s+install|add)\b")
# uv takes pip's spelling too (a hidden alias: astral-sh/uv#1380)
_NO_CACHE_OPTION = lazy_compile(r"(?:^|\s)(?:--no-cache(?:-dir)?|-n)(?=[\s\\]|$)")
_TRUTHY_NO_CACHE = lazy_compile(r"\bUV_NO_CACHE=(?![\"']?(?:0|false|no|off)?[\"']?(\s|$))", re.IGNORECASE)
_CACHE_DIR_OPTION = lazy_compile(r"--cache-dir[=\s]+(\S+)")
_CACHE_REMOVED = lazy_compile(r"\buv\s+cache\s+(clean|prune)\b|\brm\s+(-\w+\s+)*\S*\.cache(/uv)?/?(\s|$|;|&)")



@register
class UvCache(Rule):
    """`uv sync` / `uv pip install` keeps its cache in the image.

    ## Why
    uv keeps every wheel it downloads or builds in its cache (`~/.cache/uv`, or `UV_CACHE_DIR`). Without a
    cache mount, `--no-cache` or `UV_NO_CACHE`, that cache is written into the layer and shipped with every
    pull, often as large as the virtualenv itself. QS005's twin for uv.

    ## Fix
    Mount uv's cache for the step (`RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked`), which
    also makes rebuilds fast, or set `UV_NO_CACHE=1`, or add `--no-cache`. `--fix` adds `--no-cache`.
    """

    id = "QS027"
    name = "uv-cache"
    severity = Severity.WARNING
    summary = "uv's cache ends up in the image"
    references = (
        ("uv in Docker: caching", "https://docs.astral.sh/uv/guides/integration/docker/#caching"),
        ("uv cache", "https://docs.astral.sh/uv/concepts/cache/"),
        ("Docker cache mounts", "https://docs.docker.com/build/cache/optimize/#use-cache-mounts"),
    )
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv pip install --system fastapi\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\n"
                          "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system fastapi\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            # a build stage's cache is not copied out with the virtualenv: only the images' own stages count
            for stage in shipped_stages(ctx, df):
                env = stage_env(df, stage)
                if env.get("UV_NO_CACHE", "").lower() not in ("", "0", "false", "no", "off"):
                    continue
                for ins in stage.find("RUN"):
                    text = ins.args + "\n" + "\n".join(h.body for h in ins.heredocs)
                    installs = list(UV_INSTALL.finditer(text))
                    option = _CACHE_DIR_OPTION.search(text)
                    cache_dir = option.group(1).strip("\"'") if option else env.get("UV_CACHE_DIR")
                    if not installs or has_cache_mount(ins, "uv", cache_dir):
                        continue
                    if _TRUTHY_NO_CACHE.search(text) or _CACHE_REMOVED.search(text):
                        continue  # the variable set for the command (inline or exported), or the cache removed after
                    if not _caching(text, installs):
                        continue
                    raw = df.text[ins.start:ins.end]
                    edits = tuple(TextEdit(df.path, ins.start + m.end(), ins.start + m.end(), " --no-cache")
                                  for m in _caching(raw, list(UV_INSTALL.finditer(raw))))
                    fix = Fix("add --no-cache", edits) if edits and not ins.heredocs else None
                    yield self.at(df.path, ins, "uv installs without a cache mount, --no-cache or UV_NO_CACHE: "
                                  "its cache stays in the image", fix)


def _caching(text: str, installs: list[re.Match[str]]) -> list[re.Match[str]]:
    """The uv commands (first match of each) without --no-cache: one look per command, however long."""
    ends = CommandEnds(text)
    first_of_command = {ends.after(m.end()): m for m in reversed(installs)}
    return sorted((m for end, m in first_of_command.items() if not _NO_CACHE_OPTION.search(text, m.start(), end)), key=lambda m: m.start())
