from __future__ import annotations

import os
import shutil
import subprocess

import pytest

# quayside asks the package index which Python old exact pins have wheels for; tests send nothing past loopback
# (tests/test_index_wheels.py serves a fake index on 127.0.0.1)
os.environ["QUAYSIDE_OFFLINE"] = "1"
# The fixtures live inside quayside's own git repository: its history is not theirs (git's history dates when
# unpinned requirements resolve), so git stops looking for a repository below this checkout's root
os.environ["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _engine_problem() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "no docker CLI on PATH"
    try:
        proc = subprocess.run([docker, "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return "`docker version` timed out: no engine answers"
    if proc.returncode != 0 or not proc.stdout.strip():
        return f"no Docker engine answers ({(proc.stderr.strip().splitlines() or ['no output'])[0]})"
    buildx = subprocess.run([docker, "buildx", "version"], capture_output=True, text=True, timeout=20, check=False)
    if buildx.returncode != 0:
        return "the docker buildx plugin is missing"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("docker") for item in items):
        return
    problem = _engine_problem()
    if problem is None:
        return
    if os.environ.get("QUAYSIDE_REQUIRE_DOCKER") == "1":
        # CI provides an engine: a missing one there is a failure, not a skip
        raise pytest.UsageError(f"QUAYSIDE_REQUIRE_DOCKER=1 but {problem}")
    skip = pytest.mark.skip(reason=f"needs a Docker engine: {problem} (start one, e.g. ../shared/lab/up)")
    for item in items:
        if item.get_closest_marker("docker"):
            item.add_marker(skip)


@pytest.fixture
def fail_nth_replace(monkeypatch):
    """Make the n-th os.replace in quayside.files fail like a full disk: proves writes roll back."""
    import quayside.files as files

    def arm(n: int) -> None:
        real = os.replace
        calls = {"n": 0}

        def flaky(src, dst):
            calls["n"] += 1
            if calls["n"] == n:
                raise OSError(28, "No space left on device")
            return real(src, dst)

        monkeypatch.setattr(files.os, "replace", flaky)

    return arm


@pytest.fixture
def snapshot():
    """The one snapshot fixture: snapshot.assert_match(name, text)."""
    from support.snapshots import Snapshots

    return Snapshots()
