"""Helpers every test module shares: where the example and fixture projects are, copying one, and proving a
tree unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "projects"


def copy_project(source: Path, dest_parent: Path, name: str | None = None) -> Path:
    dest = dest_parent / (name or source.name)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", ".venv", "Dockerfile", ".dockerignore"))
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and directory under root with a hash of its content: proves nothing was written."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            digest[rel] = "dir"
        else:
            try:
                digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:
                digest[rel] = "unreadable"
    return digest


def write(root: Path, files: dict[str, str]) -> Path:
    """A tiny project made of these files (name → content)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def commit_all(root: Path, when: str) -> None:
    """Make root a git repository whose one commit, of everything in it, is dated `when` (ISO 8601): the history
    a project checked out from its repository carries."""
    import subprocess

    dated = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    identity = ["-c", "user.name=quayside-tests", "-c", "user.email=tests@quayside.invalid", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "as checked out"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=dated, timeout=60)


@contextmanager
def verified_image(project: Path, tag: str, expect: str) -> Iterator[str]:
    """`quayside init`, then `quayside verify --expect` passing, then the image's tag for more checks; removed after."""
    from quayside.engine import docker

    run = [sys.executable, "-m", "quayside"]
    assert subprocess.run([*run, "init", str(project)], capture_output=True, check=False, timeout=120).returncode == 0
    try:
        proc = subprocess.run([*run, "verify", str(project), "-t", tag, "--expect", expect],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield tag
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def clean_and_stable(project: Path) -> None:
    """What init wrote passes check with zero findings, and a second init changes nothing."""
    from typer.testing import CliRunner

    from quayside.cli import app

    runner = CliRunner()
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output
    before = tree_digest(project)
    again = runner.invoke(app, ["init", str(project)])
    assert again.exit_code == 0, again.output
    assert tree_digest(project) == before
