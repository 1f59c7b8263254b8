from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.command import stage_env
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, Rule, Severity, register
from quayside.check.rules._util import PIP_INSTALL, has_cache_mount, insert_after, shipped_stages

_PIP_INSTALL_WORD = lazy_compile(r"(?<!uv )\bpip3?\b[^&;|\n]*?\binstall\b")


_TRUTHY_NO_CACHE = lazy_compile(r"\bPIP_NO_CACHE_DIR=(?![\"']?(?:0|false|no|off)?[\"']?(\s|$))", re.IGNORECASE)
# pip takes any unambiguous prefix of an option: --no-cache is --no-cache-dir
_NO_CACHE_OPTION = lazy_compile(r"--no-cache(-dir)?(?=[\s=\\]|$)")
_CACHE_DIR_OPTION = lazy_compile(r"--cache-dir[=\s]+(\S+)")
_CACHE_REMOVED = lazy_compile(r"\bpip3? cache (purge|remove)\b|\brm\s+(-\w+\s+)*\S*\.cache(/pip)?/?(\s|$|;|&)")



@register
class PipCache(Rule):
    """`pip install` keeps its download cache in the image.

    ## Why
    pip caches every wheel it downloads in `~/.cache/pip`. In a Docker layer that cache is dead weight,
    often tens of megabytes, shipped with every pull. The FastAPI guide uses `--no-cache-dir`.

    ## Fix
    Add `--no-cache-dir`, set `PIP_NO_CACHE_DIR=1`, or use a BuildKit cache mount
    (`RUN --mount=type=cache,target=/root/.cache/pip pip install ...`), which also speeds up rebuilds.
    `--fix` adds `--no-cache-dir`.
    """

    id = "QS005"
    name = "pip-cache"
    severity = Severity.WARNING
    summary = "pip's download cache ends up in the image"
    references = (
        ("FastAPI guide: Dockerfile (--no-cache-dir)", "https://fastapi.tiangolo.com/deployment/docker/#dockerfile"),
        ("pip caching", "https://pip.pypa.io/en/stable/topics/caching/"),
        ("Docker cache mounts", "https://docs.docker.com/build/cache/optimize/#use-cache-mounts"),
    )
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nRUN pip install fastapi\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nRUN pip install --no-cache-dir fastapi\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            # a build stage's cache is not copied out with the virtualenv: only the images' own stages count
            for stage in shipped_stages(ctx, df):
                env = stage_env(df, stage)
                if "PIP_NO_CACHE_DIR" in env and env["PIP_NO_CACHE_DIR"].lower() not in ("", "0", "false", "no", "off"):
                    continue
                for ins in stage.find("RUN"):
                    segments = [m.group(0) for m in PIP_INSTALL.finditer(ins.args)]
                    option = _CACHE_DIR_OPTION.search(ins.args)
                    cache_dir = option.group(1).strip("\"'") if option else env.get("PIP_CACHE_DIR")
                    if not segments or has_cache_mount(ins, "pip", cache_dir):
                        continue
                    text = ins.args + "".join(h.body for h in ins.heredocs)
                    # the option, the variable set for the command (inline or exported), or the cache removed after
                    if _NO_CACHE_OPTION.search(text) or _TRUTHY_NO_CACHE.search(text) or _CACHE_REMOVED.search(text):
                        continue
                    edits = tuple(insert_after(df, ins, _PIP_INSTALL_WORD, " --no-cache-dir"))
                    fix = Fix("add --no-cache-dir", edits) if edits else None
                    yield self.at(df.path, ins, "pip install without --no-cache-dir, PIP_NO_CACHE_DIR or a cache mount: "
                                  "its download cache stays in the image", fix)
