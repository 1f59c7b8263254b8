"""A Pipenv project (Andriinef/trading_app: Pipfile and Pipfile.lock, no other dependency file): init writes the
lock's default packages, pinned with its hashes, and the image installs exactly those, with no Pipenv in it. The
fixture's lock is real (`pipenv lock` against the simple index, fastapi[standard] and python-slugify==8.0.4, pytest
as a dev package)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from quayside.errors import UserInputError
from quayside.init import InitRequest, apply_init, plan_init
from quayside.inspection import inspect_project, pipfilelock
from support.projects import FIXTURES, copy_project


@pytest.fixture
def project(tmp_path):
    return copy_project(FIXTURES / "pipenv-locked", tmp_path)


def _edit_lock(project, edit) -> None:
    lock = project / "Pipfile.lock"
    data = json.loads(lock.read_text())
    edit(data)
    lock.write_text(json.dumps(data, indent=4))


def test_the_default_packages_are_pinned_with_their_hashes(project):
    text = pipfilelock.export(project)
    pins = dict(re.findall(r"^([a-z0-9-]+)(?:\[[a-z,]+\])?==([^ ;]+)", text, re.M))
    assert pins["python-slugify"] == "8.0.4" and pins["fastapi"] == "0.165.0"
    assert "pytest" not in pins and "iniconfig" not in pins  # the develop section never reaches the image
    assert re.search(r"^fastapi\[standard\]==0\.165\.0 ; python_version >= '3\.11' \\$", text, re.M)  # extras and markers kept
    lock = json.loads((project / "Pipfile.lock").read_text())
    assert len(pins) == len(lock["default"])
    # every package carries all of the lock's hashes
    for name, entry in lock["default"].items():
        block = re.search(rf"^{re.escape(name)}(?:\[[a-z,]+\])?==.*?(?=^\S|\Z)", text, re.M | re.S)
        assert block is not None and sorted(re.findall(r"--hash=(\S+)", block[0])) == sorted(entry["hashes"]), name
    assert f"# Pipfile.lock sha256 {pipfilelock.lock_digest(project)}" in text


def test_inspect_reads_the_lock_and_its_python(project):
    found = inspect_project(project)
    assert found.dependencies.installer.source == "Pipfile.lock"
    assert found.dependencies.files == (pipfilelock.FILE,)
    assert {d.name for d in found.dependencies.declared} == {"fastapi", "python-slugify"}  # what the Pipfile asks for
    assert found.to_json()["python_version"] == "3.11"
    assert found.to_json()["sources"]["python_version"] == "Pipfile.lock _meta.requires"


def test_init_writes_the_export_and_a_dockerfile_that_installs_only_it(project):
    from quayside.check import run_check

    plan = plan_init(project, InitRequest())
    files = {w.name: w.content for w in plan.writes}
    assert files[pipfilelock.FILE] == pipfilelock.export(project)
    assert "--require-hashes" in files["Dockerfile"] and pipfilelock.FILE in files["Dockerfile"]
    assert not re.search(r"pipenv (install|sync)|pip install pipenv", files["Dockerfile"])  # no Pipenv in the image
    apply_init(plan)
    assert run_check(project).findings == []
    again = {w.name: w.content for w in plan_init(project, InitRequest(force=True)).writes}
    assert again[pipfilelock.FILE] == files[pipfilelock.FILE] and again["Dockerfile"] == files["Dockerfile"]  # byte-stable


def test_a_lock_that_moved_on_is_refused_at_build(project, monkeypatch):
    from quayside import build

    apply_init(plan_init(project, InitRequest()))
    assert not pipfilelock.stale(project)
    calls = []
    monkeypatch.setattr(build.docker, "engine_version", lambda: calls.append("engine"))  # never reached when stale
    _edit_lock(project, lambda data: data["default"]["python-slugify"].update(version="==8.0.3"))
    assert pipfilelock.stale(project)
    with pytest.raises(UserInputError, match=re.escape("requirements.pipenv.txt was written from an older Pipfile.lock")):
        build.build_image(project, tag="t:1")
    assert calls == []


@pytest.mark.parametrize(("edit", "why"), [
    (lambda d: d["default"].update({"mylib": {"git": "https://example.invalid/mylib.git", "ref": "abc"}}),
     "mylib comes from a git source, not from an index"),
    (lambda d: d["default"].update({"local": {"path": ".", "editable": True}}), "local comes from a path source"),
    (lambda d: d["default"]["python-slugify"].pop("hashes"), "python-slugify 8.0.4 has no hashes"),
    (lambda d: d["default"]["python-slugify"].update(version=">=8"), "python-slugify has no exact version"),
    # the lock is data: nothing in it may become a requirements line of its own
    (lambda d: d["default"]["python-slugify"].update(markers="python_version >= '3'\n--extra-index-url http://127.0.0.1:9/"),
     "markers that are not one line"),
    (lambda d: d["default"]["python-slugify"].update(version="==8.0.4 --index-url x"), "has no exact version"),
    (lambda d: d["default"].update({"bad name\n-e .": {"version": "==1"}}), "is not a package name"),
    (lambda d: d.update(default={}), "holds no package"),
], ids=["git", "path", "no-hashes", "range", "marker-injection", "version-injection", "name-injection", "empty"])
def test_a_lock_that_cannot_be_pinned_is_one_clear_error_and_nothing_is_written(project, edit, why):
    _edit_lock(project, edit)
    before = sorted(p.name for p in project.iterdir())
    result = subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Pipfile.lock cannot be installed without Pipenv" in result.stderr and why in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in project.iterdir()) == before


def test_a_requirements_txt_beside_the_lock_is_what_installs(project):
    """Jiyanson's stock monitor keeps Pipfile.lock beside a requirements.txt its Dockerfile installs: that file
    installs, and the lock's Python does not decide the image's."""
    (project / "requirements.txt").write_text("fastapi[standard]\npython-slugify\n")
    found = inspect_project(project)
    assert found.dependencies.installer.source == "requirements.txt" and found.dependencies.files == ("requirements.txt",)
    assert found.to_json()["python_version"] == "3.12"
