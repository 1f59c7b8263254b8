"""Unpinned requirements resolve as of the project's last commit (its git history), not with today's releases:
what its authors could have installed. Each case shows the history deciding, or why it cannot."""

from __future__ import annotations

import os

import pytest

from quayside.engine import git
from quayside.inspection import inspect_project
from quayside.plan.dockerfile import build_plan
from quayside.plan.options import InitOptions
from quayside.targets.docker import render_dockerfile
from support.projects import commit_all, write

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
UNPINNED = "fastapi\nuvicorn\nsqlalchemy\n"


def _dockerfile(root):
    return render_dockerfile(build_plan(inspect_project(root), InitOptions()))


def _project(tmp_path, requirements=UNPINNED):
    return write(tmp_path / "app", {"main.py": APP, "requirements.txt": requirements})


def test_unpinned_requirements_resolve_as_of_the_day_after_the_last_commit(tmp_path):
    root = _project(tmp_path)
    commit_all(root, "2025-06-26T10:52:45+00:00")
    text = _dockerfile(root)
    assert "uv pip install --python /opt/venv/bin/python --exclude-newer 2025-06-27T00:00:00Z -r requirements.txt" in text
    assert "# the day after the project's last commit, as when its authors last ran them" in text
    plan = build_plan(inspect_project(root), InitOptions())
    assert plan.decisions["resolve_before"].source.startswith("git history (")


def test_a_commit_late_in_the_day_west_of_utc_counts_by_its_utc_day(tmp_path):
    root = _project(tmp_path)
    commit_all(root, "2025-06-26T23:30:00-07:00")  # 2025-06-27 06:30 UTC: releases of that morning were there
    assert "--exclude-newer 2025-06-28T00:00:00Z" in _dockerfile(root)


@pytest.mark.parametrize("change", ["edited", "untracked", "ignored"])
def test_requirements_changed_since_the_last_commit_resolve_with_todays_releases(tmp_path, change):
    root = _project(tmp_path)
    if change == "ignored":
        (root / ".gitignore").write_text("requirements.txt\n")
        commit_all(root, "2025-06-26T10:52:45+00:00")
    elif change == "untracked":
        (root / "requirements.txt").rename(tmp_path / "kept")
        commit_all(root, "2025-06-26T10:52:45+00:00")
        (tmp_path / "kept").rename(root / "requirements.txt")
    else:
        commit_all(root, "2025-06-26T10:52:45+00:00")
        (root / "requirements.txt").write_text(UNPINNED + "httpx\n")
    assert "--exclude-newer" not in _dockerfile(root)


def test_a_change_elsewhere_in_the_project_keeps_the_history(tmp_path):
    root = _project(tmp_path)
    commit_all(root, "2025-06-26T10:52:45+00:00")
    (root / "main.py").write_text(APP + "# edited\n")
    assert "--exclude-newer 2025-06-27T00:00:00Z" in _dockerfile(root)


def test_the_project_asks_for_todays_releases(tmp_path):
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.quayside]\nresolve-before = false\n")
    commit_all(root, "2025-06-26T10:52:45+00:00")
    assert "--exclude-newer" not in _dockerfile(root)


def test_a_project_folder_of_a_larger_repository_takes_its_own_last_commit(tmp_path):
    repo = write(tmp_path / "repo", {"backend/main.py": APP, "backend/requirements.txt": UNPINNED})
    commit_all(repo, "2024-03-01T12:00:00+00:00")
    (repo / "README.md").write_text("later\n")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2025-01-10T12:00:00+00:00", "GIT_COMMITTER_DATE": "2025-01-10T12:00:00+00:00"}
    import subprocess

    for args in (["add", "README.md"], ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "readme"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)
    assert "--exclude-newer 2024-03-02T00:00:00Z" in _dockerfile(repo / "backend")


def test_no_history_no_git_or_a_lock_leaves_todays_releases(tmp_path, monkeypatch):
    root = _project(tmp_path)
    assert "--exclude-newer" not in _dockerfile(root)  # not a repository
    commit_all(root, "2025-06-26T10:52:45+00:00")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert git.last_change(root, ("requirements.txt",)) is None
    assert "--exclude-newer" not in _dockerfile(root)
