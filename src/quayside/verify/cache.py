"""cache_reused: a copy of the project with one source file touched must rebuild without its dependency step."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from quayside.build import BuildResult, build_image
from quayside.engine import docker
from quayside.verify.report import Check

_COPY_SKIP = {".git", ".venv", "venv", "__pycache__", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _copy_context(root: Path, dest: Path) -> None:
    shutil.copytree(root, dest, symlinks=True, ignore=lambda _d, names: [n for n in names if n in _COPY_SKIP])


def check_cache_reuse(root: Path, app_file: str, dockerfile: str = "Dockerfile") -> tuple[Check, BuildResult]:
    """Rebuild a copy of the project with one source file touched; the dependency layer must come from cache."""
    with tempfile.TemporaryDirectory(prefix="quayside-cache-") as tmp:
        copy = Path(tmp) / root.name
        _copy_context(root, copy)
        with (copy / app_file).open("a", encoding="utf-8") as handle:
            handle.write(f"\n# quayside verify: cache probe {uuid.uuid4().hex}\n")
        tag = f"quayside-cache-probe:{uuid.uuid4().hex[:10]}"
        result = build_image(copy, tag=tag, dockerfile=dockerfile)
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
        return Check("cache_reused", "pass" if reused else "fail", reused, detail), result
    finally:
        docker.run(["rmi", "-f", tag], timeout=60, check=False)
