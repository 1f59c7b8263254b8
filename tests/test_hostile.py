"""A hostile corpus, made at test time (nothing big is committed): FIFOs, huge sparse files, deep nesting in
TOML, YAML and Python, bytes that are not UTF-8, concurrent runs, a read-only folder (as a user its mode applies to). Every command gives one
message and its documented exit code (or 0, skipping what it cannot read), never a traceback, never a hang
(each run has a timeout), and nothing outside the project changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from support.projects import tree_digest

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
REQ = "fastapi[standard]\n"
TIMEOUT = 60


def _project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name, content in {"main.py": APP, "requirements.txt": REQ, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _quayside(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _clean(proc: subprocess.CompletedProcess[str], codes: set[int]) -> None:
    assert proc.returncode in codes, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count("error:") <= 1


# (case, files, {command: allowed exit codes})
DEEP = 5000
CASES = [
    pytest.param({"pyproject.toml": "[a]\nx = " + "[" * DEEP + "]" * DEEP + "\n"},
                 {"inspect": {2}, "init": {2}, "check": {2}}, id="deep-toml"),
    pytest.param({"main.py": APP + "x = " + "(" * DEEP + "1" + ")" * DEEP + "\n"},
                 {"inspect": {2}, "init": {2}, "check": {0, 1}}, id="deep-python"),
    pytest.param({"compose.yaml": "services:\n  app:\n    x: " + "[" * DEEP + "]" * DEEP + "\n"},
                 {"inspect": {0}, "init --target compose": {0}, "check": {1}}, id="deep-compose-yaml"),  # theirs, left alone
    pytest.param({"main.py": b"\xff\xfe" + APP.encode("utf-16-le")},
                 {"inspect": {2}, "init": {2}, "check": {0, 1}}, id="non-utf8-python"),
    pytest.param({"Dockerfile": b"FROM python:3.12\n\xff\xfe\x00RUN x\n"},
                 {"inspect": {0}, "check": {1}}, id="non-utf8-dockerfile"),
]


@pytest.mark.parametrize(("files", "commands"), CASES)
def test_hostile_files(tmp_path, files, commands):
    project = _project(tmp_path, files)
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "keep.txt").write_text("untouched")
    before = tree_digest(tmp_path)
    for command, codes in commands.items():
        proc = _quayside(*command.split()[:1], str(project), *command.split()[1:])
        _clean(proc, codes)
    if all(codes == {2} for command, codes in commands.items() if command.startswith("init")):
        assert tree_digest(tmp_path) == before  # refused: nothing written anywhere


@pytest.mark.parametrize("requirements", [REQ, "command-not-found==0.3\nfastapi[standard]==0.115.2\n"],
                         ids=["requirements", "system-freeze"])  # a system freeze reads the code's imports
def test_a_fifo_named_like_python_never_hangs(tmp_path, requirements):
    project = _project(tmp_path, {"requirements.txt": requirements})
    os.mkfifo(project / "evil.py")
    os.mkfifo(project / "Dockerfile.dev")
    for command in (["inspect"], ["check"], ["init", "--dry-run"]):
        _clean(_quayside(command[0], str(project), *command[1:]), {0, 1})


def test_a_huge_sparse_dockerfile_is_not_read_whole(tmp_path):
    project = _project(tmp_path, {})
    with (project / "Dockerfile").open("wb") as handle:
        handle.truncate(6 * 1024**3)
    proc = _quayside("check", str(project))
    _clean(proc, {1})
    assert "larger than quayside reads" in proc.stdout


def test_concurrent_inits_leave_one_complete_result(tmp_path):
    project = _project(tmp_path, {})
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        results.append(_quayside("init", str(project), "--target", "compose"))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 10)
    for proc in results:
        _clean(proc, {0, 2})
    assert any(proc.returncode == 0 for proc in results)
    assert not list(project.rglob("*.quayside-tmp"))
    assert not list(project.rglob("*.quayside-backup"))
    assert not (project / ".quayside-journal").exists()
    # whatever interleaving happened, the result is exactly what one run writes: a second run changes nothing
    again = _quayside("init", str(project), "--target", "compose")
    _clean(again, {0})
    assert "create" not in again.stdout
    assert "overwrite" not in again.stdout


def _as_unprivileged(command: list[str]) -> list[str]:
    """Root ignores file modes, so as root the command runs as nobody (setpriv); otherwise as this user."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot stop root")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]


FIXABLE = {"Dockerfile": "FROM python:3.12\nCOPY . /app\nCMD uvicorn main:app\n"}  # QS001's safe fix: exec form


@pytest.mark.parametrize(("command", "files"), [(["init"], {}), (["init", "--target", "compose"], {}), (["check", "--fix"], FIXABLE)])
def test_a_read_only_project_is_refused_with_nothing_written(command, files):
    """A real read-only folder (mode 0555, and a user the mode applies to): one message, exit 2, nothing changed."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        base.chmod(0o755)  # nobody must reach the project to read it
        project = _project(base, files)
        for path in (project, *project.iterdir()):
            path.chmod(0o555 if path.is_dir() else 0o444)
        before = tree_digest(base)
        proc = subprocess.run(_as_unprivileged([sys.executable, "-m", "quayside", command[0], str(project), *command[1:]]),
                              capture_output=True, text=True, timeout=TIMEOUT, check=False, env={**os.environ, "HOME": scratch})
        project.chmod(0o755)  # let the temporary folder be removed
        _clean(proc, {2})
        assert "read-only" in proc.stderr or "permission" in proc.stderr.lower(), proc.stderr
        assert tree_digest(base) == before
