"""cache_reused: a copy of the project with one source file touched must rebuild without its dependency step,
and the runtime image's dependency layer (the virtualenv) must keep its digest: a registry push then re-sends
only the code layer."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path

from quayside.build import BuildResult, build_image
from quayside.engine import docker
from quayside.verify.report import Check

_COPY_SKIP = {".git", ".venv", "venv", "__pycache__", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _copy_context(root: Path, dest: Path) -> None:
    shutil.copytree(root, dest, symlinks=True, ignore=lambda _d, names: [n for n in names if n in _COPY_SKIP])


# History rows that never make a layer (BuildKit's and the classic builder's forms)
_METADATA = re.compile(r"^(?:/bin/sh -c #\(nop\)\s*)?(?:ENV|CMD|ENTRYPOINT|EXPOSE|USER|HEALTHCHECK|ARG|LABEL|STOPSIGNAL"
                       r"|SHELL|VOLUME|ONBUILD|MAINTAINER)\b")
# The runtime's dependency layer: the virtualenv copied in from the build stage
_VENV_COPY = re.compile(r"^COPY (?:--\S+ )*(/opt/venv|\S*/\.venv)/? ")


def dependency_layer(image: str) -> tuple[int, str] | None:
    """(index, diff ID) of the layer that copies the virtualenv into the image, or None when the image has no
    such step or its history cannot be matched to its layers exactly."""
    layers = docker.inspect_image(image).get("RootFS", {}).get("Layers") or []
    rows = docker.run(["history", "--no-trunc", "--human=false", "--format", "{{json .}}", image], timeout=60).stdout
    history = [json.loads(line) for line in reversed(rows.splitlines()) if line.strip()]
    made = [row for row in history if not _METADATA.match(str(row.get("CreatedBy", "")))]
    if len(made) != len(layers):
        return None
    found = [i for i, row in enumerate(made) if _VENV_COPY.match(str(row.get("CreatedBy", "")))]
    return (found[-1], layers[found[-1]]) if found else None


def check_cache_reuse(root: Path, app_file: str, dockerfile: str = "Dockerfile", image: str | None = None, *,
                      secrets: Mapping[str, Path] | None = None, network: str | None = None) -> tuple[Check, BuildResult]:
    """Rebuild a copy of the project with one source file touched; the dependency step must come from cache and,
    given the image built from the untouched project, the runtime's dependency layer must keep its digest."""
    with tempfile.TemporaryDirectory(prefix="quayside-cache-") as tmp:
        copy = Path(tmp) / root.name
        _copy_context(root, copy)
        with (copy / app_file).open("a", encoding="utf-8") as handle:
            handle.write(f"\n# quayside verify: cache probe {uuid.uuid4().hex}\n")
        tag = f"quayside-cache-probe:{uuid.uuid4().hex[:10]}"
        result = build_image(copy, tag=tag, dockerfile=dockerfile, secrets=secrets, network=network)
    try:
        deps = result.dependency_steps
        rebuilt = [s for s in result.steps if s.name.startswith("COPY") and not s.cached]
        if not deps:
            return Check("cache_reused", "fail", False, "no dependency install step (pip/uv/poetry/pdm) found in the build"), result
        reused = all(s.cached for s in deps)
        detail = (f"after touching {app_file}: dependency step{'s' if len(deps) > 1 else ''} "
                  f"{'CACHED' if reused else 'rebuilt'}; {len(rebuilt)} COPY step(s) rebuilt; rebuild took {result.seconds:.1f}s")
        if reused and not rebuilt:
            return Check("cache_reused", "fail", False, detail + " (the change was not seen: is the app copied?)"), result
        if image is not None and (before := dependency_layer(image)) is not None:
            after = dependency_layer(tag)
            same = after is not None and after[1] == before[1]
            if same:
                detail += f"; runtime dependency layer {before[1][7:19]} unchanged"
            else:
                now = after[1][7:19] if after is not None else "not found"
                detail += f"; runtime dependency layer changed ({before[1][7:19]} → {now}): a push re-sends the dependencies"
            reused = reused and same
        return Check("cache_reused", "pass" if reused else "fail", reused, detail), result
    finally:
        docker.run(["rmi", "-f", tag], timeout=60, check=False)
