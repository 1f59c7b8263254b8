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
    # uvloop 0.14's shape: wheels up to 3.8 only
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


def _serve(handler: type[_Index], monkeypatch):
    """The handler as the package index quayside asks, on loopback, for the length of a test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("QUAYSIDE_OFFLINE", raising=False)
    monkeypatch.setenv("QUAYSIDE_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple")
    indexwheels.files_by_version.cache_clear()
    yield handler
    server.shutdown()
    handler.asked.clear()


@pytest.fixture
def index(monkeypatch):
    yield from _serve(_Index, monkeypatch)


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
    index.asked.clear()  # (the pins were asked about still: what they pull in may resolve as of their day)
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
    # nothing pinned was built past 3.10, which builds only ancient from source, and no Python builds none
    assert info.python_version.value == "3.10"
    assert "of 3.10's time" in info.python_version.reason and "pins ancient 0.14.0 with no Linux wheel" in info.python_version.reason
    alone = inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\nancient==0.14.0\n")).python_version
    assert alone.value == "3.8" and "newer than 3.8 (the newest: ancient 0.14.0)" in alone.reason
    assert "past its end of life, 2024-10" in alone.reason


def test_pins_all_older_than_the_default_take_the_python_of_their_time(tmp_path, index):
    """oldnumpy 1.24.4 serves 3.10 and 3.11 and purepy serves all: 3.12 would build nothing from source, yet
    nothing pinned was made for it."""
    info = inspect_project(project(tmp_path, "fastapi==0.70.0\nuvicorn==0.15.0\noldnumpy==1.24.4\npurepy==1.0\n"))
    assert info.python_version.value == "3.11" and info.python_version.source == "requirements.txt"
    assert "of 3.11's time" in info.python_version.reason


# Upload times as the index tells them (PEP 700), for the pin dating below: tortoise-orm 0.20.0's shape, whose
# requirements file pins it and its neighbours exactly but leaves pydantic to the resolver.
UPLOADED = {
    "oldorm": [("oldorm-0.20.0-py3-none-any.whl", "2023-08-11T03:44:09.734408Z"), ("oldorm-0.20.0.tar.gz", "2023-08-11T03:44:11Z")],
    "uvicorn": [("uvicorn-0.26.0-py3-none-any.whl", "2024-01-16T17:55:29.075640Z"),
                ("uvicorn-0.27.0-py3-none-any.whl", "2024-02-01T10:00:00Z")],
    "fastapi": [("fastapi-0.109.0-py3-none-any.whl", "2024-01-11T19:12:47Z")],
    "untimed": [("untimed-1.0-py3-none-any.whl", None)],
}


class _TimedIndex(_Index):
    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[-1]
        self.asked.append(name)
        if name not in UPLOADED:
            self.send_error(404)
            return
        files = [{"filename": f, **({"upload-time": t} if t else {})} for f, t in UPLOADED[name]]
        body = json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def timed_index(monkeypatch):
    yield from _serve(_TimedIndex, monkeypatch)


@pytest.mark.parametrize(("requirements", "pins"), [
    ("oldorm==0.20.0\nuvicorn==0.26.0\n", [("oldorm", "0.20.0"), ("uvicorn", "0.26.0")]),
    ("# a comment\nOldOrm[extra] == 0.20.0 ; python_version >= '3.8'\n-r more.txt\n", [("oldorm", "0.20.0"), ("uvicorn", "0.26.0")]),
    ("oldorm==0.20.0\nuvicorn>=0.26\n", None),  # a range: the resolver's to choose
    ("oldorm~=0.20.0\n", None),
    ("oldorm==0.20.*\n", None),
    ("oldorm==0.20.0\n-e .\n", None),  # the project's own dependencies are ranges
    ("oldorm==0.20.0\n./libs/thing\n", None),
    ("oldorm @ https://example.invalid/oldorm-0.20.0.tar.gz\n", None),
    ("oldorm==0.20.0 --hash=sha256:00\n", None),  # hashes: everything is pinned already
    ("--extra-index-url https://example.invalid/simple\noldorm==0.20.0\n", None),  # another index's times are not known
    ("", None),
], ids=["exact", "extras-marker-include", "range", "compatible", "wildcard", "editable", "local-path", "url", "hashes",
        "other-index", "empty"])
def test_exact_pins_are_every_requirement_or_none(tmp_path, requirements, pins):
    (tmp_path / "requirements.txt").write_text(requirements)
    (tmp_path / "more.txt").write_text("uvicorn==0.26.0\n")
    files = ("requirements.txt", "more.txt") if "-r more.txt" in requirements else ("requirements.txt",)
    assert indexwheels.exact_pins(tmp_path, files) == pins


def test_pins_are_dated_by_the_newest_pinned_release(tmp_path, timed_index):
    (tmp_path / "requirements.txt").write_text("oldorm==0.20.0\nuvicorn==0.26.0\n")
    assert indexwheels.pinned_as_of(tmp_path, ("requirements.txt",)) == ("2024-01-16T17:55:29Z", "uvicorn==0.26.0")
    (tmp_path / "requirements.txt").write_text("oldorm==0.20.0\nuntimed==1.0\n")
    assert indexwheels.pinned_as_of(tmp_path, ("requirements.txt",)) is None  # no upload time: nothing to date by
    (tmp_path / "requirements.txt").write_text("oldorm==0.20.0\nnowhere==1.0\n")
    assert indexwheels.pinned_as_of(tmp_path, ("requirements.txt",)) is None


def _dockerfile(root, **options):
    from quayside.inspection import inspect_project
    from quayside.plan.dockerfile import build_plan
    from quayside.plan.options import InitOptions
    from quayside.targets.docker import render_dockerfile

    return render_dockerfile(build_plan(inspect_project(root), InitOptions(**options)))


def test_exactly_pinned_requirements_resolve_as_of_their_newest_pin(tmp_path, timed_index):
    root = project(tmp_path, "fastapi==0.109.0\nuvicorn==0.26.0\noldorm==0.20.0\n")
    text = _dockerfile(root)
    assert "uv pip install --python /opt/venv/bin/python --exclude-newer 2024-01-17T00:00:00Z -r requirements.txt" in text
    assert "# Every requirement is pinned, but not what they pull in" in text
    (root / "requirements.txt").write_text("fastapi==0.109.0\nuvicorn>=0.26\n")
    assert "--exclude-newer" not in _dockerfile(root)


@pytest.mark.parametrize(("setting", "expected"), [
    ('"2023-09-01"', "--exclude-newer 2023-09-01T00:00:00Z"),
    ("2023-09-01", "--exclude-newer 2023-09-01T00:00:00Z"),  # a bare TOML date
    ("false", None),
])
def test_the_project_names_the_day_or_asks_for_todays_releases(tmp_path, timed_index, setting, expected):
    root = project(tmp_path, "fastapi==0.109.0\nuvicorn>=0.26\n" if expected else "fastapi==0.109.0\nuvicorn==0.26.0\n")
    (root / "pyproject.toml").write_text(f"[tool.quayside]\nresolve-before = {setting}\n")
    text = _dockerfile(root)
    if expected:
        assert expected in text and "# [tool.quayside] resolve-before: " in text
    else:
        assert "--exclude-newer" not in text


@pytest.mark.parametrize("setting", ['"last week"', '"2023-02-30"', "true", "20230901"])
def test_a_resolve_before_that_is_no_day_is_refused(tmp_path, setting):
    from quayside.errors import UserInputError
    from quayside.inspection import inspect_project

    root = project(tmp_path, "fastapi==0.109.0\nuvicorn==0.26.0\n")
    (root / "pyproject.toml").write_text(f"[tool.quayside]\nresolve-before = {setting}\n")
    with pytest.raises(UserInputError, match="resolve-before must be a day"):
        inspect_project(root)


def test_requirements_resolved_as_of_a_day_get_the_python_of_that_day(tmp_path, timed_index):
    """Cypher-App's shape: fastapi==0.78.0 and friends, of 2022. Resolved as of then they get pydantic 1.9.1,
    which fails to start on 3.12; 3.10 was that day's Python (3.11 came in 2022-10)."""
    UPLOADED["fastapi"].append(("fastapi-0.78.0-py3-none-any.whl", "2022-05-14T09:00:00Z"))
    UPLOADED["uvicorn"].append(("uvicorn-0.17.6-py3-none-any.whl", "2022-03-11T10:00:00Z"))
    try:
        root = project(tmp_path, "fastapi==0.109.0\nuvicorn==0.26.0\n")
        assert inspect_project(root).python_version.value == "3.12"  # 2024-01-17: 3.12 had been out for months
        (root / "requirements.txt").write_text("fastapi==0.78.0\nuvicorn==0.17.6\n")
        decided = inspect_project(root).python_version
        assert decided.value == "3.10" and "resolves as of 2022-05-15 (the day after the newest pin" in decided.reason
        (root / "requirements.txt").write_text("fastapi==0.78.0\nuvicorn>=0.17\n")  # a range: resolved today
        assert inspect_project(root).python_version.value == "3.12"
        (root / "pyproject.toml").write_text('[tool.quayside]\nresolve-before = "2021-12-01"\n')
        decided = inspect_project(root).python_version
        assert decided.value == "3.9" and "resolves as of 2021-12-01 ([tool.quayside] resolve-before)" in decided.reason
        (root / "requirements.txt").write_text("fastapi==0.78.0\nuvicorn==0.17.6\n")
        (root / "pyproject.toml").write_text("[tool.quayside]\nresolve-before = false\n")
        assert inspect_project(root).python_version.value == "3.12"
    finally:
        UPLOADED["fastapi"].pop()
        UPLOADED["uvicorn"].pop()


def test_a_lock_that_names_no_files_is_completed_from_the_index(tmp_path, index):
    """LittleRookie1706/mini_project's poetry.lock (lock-version 1.1, `cffi = []` under [metadata.files]): with no
    wheel named, the index says which Pythons its locked releases were built for."""
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "p"\nversion = "1"\n[tool.poetry.dependencies]\n'
                                             'python = "^3.8"\nfastapi = "*"\nuvicorn = "*"\noldbinary = "*"\n')
    packages = "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\ncategory = "main"\noptional = false\npython-versions = "*"\n\n'
                       for n, v in (("fastapi", "0.70.0"), ("uvicorn", "0.15.0"), ("oldbinary", "2.9.1")))
    (tmp_path / "poetry.lock").write_text(packages + '[metadata]\nlock-version = "1.1"\npython-versions = "^3.8"\n'
                                          'content-hash = "x"\n\n[metadata.files]\nfastapi = []\nuvicorn = []\noldbinary = []\n')
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    info = inspect_project(tmp_path)
    assert info.python_version.value == "3.10" and "oldbinary 2.9.1" in info.python_version.reason
    assert "oldbinary" in index.asked
