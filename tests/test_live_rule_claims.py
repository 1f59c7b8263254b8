"""Live: what a rule says about the image holds on the engine (the lab's uv image, packages from the index)."""

from __future__ import annotations

import uuid

import pytest

from quayside.check import run_check
from quayside.engine import docker

pytestmark = pytest.mark.docker
UV_IMAGE = "ghcr.io/astral-sh/uv:python3.13-bookworm-slim"


@pytest.mark.parametrize("install", [
    "RUN uv pip install --system six",
    "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system six",
    "RUN uv pip install --no-cache --system six",
    "ENV UV_NO_CACHE=1\nRUN uv pip install --system six",
], ids=["plain", "cache-mount", "no-cache-option", "no-cache-env"])
def test_qs027_flags_exactly_the_images_that_keep_uvs_cache(tmp_path, install):
    (tmp_path / "Dockerfile").write_text(f"FROM {UV_IMAGE}\n{install}\n")
    tag = f"qs-uv-cache-{uuid.uuid4().hex[:8]}"
    docker.run(["build", "-q", "-t", tag, str(tmp_path)], timeout=300)
    try:
        kept = docker.run(["run", "--rm", "--entrypoint", "sh", tag, "-c", "du -sk /root/.cache/uv 2>/dev/null | cut -f1 || true"]).stdout.strip()
    finally:
        docker.run(["image", "rm", "-f", tag], check=False)
    cache_kb = int(kept or 0)
    flagged = any(f.rule == "QS027" for f in run_check(tmp_path).findings)
    assert flagged is (cache_kb > 0), (install, cache_kb)
