"""`check` in a folder finds every Dockerfile, compose file and Kubernetes manifest at any depth, ties each
Dockerfile to its build context, and lints each file by its kind: the layouts of the real repositories in
bench/field_check (where discovery failed in 29 of 51 repositories before), made small."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.check.discover import is_compose_name, is_dockerfile_name
from quayside.cli import app
from support.projects import write

runner = CliRunner()
APP = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {}\n"
SHELL_CMD = "FROM python:3.12\nCOPY . /app\nCMD uvicorn main:app --host 0.0.0.0\n"  # QS001 on line 3


def _linted(root) -> set[str]:
    return {df.path for ctx in run_check(root).contexts for df in ctx.dockerfiles}


@pytest.mark.parametrize("name", ["Dockerfile", "dockerfile", "Dockerfile.prod", "Dockerfile-dev", "prod.Dockerfile",
                                  "release.dockerfile", "backend.dockerfile", "Containerfile"])
def test_dockerfile_names(name):
    assert is_dockerfile_name(name)


@pytest.mark.parametrize("name", ["Dockerfile.j2", "Dockerfile.template", "dockerfile-knGOOxt4.js", "Dockerfile.ui.dockerignore",
                                  "dockerfile.md", "generate_dockerfile.sh", "Dockerfile-template.txt"])
def test_not_dockerfile_names(name):
    assert not is_dockerfile_name(name)


@pytest.mark.parametrize("name", ["compose.yaml", "docker-compose.yml", "docker-compose.prod.yml", "compose.override.yaml",
                                  "docker-compose-dev.yaml", "stack.yml"])
def test_compose_names(name):
    assert is_compose_name(name)


def test_every_dockerfile_at_any_depth_and_nothing_vendored(tmp_path):
    root = write(tmp_path, {
        "backend/Dockerfile": SHELL_CMD, "backend/main.py": APP,
        "docker/prod.Dockerfile": "FROM python:3.12\nCOPY backend/main.py /app/\nCMD uvicorn main:app\n",
        "server/dockerfile": SHELL_CMD, "server/main.py": APP,
        "node_modules/pkg/Dockerfile": SHELL_CMD, ".venv/lib/Dockerfile": SHELL_CMD,
        "{{cookiecutter.slug}}/Dockerfile": "FROM {{ cookiecutter.python }}\n",
        "web/dist/dockerfile-abc.js": "export default 1\n",
    })
    assert _linted(root) == {"backend/Dockerfile", "docker/prod.Dockerfile", "server/dockerfile"}
    findings = run_check(root).findings
    assert {(f.rule, f.path, f.line) for f in findings if f.rule == "QS001"} >= {("QS001", "backend/Dockerfile", 3), ("QS001", "server/dockerfile", 3)}
    assert not [f for f in findings if f.rule == "QS000"], findings


def test_the_build_context_comes_from_compose_or_from_where_copy_sources_exist(tmp_path):
    root = write(tmp_path, {
        "compose.yaml": "services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: docker/Dockerfile\n",
        "backend/docker/Dockerfile": "FROM python:3.12\nCOPY app /code/app\n",
        "backend/app/main.py": APP,
        "ops/Dockerfile": "FROM python:3.12\nCOPY service/ /srv/\n",  # built from the root: service/ is there
        "service/main.py": APP,
    })
    contexts = {ctx.root.relative_to(root).as_posix(): [df.path for df in ctx.dockerfiles] for ctx in run_check(root).contexts}
    assert contexts["backend"] == ["backend/docker/Dockerfile"]
    assert contexts["."] == ["ops/Dockerfile"]


def test_project_facts_come_from_the_build_context(tmp_path):
    """QS015 reads the app of backend/ for backend's compose health check: /health is served there."""
    root = write(tmp_path, {
        "docker-compose.yml": ("services:\n  api:\n    build: ./backend\n    restart: always\n    healthcheck:\n"
                               "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8000/nope\"]\n"),
        "backend/Dockerfile": 'FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n'
                              'COPY . /app\nCMD ["fastapi", "run", "main.py"]\n',
        "backend/main.py": APP, "backend/requirements.txt": "fastapi[standard]\n",
    })
    qs015 = [f for f in run_check(root).findings if f.rule == "QS015"]
    assert [(f.path, "/nope" in f.message) for f in qs015] == [("docker-compose.yml", True)]


def test_helm_templates_are_skipped_and_manifests_anywhere_under_k8s_dirs_read(tmp_path):
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: app\n          image: app:1\n")
    root = write(tmp_path, {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
        "infra/k8s/base/deployment.yaml": deployment,
    })
    findings = run_check(root).findings
    assert not [f for f in findings if f.rule == "QS000"], findings
    assert ("QS022", "infra/k8s/base/deployment.yaml") in {(f.rule, f.path) for f in findings}


def test_a_compose_file_given_by_name_is_linted_as_compose(tmp_path):
    root = write(tmp_path, {"docker-compose.prod.yml": "version: '3.8'\nservices:\n  app:\n    build: .\n", "Dockerfile": "FROM python:3.12-slim\n"})
    result = runner.invoke(app, ["check", str(root / "docker-compose.prod.yml"), "--format", "json"])
    found = json.loads(result.stdout)
    assert not [f for f in found if f["id"] == "QS000"], found  # not parsed as a Dockerfile ("unknown instruction version:")
    assert ("QS022", "docker-compose.prod.yml") in {(f["id"], f["file"]) for f in found}


def test_several_paths_in_one_call(tmp_path):
    one = write(tmp_path / "one", {"Dockerfile": SHELL_CMD})
    two = write(tmp_path / "two", {"Dockerfile.prod": SHELL_CMD})
    result = runner.invoke(app, ["check", str(one), str(two / "Dockerfile.prod"), "--format", "json", "--select", "QS001"])
    assert {(f["id"], f["file"].rsplit("/", 2)[-2] + "/" + f["file"].rsplit("/", 1)[-1]) for f in json.loads(result.stdout)} == {
        ("QS001", "one/Dockerfile"), ("QS001", "two/Dockerfile.prod")}


def test_profile_production_judges_every_compose_file(tmp_path):
    root = write(tmp_path, {"compose.yaml": "services:\n  app:\n    build: .\n"})
    auto = runner.invoke(app, ["check", str(root), "--format", "json", "--select", "QS022"])
    production = runner.invoke(app, ["check", str(root), "--format", "json", "--select", "QS022", "--profile", "production"])
    assert json.loads(auto.stdout) == [] and [f["id"] for f in json.loads(production.stdout)] == ["QS022"]


def test_tagged_scalars_where_mappings_belong_are_no_crash(tmp_path):
    """A real compose file had `deploy: !reset null` (compose's merge tag): the rules read it as absent."""
    root = write(tmp_path, {"compose.yaml": "services:\n  app:\n    build: .\n    restart: always\n    deploy: !reset null\n",
                            "Dockerfile": "FROM python:3.12-slim\n"})
    assert [f.rule for f in run_check(root).findings if f.path == "compose.yaml"] == ["QS022"]


def test_a_symlinked_dockerfile_is_named_not_followed(tmp_path):
    """A Dockerfile that is a symlink out of the project: never read (its content stays unprinted), and said."""
    outside = tmp_path / "outside"
    outside.write_text("FROM python:3.12\nCMD uvicorn secret_module:app\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Dockerfile").symlink_to(outside)
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 0
    assert "Dockerfile is a symlink: not followed, not linted" in result.output
    assert "secret_module" not in result.output
