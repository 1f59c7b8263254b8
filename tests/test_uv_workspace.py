"""A uv workspace member as the app (the full-stack template's backend/): the workspace's uv.lock is above the
member's build context, so init exports the member's locked packages beside its Dockerfile, pinned with the
lock's hashes, and the image installs exactly those. The fixture's lock is real (`uv lock`, resolved as of
2025-06-01): its versions are older than today's, so an image that resolved again would differ."""

from __future__ import annotations

import re

import pytest

from quayside.errors import UserInputError
from quayside.init import InitRequest, plan_init
from quayside.inspection import uvworkspace
from support.projects import FIXTURES, copy_project


@pytest.fixture
def workspace(tmp_path):
    return copy_project(FIXTURES / "uv-workspace", tmp_path, "workspace")


def test_the_member_installs_the_locked_versions_with_their_hashes(workspace):
    text = uvworkspace.export(workspace / "service", workspace)
    pins = dict(re.findall(r"^([a-z0-9-]+)==([^ ;]+)", text, re.M))
    assert pins["fastapi"] == "0.115.12" and pins["starlette"] == "0.46.2" and pins["uvicorn"] == "0.34.2"
    assert "pytest" not in pins  # a dev group never reaches the image
    assert "service" not in pins  # the member itself is the project, installed from its source
    # a platform marker on the member's own edge is kept, for uv to evaluate on the image's platform
    assert re.search(r"^tzdata==\S+ ; \(sys_platform == 'win32'\) \\$", text, re.M)
    # every package carries the lock's hashes
    assert len(re.findall(r"^[a-z0-9-]+==", text, re.M)) == len(re.findall(r"^[a-z0-9-]+==\S+.*\\\n    --hash=sha256:", text, re.M))
    assert f"# lock sha256 {uvworkspace.lock_digest(workspace)}" in text


def test_init_writes_the_export_and_a_dockerfile_that_installs_only_it(workspace):
    plan = plan_init(workspace / "service", InitRequest())
    files = {w.name: w.content for w in plan.writes}
    assert files[uvworkspace.FILE] == uvworkspace.export(workspace / "service", workspace)
    assert "uv pip install --python /opt/venv/bin/python --no-deps --require-hashes -r requirements.workspace.txt" in files["Dockerfile"]
    assert plan.decisions["installer"].source == "../uv.lock"


def test_a_lock_that_moved_on_is_refused_at_build(workspace, monkeypatch):
    from quayside import build
    from quayside.init import apply_init

    member = workspace / "service"
    apply_init(plan_init(member, InitRequest()))
    assert not uvworkspace.stale(member, workspace)
    calls = []
    monkeypatch.setattr(build.docker, "engine_version", lambda: calls.append("engine"))  # never reached when stale
    lock = workspace / "uv.lock"
    lock.write_text(lock.read_text().replace('version = "0.115.12"', 'version = "0.115.13"', 1))
    assert uvworkspace.stale(member, workspace)
    with pytest.raises(UserInputError, match=re.escape("requirements.workspace.txt was written from an older ../uv.lock")):
        build.build_image(member, tag="t:1")
    assert calls == []


@pytest.mark.parametrize(("edit", "why"), [
    (lambda t: t.replace('name = "service"\nversion = "0.1.0"\nsource = { virtual = "service" }',
                         'name = "other"\nversion = "0.1.0"\nsource = { virtual = "service" }'), "no entry for the member"),
    (lambda t: t + '\n[[package]]\nname = "starlette"\nversion = "0.47.0"\nsource = { registry = "https://pypi.org/simple" }\n',
     "a resolution fork"),
    # the lock is data: nothing in it may become a requirements line of its own
    (lambda t: t.replace("marker = \"sys_platform == 'win32'\"", 'marker = "sys_platform == \'win32\'\\n--extra-index-url http://127.0.0.1:9/"', 1),
     "not one"),
    (lambda t: t.replace('name = "fastapi"\nversion = "0.115.12"', 'name = "fastapi"\nversion = "0.115.12 --index-url x"', 1),
     "is not a name, version and hashes"),
], ids=["member-missing", "fork", "marker-injection", "version-injection"])
def test_a_lock_this_reader_cannot_follow_falls_back_and_says_why(workspace, edit, why):
    from quayside.inspection import inspect_project

    lock = workspace / "uv.lock"
    lock.write_text(edit(lock.read_text()))
    with pytest.raises(uvworkspace.NotExportable, match=why):
        uvworkspace.export(workspace / "service", workspace)
    installer = inspect_project(workspace / "service").dependencies.installer
    assert "pip installs pyproject.toml's ranges, not the locked versions" in installer.reason and why in installer.reason
