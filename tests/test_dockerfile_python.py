"""The Python a project's own Dockerfile runs the app on, when nothing else in the project names one
(joseantoniogahez/tech_fastapi_react_postgres_docker: `ARG PYTHON_VERSION=3.14.3`, `FROM python:${…}-slim`, and code
that needs 3.14). Found / left-alone tables, as pyupgrade's; init keeps it in a marker and stays byte-stable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection import inspect_project
from quayside.inspection.pyversion import dockerfile_python
from support.projects import clean_and_stable, write

runner = CliRunner()
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
REQ = {"requirements.txt": "fastapi\nuvicorn\n"}
TAIL = "COPY . /app\nCMD [\"uvicorn\", \"main:app\"]\n"

FOUND = [
    ("slim", "FROM python:3.13-slim\n", "3.13", "Dockerfile:1"),
    ("patch-release", "FROM python:3.14.3-slim-bookworm\n", "3.14", "Dockerfile:1"),
    ("bare-minor", "FROM python:3.11\n", "3.11", "Dockerfile:1"),
    ("arg-default", "ARG PYTHON_VERSION=3.14.3\nFROM python:${PYTHON_VERSION}-slim\n", "3.14", "Dockerfile:2"),
    ("uv-image", "FROM ghcr.io/astral-sh/uv:python3.13-bookworm-slim\n", "3.13", "Dockerfile:1"),
    ("tiangolo-image", "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\n", "3.11", "Dockerfile:1"),
    ("the-final-stage-counts", "FROM python:3.11 AS build\nRUN true\nFROM python:3.13-slim\n", "3.13", "Dockerfile:3"),
    ("through-a-stage-chain", "FROM python:3.13-slim AS base\nFROM base AS run\n", "3.13", "Dockerfile:1"),
    ("digest-pinned", "FROM python:3.12-slim@sha256:" + "0" * 64 + "\n", "3.12", "Dockerfile:1"),
]

LEFT_ALONE = [
    ("end-of-life", "FROM python:3.9-slim\n"),  # history, not a requirement: the pins decide
    ("older-than-quayside-knows", "FROM python:3.7\n"),
    ("latest", "FROM python:latest\n"),
    ("major-only", "FROM python:3-slim\n"),
    ("no-tag", "FROM python\n"),
    ("not-a-python-image", "FROM ubuntu:24.04\n"),
    ("an-unset-arg", "ARG PYTHON_VERSION\nFROM python:${PYTHON_VERSION}-slim\n"),
    ("a-python-image-in-a-builder-only", "FROM python:3.13 AS build\nFROM debian:bookworm-slim\n"),
    ("unparsable", "FROM\n"),
]


@pytest.mark.parametrize(("case", "text", "version", "source"), FOUND, ids=[c[0] for c in FOUND])
def test_found(tmp_path, case, text, version, source):
    project = write(tmp_path / "p", {"main.py": APP, **REQ, "Dockerfile": text + TAIL})
    found = dockerfile_python(project)
    assert found is not None and (found.value, found.source) == (version, source)
    assert inspect_project(project).python_version.value == version


@pytest.mark.parametrize(("case", "text"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path, case, text):
    project = write(tmp_path / "p", {"main.py": APP, **REQ, "Dockerfile": text + TAIL})
    assert dockerfile_python(project) is None
    assert inspect_project(project).python_version.source == "default"


@pytest.mark.parametrize(("declared", "source"), [
    ({".python-version": "3.12\n"}, ".python-version"),
    ({"runtime.txt": "python-3.12.4\n"}, "runtime.txt"),
    ({"pyproject.toml": "[project]\nname = 'p'\nversion = '0'\nrequires-python = '>=3.11,<3.13'\n"},
     "pyproject.toml requires-python"),
])
def test_what_the_project_declares_comes_first(tmp_path, declared, source):
    project = write(tmp_path / "p", {"main.py": APP, **REQ, "Dockerfile": "FROM python:3.13-slim\n" + TAIL, **declared})
    decided = inspect_project(project).python_version
    assert (decided.value, decided.source) == ("3.12", source)


def test_a_dockerfile_linked_from_elsewhere_is_not_read(tmp_path):
    import os

    outside = write(tmp_path / "outside", {"Dockerfile": "FROM python:3.13-slim\n" + TAIL})
    project = write(tmp_path / "p", {"main.py": APP})
    os.symlink(outside / "Dockerfile", project / "Dockerfile")
    assert dockerfile_python(project) is None


def test_init_keeps_the_python_and_a_second_init_changes_nothing(tmp_path):
    project = write(tmp_path / "p", {"main.py": APP, **REQ,
                                     "Dockerfile": "ARG PY=3.13.1\nFROM python:${PY}-slim\n" + TAIL})
    result = runner.invoke(app, ["init", str(project), "--force"])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert "# quayside-python: 3.13\n" in dockerfile and "FROM python:3.13" in dockerfile
    # the marker is what the next init reads: the old Dockerfile is gone, the Python is not
    decided = inspect_project(project).python_version
    assert decided.value == "3.13" and "(quayside-python)" in decided.source
    clean_and_stable(project)


def test_a_python_the_user_picks_instead_writes_no_marker(tmp_path):
    project = write(tmp_path / "p", {"main.py": APP, **REQ,
                                     "Dockerfile": "FROM python:3.13-slim\n" + TAIL})
    result = runner.invoke(app, ["init", str(project), "--force", "--python", "3.12"])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert "quayside-python" not in dockerfile and "FROM python:3.12" in dockerfile


@pytest.mark.parametrize("marker", ["3.9", "3.99", "latest"])
def test_a_marker_quayside_would_not_pick_is_ignored(tmp_path, marker):
    project = write(tmp_path / "p", {"main.py": APP, **REQ,
                                     "Dockerfile": "FROM python:3.13-slim\n" + TAIL})
    assert runner.invoke(app, ["init", str(project), "--force"]).exit_code == 0
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("# quayside-python: 3.13", f"# quayside-python: {marker}"))
    assert dockerfile_python(project) is None


def test_a_users_comment_is_no_marker(tmp_path):
    project = write(tmp_path / "p", {"main.py": APP,
                                     "Dockerfile": "# quayside-python: 3.13\nFROM ubuntu:24.04\n" + TAIL})
    assert dockerfile_python(project) is None


def test_a_python_the_project_declares_writes_no_marker_even_when_the_dockerfile_agrees(tmp_path):
    """The marker keeps what only the old Dockerfile said (fastapi/full-stack-fastapi-template: requires-python
    >=3.14 and `FROM python:3.14`: the pyproject decides, and says so again next time)."""
    project = write(tmp_path / "p", {"main.py": APP, "Dockerfile": "FROM python:3.13-slim\n" + TAIL,
                                     "pyproject.toml": "[project]\nname = 'p'\nversion = '0'\nrequires-python = '>=3.13'\n"
                                                       "dependencies = ['fastapi', 'uvicorn']\n"})
    result = runner.invoke(app, ["init", str(project), "--force"])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert "quayside-python" not in dockerfile and "FROM python:3.13" in dockerfile
