"""A project whose only declaration of its dependencies is its Dockerfile's `pip install` line (a-int/sap_1p):
inspect reads the names from it, init writes them to requirements.txt (a new file, never over one) and the
Dockerfile it writes in the old one's place installs that file. Found / left-alone tables, as pyupgrade's."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection import inspect_project
from quayside.inspection.dependencies import dockerfile_installs
from quayside.inspection.source import load_toml
from support.projects import clean_and_stable, tree_digest, write

runner = CliRunner()
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"

FOUND = [
    ("one-line", "RUN pip install --no-cache-dir fastapi uvicorn redis\n", ["fastapi", "uvicorn", "redis"]),
    ("pip3-and-module", "RUN pip3 install fastapi && python -m pip install 'uvicorn[standard]>=0.30'\n",
     ["fastapi", "uvicorn[standard]>=0.30"]),
    ("versioned-pip", "RUN pip3.12 install fastapi==0.115.0 uvicorn\n", ["fastapi==0.115.0", "uvicorn"]),
    ("options-with-values-skipped", "RUN pip install -i https://example.invalid/simple -r extra.txt -c c.txt fastapi uvicorn\n",
     ["fastapi", "uvicorn"]),
    ("continuation", "RUN pip install \\\n    fastapi \\\n    uvicorn\n", ["fastapi", "uvicorn"]),
    ("second-run-line", "RUN apt-get update\nRUN pip install fastapi uvicorn; echo done\n", ["fastapi", "uvicorn"]),
    ("repeated", "RUN pip install fastapi uvicorn\nRUN pip install fastapi\n", ["fastapi", "uvicorn"]),
    ("ends-at-the-next-command", "RUN pip install fastapi; apt-get install uvicorn\n", ["fastapi"]),
]

LEFT_ALONE = [
    ("only-a-requirements-file", "RUN pip install -r requirements.txt\n"),
    ("editable-and-dot", "RUN pip install -e ./lib .\n"),
    ("not-pip", "RUN apt-get install -y libpq-dev\n"),
    ("a-builder-stage-only", "RUN pip install fastapi uvicorn\nFROM python:3.12-slim\nCOPY . .\n"),
    ("shell-unparsable", "RUN pip install 'fastapi uvicorn\n"),
]


def _dockerfile(tmp_path, body: str):
    return write(tmp_path / "project", {"main.py": APP, "Dockerfile": "FROM python:3.12-slim\n" + body})


@pytest.mark.parametrize(("case", "body", "expected"), FOUND, ids=[c[0] for c in FOUND])
def test_found(tmp_path, case, body, expected):
    assert [found.requirement for found in dockerfile_installs(_dockerfile(tmp_path, body))] == expected


@pytest.mark.parametrize(("case", "body"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path, case, body):
    assert dockerfile_installs(_dockerfile(tmp_path, body)) == []


def test_a_dockerfile_linked_from_elsewhere_is_not_read(tmp_path):
    outside = write(tmp_path / "outside", {"Dockerfile": "FROM python:3.12-slim\nRUN pip install fastapi uvicorn\n"})
    project = write(tmp_path / "project", {"main.py": APP})
    os.symlink(outside / "Dockerfile", project / "Dockerfile")
    assert dockerfile_installs(project) == []
    (project / "Dockerfile").unlink()
    write(project, {"Dockerfile": (outside / "Dockerfile").read_text()})  # the same text, the project's own
    assert [found.requirement for found in dockerfile_installs(project)] == ["fastapi", "uvicorn"]


def test_inspect_records_where_the_dependencies_came_from(tmp_path):
    project = _dockerfile(tmp_path, "WORKDIR /app\nRUN pip install --upgrade pip\nRUN pip install fastapi uvicorn redis\n")
    info = inspect_project(project)
    deps = info.dependencies
    assert (deps.installer.value, deps.installer.source) == ("pip", "Dockerfile:4")
    assert deps.files == ("requirements.txt",)
    assert [(d.name, d.origin) for d in deps.declared] == [("fastapi", "Dockerfile:4"), ("uvicorn", "Dockerfile:4"),
                                                          ("redis", "Dockerfile:4")]
    assert "pip" not in (deps.written_requirements or "").split()  # the installer itself is no dependency


def test_init_writes_requirements_once_and_its_output_is_stable_and_clean(tmp_path):
    project = _dockerfile(tmp_path, "RUN pip install --no-cache-dir fastapi uvicorn redis\nCOPY . .\n")
    result = runner.invoke(app, ["init", str(project), "--force"])
    assert result.exit_code == 0, result.output
    requirements = (project / "requirements.txt").read_text()
    assert requirements.splitlines()[2:] == ["fastapi", "uvicorn", "redis"]
    assert requirements.startswith("# Written by quayside init from the project's Dockerfile (Dockerfile:2)")
    dockerfile = (project / "Dockerfile").read_text()
    assert "-r requirements.txt" in dockerfile and "pip install --no-cache-dir fastapi" not in dockerfile
    # run again: requirements.txt is now the declaration, and nothing changes
    clean_and_stable(project)


def test_a_requirements_file_wins_over_the_dockerfile(tmp_path):
    """The file is the declaration (nothing is written); what the Dockerfile adds to it by name is installed beside."""
    project = _dockerfile(tmp_path, "RUN pip install fastapi uvicorn redis\n")
    write(project, {"requirements.txt": "fastapi[standard]\n"})
    info = inspect_project(project)
    assert info.dependencies.written_requirements is None and info.dependencies.files == ("requirements.txt",)
    assert [d.name for d in info.dependencies.declared] == ["fastapi", "redis"]  # fastapi[standard] has uvicorn
    assert info.dependencies.installed_beside is not None
    assert info.dependencies.installed_beside.requirements == ("redis",)


INFRA_COMPOSE = """services:
  app-builder:
    build:
      context: ..
      dockerfile: infra/docker/Dockerfile
  postgres:
    build:
      context: ..
      dockerfile: infra/postgres/Dockerfile
"""
APP_DOCKERFILE = ("FROM python:3.13-slim AS builder\nCOPY infra/requirements/prod.txt infra/requirements/base.txt ./requirements/\n"
                  "RUN pip install --no-cache-dir --user -r requirements/prod.txt\nFROM python:3.13-slim\nCOPY . .\n")

# the requirements file the project's Dockerfile installs, when it is not requirements.txt (sylviakyu/fastapi_crud)
NAMED_FILE = [
    ("relative", "WORKDIR /app\nCOPY requirement.txt /app\nRUN pip install -r requirement.txt\n", "requirement.txt"),
    ("through-the-copy-destination", "COPY requirement.txt /tmp/\nRUN pip install -r /tmp/requirement.txt\n",
     "requirement.txt"),
    ("copied-to-a-file", "COPY reqs/prod.txt /tmp/r.txt\nRUN pip install --no-cache-dir -r /tmp/r.txt\n", "reqs/prod.txt"),
    ("long-option", "COPY . /app\nRUN pip3 install --requirement=reqs/prod.txt\n", "reqs/prod.txt"),
    ("dot-slash", "RUN pip install -r ./requirement.txt\n", "requirement.txt"),
    # resolved in the working directory (joseantoniogahez/tech_fastapi_react_postgres_docker's infra/docker/Dockerfile)
    ("workdir-relative-through-a-copy", "WORKDIR /srv\nCOPY infra/requirements.txt /srv/\nRUN pip install -r requirements.txt\n",
     "infra/requirements.txt"),
    ("copied-to-the-workdir-as-dot", "WORKDIR /srv\nCOPY infra/req.txt .\nRUN pip install -r req.txt\n", "infra/req.txt"),
    ("a-folder-copied", "WORKDIR /srv\nCOPY infra/ ./deps/\nRUN pip install -r deps/req.txt\n", "infra/req.txt"),
    ("a-relative-workdir", "WORKDIR /srv\nWORKDIR app\nCOPY infra/req.txt ./\nRUN pip install -r /srv/app/req.txt\n",
     "infra/req.txt"),
]
NAMED_FILE_LEFT_ALONE = [
    ("missing-file", "RUN pip install -r requirements-dev.txt\n"),
    ("outside-the-project", "RUN pip install -r ../requirement.txt\n"),
    ("absolute-without-a-copy", "RUN pip install -r /srv/requirement.txt\n"),
    ("from-another-stage", "COPY --from=build /out/requirement.txt /tmp/requirement.txt\nRUN pip install -r /tmp/requirement.txt\n"),
    ("a-constraint-is-no-requirements-file", "RUN pip install -c requirement.txt fastapi\n"),
    ("copied-elsewhere-than-the-workdir", "COPY reqs/prod.txt /opt/\nWORKDIR /srv\nRUN pip install -r prod.txt\n"),
    ("a-workdir-set-after-the-install", "COPY reqs/prod.txt /srv/\nRUN pip install -r prod.txt\nWORKDIR /srv\n"),
]


@pytest.mark.parametrize(("case", "body", "expected"), NAMED_FILE, ids=[c[0] for c in NAMED_FILE])
def test_the_requirements_file_the_dockerfile_names(tmp_path, case, body, expected):
    project = _dockerfile(tmp_path, body)
    write(project, {expected: "fastapi==0.115.0\nuvicorn==0.30.0\n"})
    info = inspect_project(project)
    assert info.dependencies.files == (expected,)
    assert info.dependencies.installer.source.startswith("Dockerfile:")
    assert {d.name for d in info.dependencies.declared} == {"fastapi", "uvicorn"}


@pytest.mark.parametrize(("case", "body"), NAMED_FILE_LEFT_ALONE, ids=[c[0] for c in NAMED_FILE_LEFT_ALONE])
def test_a_requirements_file_the_dockerfile_names_left_alone(tmp_path, case, body):
    from quayside.inspection.dependencies import dockerfile_requirements_file

    project = _dockerfile(tmp_path / "p", body)
    write(project, {"requirement.txt": "fastapi\n", "reqs/prod.txt": "fastapi\n"})
    write(tmp_path / "p", {"../requirement.txt": "fastapi\n"})
    assert dockerfile_requirements_file(project) is None


def test_a_named_requirements_file_linked_from_outside_is_not_read(tmp_path):
    from quayside.inspection.dependencies import dockerfile_requirements_file

    outside = write(tmp_path / "outside", {"requirement.txt": "fastapi\nuvicorn\n"})
    project = _dockerfile(tmp_path, "RUN pip install -r requirement.txt\n")
    os.symlink(outside / "requirement.txt", project / "requirement.txt")
    assert dockerfile_requirements_file(project) is None
    (project / "requirement.txt").unlink()
    write(project, {"requirement.txt": "fastapi\nuvicorn\n"})
    assert dockerfile_requirements_file(project) == ("requirement.txt", "Dockerfile:2")


def test_init_installs_the_named_file_and_its_output_is_stable_and_clean(tmp_path):
    project = _dockerfile(tmp_path, "WORKDIR /app\nCOPY requirement.txt /app\nRUN pip install -r requirement.txt\n"
                                    "COPY . /app\nCMD [\"uvicorn\", \"main:app\"]\n")
    write(project, {"requirement.txt": "fastapi==0.115.0\nuvicorn==0.30.0\n"})
    result = runner.invoke(app, ["init", str(project), "--force"])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert "source=requirement.txt" in dockerfile and "-r requirement.txt" in dockerfile
    # init's own Dockerfile installs the file the same way: a second init reads it again and changes nothing
    clean_and_stable(project)


# names the Dockerfile installs beside the project's own dependency file (Green-Wood/se3-oasis-scrapy)
BESIDE = [
    ("celery-extra", "RUN pip install -r requirements.txt\nRUN pip install celery[redis]\n", "fastapi\nuvicorn\n",
     ["celery[redis]"]),
    ("an-extra-the-file-lacks", "RUN pip install -r requirements.txt && pip install 'celery[redis]'\n",
     "fastapi\nuvicorn\ncelery\n", ["celery[redis]"]),
    ("server-beside", "RUN pip install -r requirements.txt gunicorn==22.0.0\n", "fastapi\nuvicorn\n", ["gunicorn==22.0.0"]),
]
BESIDE_LEFT_ALONE = [
    ("declared", "RUN pip install -r requirements.txt\nRUN pip install celery\n", "fastapi\nuvicorn\ncelery>=5\n"),
    ("tooling", "RUN pip install --upgrade pip setuptools wheel\nRUN pip install -r requirements.txt\n", "fastapi\nuvicorn\n"),
    ("a-marker-only-counts-in-quayside-s-own-file", "# quayside-installs: celery\nRUN pip install -r requirements.txt\n",
     "fastapi\nuvicorn\n"),
    ("a-name-a-shell-word-cannot-carry", "RUN pip install -r requirements.txt\nRUN pip install 'redis; python_version>\"3\"'\n",
     "fastapi\nuvicorn\n"),
]


@pytest.mark.parametrize(("case", "body", "requirements", "expected"), BESIDE, ids=[c[0] for c in BESIDE])
def test_names_installed_beside_the_dependency_file(tmp_path, case, body, requirements, expected):
    project = _dockerfile(tmp_path, body)
    write(project, {"requirements.txt": requirements})
    beside = inspect_project(project).dependencies.installed_beside
    assert beside is not None and list(beside.requirements) == expected


@pytest.mark.parametrize(("case", "body", "requirements"), BESIDE_LEFT_ALONE, ids=[c[0] for c in BESIDE_LEFT_ALONE])
def test_names_installed_beside_left_alone(tmp_path, case, body, requirements):
    project = _dockerfile(tmp_path, body)
    write(project, {"requirements.txt": requirements})
    assert inspect_project(project).dependencies.installed_beside is None


@pytest.mark.parametrize(("files", "expected"), [
    ({"backend.dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\nRUN pip install celery[redis]\n",
      "celeryworker.dockerfile": "FROM python:3.11\nRUN pip install celery[redis]\nCMD [\"bash\", \"worker-start.sh\"]\n"},
     "backend.dockerfile"),
    ({"Dockerfile.api": "FROM python:3.12-slim\nCMD [\"uvicorn\", \"main:app\"]\n",
      "Dockerfile.worker": "FROM python:3.12-slim\nCMD [\"celery\", \"-A\", \"w\", \"worker\"]\n"}, "Dockerfile.api"),
    ({"a.dockerfile": "FROM python:3.12-slim\nCMD [\"uvicorn\", \"a:app\"]\n",
      "b.dockerfile": "FROM python:3.12-slim\nCMD [\"gunicorn\", \"b:app\"]\n"}, None),  # two run an app: neither
    ({"Dockerfile": "FROM python:3.12-slim\n", "web.Dockerfile": "FROM python:3.12-slim\nCMD [\"uvicorn\", \"a:app\"]\n"},
     "Dockerfile"),
    # darkweid/fastapi-template: infra/docker-compose.yml builds `..` with infra/docker/Dockerfile; its database
    # is built from the same context with a Dockerfile that installs no Python
    ({"infra/docker-compose.yml": INFRA_COMPOSE, "infra/docker/Dockerfile": APP_DOCKERFILE,
      "infra/postgres/Dockerfile": "FROM postgres:17\nCOPY infra/postgres/init.sql /docker-entrypoint-initdb.d/\n"},
     "infra/docker/Dockerfile"),
    ({"docker-compose.yml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/app.Dockerfile\n",
      "docker/app.Dockerfile": "FROM python:3.12-slim\nCMD [\"uvicorn\", \"main:app\"]\n"}, "docker/app.Dockerfile"),
    # left alone: a file outside the project, a link, one named through a variable, two that install Python
    ({"docker-compose.yml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: ../Dockerfile\n"}, None),
    ({"docker-compose.yml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: ${DOCKERFILE}\n"}, None),
    ({"docker-compose.yml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: a.Dockerfile.txt\n"
                            "  worker:\n    build:\n      context: .\n      dockerfile: w.Dockerfile.txt\n",
      "a.Dockerfile.txt": APP_DOCKERFILE, "w.Dockerfile.txt": APP_DOCKERFILE}, None),
    # a service that builds another folder says nothing about this project's app
    ({"docker-compose.yml": "services:\n  app:\n    build:\n      context: ./other\n      dockerfile: Dockerfile\n",
      "other/Dockerfile": APP_DOCKERFILE}, None),
])
def test_which_dockerfile_builds_the_app(tmp_path, files, expected):
    from quayside.inspection.projectdockerfile import project_dockerfile

    assert project_dockerfile(write(tmp_path / "p", {"main.py": APP, **files})) == expected


def test_a_compose_named_dockerfiles_requirements_are_installed_and_kept_by_init(tmp_path):
    """darkweid/fastapi-template: no dependency file at the root; the Dockerfile its compose file builds with
    installs infra/requirements/prod.txt (which includes base.txt). Before: "no dependency file"."""
    project = write(tmp_path / "p", {"main.py": APP, "infra/docker-compose.yml": INFRA_COMPOSE,
                                     "infra/docker/Dockerfile": APP_DOCKERFILE,
                                     "infra/requirements/prod.txt": "-r base.txt\nuvicorn==0.30.0\n",
                                     "infra/requirements/base.txt": "fastapi==0.115.0\n"})
    info = inspect_project(project)
    assert info.dependencies.files == ("infra/requirements/prod.txt", "infra/requirements/base.txt")
    assert info.dependencies.installer.source == "infra/docker/Dockerfile:3"
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    assert "-r infra/requirements/prod.txt" in (project / "Dockerfile").read_text()
    checked = runner.invoke(app, ["check", str(project / "Dockerfile")])  # the project's own file is not ours
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output
    # the next init reads init's own root Dockerfile, which installs the same file
    before = tree_digest(project)
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert tree_digest(project) == before


def test_names_beside_are_installed_and_kept_by_init(tmp_path):
    project = write(tmp_path / "p", {"main.py": APP, "requirements.txt": "fastapi==0.115.0\nuvicorn==0.30.0\n",
                                     "backend.dockerfile": "FROM python:3.12-slim\nCOPY . .\nRUN pip install -r requirements.txt\n"
                                                           "RUN pip install celery[redis]\nCMD [\"uvicorn\", \"main:app\"]\n"})
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert '-r requirements.txt "celery[redis]"' in dockerfile and "# quayside-installs: celery[redis]" in dockerfile
    checked = runner.invoke(app, ["check", str(project), "--select", "QS"])
    assert "Dockerfile:" not in checked.output.replace("backend.dockerfile", ""), checked.output
    before = tree_digest(project)
    (project / "backend.dockerfile").unlink()  # the marker alone keeps them now
    before.pop("backend.dockerfile")
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert tree_digest(project) == before


GROUPS_FOUND = [
    # DeadDPie/SalaryTracker: passlib, which the app imports, is in the dev group its own image installs
    ("poetry-with", "poetry", "RUN pip install poetry && poetry install --no-root --with dev\n", ("dev",)),
    ("poetry-with-equals-list", "poetry", "RUN poetry install --with=dev,docs\n", ("dev",)),  # docs: not declared
    ("pdm-group", "pdm", "RUN pdm install --prod -G dev\n", ("dev",)),
    ("pdm-sync-long", "pdm", "RUN pdm sync --group=dev\n", ("dev",)),
]
GROUPS_LEFT = [
    ("main-only", "poetry", "RUN poetry install --no-root\n"),
    ("undeclared-group", "poetry", "RUN poetry install --with docs\n"),
    ("another-tool", "poetry", "RUN pip install --with dev\n"),
    ("commented", "poetry", "# RUN poetry install --with dev\nRUN poetry install\n"),
]
POETRY_GROUPS = ('[tool.poetry]\nname = "p"\npackage-mode = false\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                 'fastapi = {version = "*", extras = ["standard"]}\n[tool.poetry.group.dev.dependencies]\npasslib = "*"\n')
PDM_GROUPS = ('[project]\nname = "p"\nversion = "0"\ndependencies = ["fastapi[standard]"]\n'
              '[tool.pdm.dev-dependencies]\ndev = ["passlib"]\n')


def _grouped_project(tmp_path, case: str, installer: str, dockerfile: str):
    lock = "poetry.lock" if installer == "poetry" else "pdm.lock"
    return write(tmp_path / case, {"pyproject.toml": POETRY_GROUPS if installer == "poetry" else PDM_GROUPS,
                                   lock: "", "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                                   "Dockerfile": "FROM python:3.11\n" + dockerfile + 'CMD ["uvicorn", "main:app"]\n'})


@pytest.mark.parametrize(("case", "installer", "dockerfile", "groups"), GROUPS_FOUND, ids=[c[0] for c in GROUPS_FOUND])
def test_lock_groups_the_projects_image_installed_are_found(tmp_path, case, installer, dockerfile, groups):
    from quayside.inspection.dependencies import _lock_groups

    root = _grouped_project(tmp_path, case, installer, dockerfile)
    found = _lock_groups(root, installer, load_toml(root / "pyproject.toml", display="pyproject.toml"))
    assert found is not None and found.groups == groups and found.where.startswith("Dockerfile:")


@pytest.mark.parametrize(("case", "installer", "dockerfile"), GROUPS_LEFT, ids=[c[0] for c in GROUPS_LEFT])
def test_lock_groups_left_alone(tmp_path, case, installer, dockerfile):
    from quayside.inspection.dependencies import _lock_groups

    root = _grouped_project(tmp_path, case, installer, dockerfile)
    assert _lock_groups(root, installer, load_toml(root / "pyproject.toml", display="pyproject.toml")) is None
