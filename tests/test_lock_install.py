"""Poetry and PDM projects install from their real lock files (made here with `poetry lock` and `pdm lock`),
read by the script the generated Dockerfile runs: no Poetry, no PDM, no resolver in the image.

The script is run here by this interpreter with pip's vendored packaging, as the builder runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quayside.engine import docker
from support.projects import FIXTURES, copy_project

SCRIPT = Path(__file__).resolve().parents[1] / "src" / "quayside" / "templates" / "dockerfile" / "lock_requirements.py"
LOCKS = [("poetry-locked", "poetry.lock", "python-slugify==8.0.4"), ("pdm-locked", "pdm.lock", "python-slugify==9.2.0")]


def _export(project: Path, lock: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), lock], cwd=project, capture_output=True, text=True, check=False,
                          timeout=60)


def _names(output: str) -> set[str]:
    return {line.split("==")[0].split(" @ ")[0].lower() for line in output.splitlines()}


@pytest.mark.parametrize(("project", "lock", "pin"), LOCKS)
def test_the_main_group_pinned_with_hashes(project, lock, pin):
    result = _export(FIXTURES / project, lock)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(pin + " --hash=sha256:") for line in lines)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==\S+( --hash=sha256:[0-9a-f]{64})+", line) for line in lines)
    names = _names(result.stdout)
    assert {"fastapi", "uvicorn", "uvloop", "httptools"} <= names  # fastapi[standard] and uvicorn[standard]
    assert "pytest" not in names and "iniconfig" not in names  # the dev group
    assert "colorama" not in names  # Windows only: the markers are evaluated for this platform


@pytest.mark.parametrize(("project", "lock", "pin"), LOCKS)
def test_locks_without_groups_are_walked_from_pyproject_to_the_same_set(tmp_path, project, lock, pin):
    """Older locks (Poetry 1.5–1.8, PDM without inherit_metadata) record no groups: the graph walk must agree."""
    old = tmp_path / project
    old.mkdir()
    shutil.copy(FIXTURES / project / "pyproject.toml", old)
    text = (FIXTURES / project / lock).read_text()
    (old / lock).write_text(re.sub(r"(?m)^(groups|markers?) = .*\n", "", text))
    assert "groups" not in (old / lock).read_text()
    assert _names(_export(old, lock).stdout) == _names(_export(FIXTURES / project, lock).stdout)


def test_a_lock_older_than_pyproject_is_named(tmp_path):
    old = tmp_path / "p"
    old.mkdir()
    (old / "pyproject.toml").write_text((FIXTURES / "pdm-locked" / "pyproject.toml").read_text().replace(
        '"python-slugify>=8.0"', '"python-slugify>=8.0", "not-in-the-lock>=1"'))
    (old / "pdm.lock").write_text(re.sub(r"(?m)^(groups|marker) = .*\n", "", (FIXTURES / "pdm-locked" / "pdm.lock").read_text()))
    result = _export(old, "pdm.lock")
    assert result.returncode != 0
    assert "no entry for not-in-the-lock" in result.stderr and "update it" in result.stderr


@pytest.mark.docker
@pytest.mark.parametrize(("project", "lock", "pin"), LOCKS)
def test_live_lock_builds_verify(tmp_path, project, lock, pin):
    root = copy_project(FIXTURES / project, tmp_path)
    run = [sys.executable, "-m", "quayside"]
    assert subprocess.run([*run, "init", str(root)], capture_output=True, check=False, timeout=120).returncode == 0
    dockerfile = (root / "Dockerfile").read_text()
    assert "poetry install" not in dockerfile and "pdm export" not in dockerfile
    version = pin.split("==")[1]
    tag = f"quayside-test/{project}:1"
    try:
        proc = subprocess.run([*run, "verify", str(root), "-t", tag, "--expect",
                               f'/health={{"slug":"hello-lock","slugify":"{version}","dev_installed":false}}'],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


@pytest.mark.parametrize(("project", "lock", "pin"), LOCKS)
def test_groups_named_after_the_lock_join_the_main_one(tmp_path, project, lock, pin):
    """`python - poetry.lock dev`: the dev group too (the project's own image ran `poetry install --with dev`),
    read by group and by the walk of an older lock alike; without it, the main group alone."""
    grouped = subprocess.run([sys.executable, str(SCRIPT), lock, "dev"], cwd=FIXTURES / project, capture_output=True,
                             text=True, check=False, timeout=60)
    assert grouped.returncode == 0, grouped.stderr
    assert "pytest" in _names(grouped.stdout) and "pytest" not in _names(_export(FIXTURES / project, lock).stdout)
    assert _names(_export(FIXTURES / project, lock).stdout) < _names(grouped.stdout)
    old = tmp_path / project
    old.mkdir()
    shutil.copy(FIXTURES / project / "pyproject.toml", old)
    (old / lock).write_text(re.sub(r"(?m)^(groups|markers?) = .*\n", "", (FIXTURES / project / lock).read_text()))
    walked = subprocess.run([sys.executable, str(SCRIPT), lock, "dev"], cwd=old, capture_output=True, text=True,
                            check=False, timeout=60)
    assert _names(walked.stdout) == _names(grouped.stdout)
