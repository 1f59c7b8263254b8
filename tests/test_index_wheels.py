"""Exact pins of a requirements file, and the Python whose wheels they have, asked of a package index (here a
fake one on 127.0.0.1: tests send nothing past loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from quayside.inspection import indexwheels, inspect_project

# what a 2021 requirements file pins: wheels up to CPython 3.10, and a pure-Python release
RELEASES = {
    "oldbinary": ["oldbinary-2.9.1.tar.gz", "oldbinary-2.9.1-cp39-cp39-manylinux_2_17_x86_64.whl",
                  "oldbinary-2.9.1-cp310-cp310-manylinux_2_17_x86_64.whl", "oldbinary-2.9.9-cp312-cp312-manylinux_2_17_x86_64.whl"],
    "purepy": ["purepy-1.0-py3-none-any.whl"],
    # numpy's shape: 1.24.x has wheels up to 3.11; a later minor has 3.12's
    "oldnumpy": ["oldnumpy-1.24.2.tar.gz", "oldnumpy-1.24.2-cp311-cp311-manylinux_2_17_x86_64.whl",
                 "oldnumpy-1.24.4.tar.gz", "oldnumpy-1.24.4-cp310-cp310-manylinux_2_17_x86_64.whl",
                 "oldnumpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.whl", "oldnumpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                 "oldnumpy-2.0.0rc1-cp313-cp313-manylinux_2_17_x86_64.whl"],
    # uvloop 0.14's shape: wheels up to 3.8 only, older than any Python quayside builds on
    "ancient": ["ancient-0.14.0.tar.gz", "ancient-0.14.0-cp38-cp38-manylinux2010_x86_64.whl"],
    "fastapi": ["fastapi-0.70.0-py3-none-any.whl"],
    "uvicorn": ["uvicorn-0.15.0-py3-none-any.whl"],
}


class _Index(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[-1]
        self.asked.append(name)
        files = RELEASES.get(name)
        if files is None:
            self.send_error(404)
            return
        body = json.dumps({"files": [{"filename": f} for f in files]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("QUAYSIDE_OFFLINE", raising=False)
    monkeypatch.setenv("QUAYSIDE_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple")
    indexwheels.files_by_version.cache_clear()
    yield _Index
    server.shutdown()
    _Index.asked.clear()


def project(tmp_path, requirements: str):
    (tmp_path / "requirements.txt").write_text(requirements)
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    return tmp_path


def test_old_pins_move_python_to_one_their_wheels_serve(tmp_path, index):
    info = inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldbinary==2.9.1\npurepy==1.0\nranged>=1\n"))
    assert info.python_version.value == "3.10"
    assert "oldbinary 2.9.1" in info.python_version.reason and info.python_version.source == "requirements.txt"
    assert "ranged" not in index.asked  # only exact pins are asked about


def test_pins_with_wheels_for_the_default_keep_it(tmp_path, index):
    assert inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldbinary==2.9.9\n")).python_version.value == "3.12"


def test_python_version_file_and_offline_are_honoured(tmp_path, index, monkeypatch):
    root = project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldbinary==2.9.1\n")
    (root / ".python-version").write_text("3.12\n")
    assert inspect_project(root).python_version.value == "3.12"  # the project's own pin wins
    (root / ".python-version").unlink()
    monkeypatch.setenv("QUAYSIDE_OFFLINE", "1")
    assert inspect_project(root).python_version.value == "3.12"
    assert index.asked == []  # offline: nothing asked


def test_an_index_that_does_not_answer_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("QUAYSIDE_OFFLINE", raising=False)
    monkeypatch.setenv("QUAYSIDE_INDEX_URL", "http://127.0.0.1:9/simple")  # discard port: refused
    indexwheels.files_by_version.cache_clear()
    assert inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldbinary==2.9.1\n")).python_version.value == "3.12"


@pytest.mark.parametrize(("requirement", "python"), [
    ("oldnumpy~=1.24.2", "3.11"),  # installs 1.24.4: wheels up to 3.11
    ("oldnumpy<1.25", "3.11"),
    ("oldnumpy>=1.24,<1.27", "3.12"),  # installs 1.26.0, which has 3.12's
    ("oldnumpy>=1.24", "3.12"),  # no upper bound: not asked about
], ids=["compatible-release", "upper-bound", "newest-admitted-has-wheels", "unbounded"])
def test_a_bounded_range_counts_as_a_pin_of_the_newest_release_it_admits(tmp_path, index, requirement, python):
    info = inspect_project(project(tmp_path, f"fastapi==0.70.0\nuvicorn==0.15.0\n{requirement}\n"))
    assert info.python_version.value == python
    if python == "3.11":
        assert "oldnumpy 1.24.4" in info.python_version.reason
    assert ("oldnumpy" in index.asked) == (requirement != "oldnumpy>=1.24")


def test_with_no_python_serving_every_pin_the_fewest_build_from_source(tmp_path, index):
    info = inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldbinary==2.9.1\nancient==0.14.0\n"))
    # 3.12 builds both from source; 3.10 (nearest older with oldbinary's wheel) builds only ancient
    assert info.python_version.value == "3.10"
    assert "the fewest to build from source (ancient 0.14.0)" in info.python_version.reason
    alone = inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\nancient==0.14.0\n")).python_version
    assert alone.value == "3.12" and "nor for any Python the project allows: they build from source" in alone.reason
