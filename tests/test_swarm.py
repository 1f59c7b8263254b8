"""init --target swarm and the deploy logic, offline: snapshots, the docker CLI's own stack schema (no engine),
zero check findings, option errors, and the secret and convergence logic against a faked docker boundary.
The live side is tests/test_live_swarm.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.cli import app
from quayside.engine import docker
from quayside.engine.docker import Result
from quayside.errors import UserInputError
from quayside.targets.swarm import deploy as swarm
from support.projects import EXAMPLES, copy_project, tree_digest

runner = CliRunner()
docker_cli = pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI (its stack loader validates offline)")
CASES = [("guide-app", "external"), ("items-service", "external"), ("items-service", "traefik"), ("guide-single-file", "external")]


def _init(tmp_path: Path, example: str, *args: str) -> Path:
    root = copy_project(EXAMPLES / example, tmp_path)
    result = runner.invoke(app, ["init", str(root), "--target", "swarm", *args])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize(("example", "proxy"), CASES)
def test_swarm_snapshot_findings_and_schema(tmp_path, example, proxy, snapshot):
    root = _init(tmp_path, example, "--proxy", proxy)
    for name in ("stack.yaml", "DEPLOY.md", *(["traefik/dynamic.yaml"] if proxy == "traefik" else [])):
        text = (root / name).read_text()
        snapshot.assert_match(f"swarm-{example}-{proxy}/{name}", text)
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(root).findings] == []
    if shutil.which("docker"):
        # the docker CLI validates against its compose schema without an engine
        config = subprocess.run(["docker", "stack", "config", "-c", str(root / "stack.yaml")], capture_output=True, text=True,
                                env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock", "APP_IMAGE": "x:1"}, check=False)
        assert config.returncode == 0, config.stderr


def test_stack_contract(tmp_path):
    root = _init(tmp_path, "items-service")
    stack = YAML(typ="safe").load((root / "stack.yaml").read_text())
    appsvc = stack["services"]["app"]
    assert "--workers" not in appsvc["command"] and "--forwarded-allow-ips" in appsvc["command"]
    deploy = appsvc["deploy"]
    assert deploy["replicas"] == 2 and deploy["endpoint_mode"] == "dnsrr"
    assert deploy["update_config"]["order"] == "start-first" and deploy["update_config"]["failure_action"] == "rollback"
    assert deploy["rollback_config"]["order"] == "start-first"
    assert deploy["resources"]["limits"]["memory"] and deploy["resources"]["reservations"]["memory"]
    assert appsvc["read_only"] and appsvc["cap_drop"] == ["ALL"] and appsvc["healthcheck"]["start_interval"] == "1s"
    assert stack["services"]["migrate"]["deploy"]["mode"] == "replicated-job"
    db = stack["services"]["db"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert db["deploy"]["placement"]["constraints"] and db["volumes"]
    assert all(spec["external"] for spec in stack["secrets"].values())
    text = (root / "stack.yaml").read_text()
    assert "PASSWORD=" not in text
    assert "password:" not in text.lower().replace("db_password:", "").replace("db_owner_password:", "").replace("db_app_password:", "")
    # least privilege: the app's URL is the app role's, the migrate job's the owner's; neither is the superuser
    project = stack["name"] if "name" in stack else next(iter(stack["x-quayside"]["secrets"])).removesuffix("_db_password")
    recipes = {key.removeprefix(project + "_"): value for key, value in stack["x-quayside"]["secrets"].items()}
    assert recipes["database_url"]["template"].startswith(f"postgresql+psycopg://{project.replace('-', '_')}_app:{{{project}_db_app_password}}@")
    assert recipes["migrate_database_url"]["template"].startswith(f"postgresql+psycopg://{project.replace('-', '_')}_owner:")
    assert stack["services"]["migrate"]["secrets"] == [{"source": "migrate_database_url", "target": "database_url"}]
    assert "POSTGRES_USER" not in db["environment"]
    assert (root / "postgres" / "initdb" / "10-roles.sh").is_file()


@pytest.mark.parametrize("proxy", ["external", "traefik"])
def test_no_socket_and_every_service_limited(tmp_path, proxy):
    """No Docker socket in anything swarm's init writes; every service has a memory and a PIDs limit (CIS 5.10, 5.28)."""
    root = _init(tmp_path, "items-service", "--proxy", proxy)
    for path in root.rglob("*"):
        if path.is_file():
            assert "docker.sock" not in path.read_text(errors="replace"), path
    stack = YAML(typ="safe").load((root / "stack.yaml").read_text())
    for name, service in stack["services"].items():
        limits = service["deploy"]["resources"]["limits"]
        assert limits["memory"] and limits["pids"] >= 256 and float(limits["cpus"]) >= 1, name
    if proxy == "traefik":
        traefik = stack["services"]["proxy"]
        assert traefik["configs"] == [{"source": "traefik_routes", "target": "/etc/traefik/dynamic.yaml"}]
        assert traefik["read_only"] and traefik["cap_drop"] == ["ALL"] and traefik["cap_add"] == ["NET_BIND_SERVICE"]
        assert all(not str(volume).startswith("/") for volume in traefik["volumes"])  # named volumes only: no host path
        routes = YAML(typ="safe").load((root / "traefik" / "dynamic.yaml").read_text())
        assert routes["http"]["services"]["items-service"]["loadBalancer"]["servers"] == [{"url": "http://app:8000"}]


def test_guide_app_stack_has_no_database_or_secrets(tmp_path):
    root = _init(tmp_path, "guide-app", "--replicas", "3")
    stack = YAML(typ="safe").load((root / "stack.yaml").read_text())
    assert set(stack["services"]) == {"app"} and "secrets" not in stack and stack["services"]["app"]["deploy"]["replicas"] == 3


def test_the_app_is_warned_when_it_cannot_read_secret_files(tmp_path):
    root = copy_project(EXAMPLES / "items-service", tmp_path)
    config = root / "app" / "config.py"
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True)
                              if "secrets_dir" not in line and "/run/secrets" not in line))
    result = runner.invoke(app, ["init", str(root), "--target", "swarm", "-v"])
    assert result.exit_code == 0, result.output
    assert "secrets = False" in result.output
    assert "did not find `secrets_dir`" in (root / "DEPLOY.md").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "2"], "let swarm (--replicas) add replicas"),
    (["--replicas", "0"], "--replicas 0 must be at least 1"),
    (["--proxy", "nginx"], "--proxy nginx is a compose option"),
])
def test_bad_swarm_options_write_nothing(tmp_path, args, message):
    root = copy_project(EXAMPLES / "items-service", tmp_path)
    before = tree_digest(root)
    result = runner.invoke(app, ["init", str(root), "--target", "swarm", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert tree_digest(root) == before


def test_replicas_outside_swarm_is_refused(tmp_path):
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    result = runner.invoke(app, ["init", str(root), "--target", "compose", "--replicas", "2"])
    assert result.exit_code == 2 and "--replicas is a swarm option" in result.output


def test_check_reads_stack_files(tmp_path):
    root = _init(tmp_path, "guide-app")
    stack = root / "stack.yaml"
    stack.write_text(stack.read_text().replace('"--port", "8000"', '"--port", "8000", "--workers", "4"', 1))
    rules = {f.rule for f in run_check(root).findings}
    assert "QS010" in rules  # 4 workers in a task that swarm replicates


# -- the deploy logic against a faked docker boundary ------------------------------------------------------

class FakeDocker:
    def __init__(self, existing_secrets: list[str]):
        self.secrets = dict.fromkeys(existing_secrets)
        self.calls: list[list[str]] = []

    def run(self, args, *, timeout=120, check=True, input=None, env=None):
        self.calls.append(list(args))
        if args[:2] == ["secret", "ls"]:
            return Result(["docker", *args], 0, "\n".join(self.secrets), "")
        if args[:2] == ["secret", "create"]:
            self.secrets[args[-2]] = input
            return Result(["docker", *args], 0, args[-2], "")
        raise AssertionError(f"unexpected docker call {args}")


def _stack_data(tmp_path) -> dict:
    root = copy_project(EXAMPLES / "items-service", tmp_path, "items")
    assert runner.invoke(app, ["init", str(root), "--target", "swarm"]).exit_code == 0
    return YAML(typ="safe").load((root / "stack.yaml").read_text())


def test_missing_secrets_are_created_together(tmp_path, monkeypatch):
    fake = FakeDocker([])
    monkeypatch.setattr(docker, "run", fake.run)
    created = swarm.ensure_secrets(_stack_data(tmp_path), "items")
    assert sorted(created) == sorted(["items_db_password", "items_db_owner_password", "items_db_app_password", "items_database_url", "items_migrate_database_url"])
    assert created[-2:] == ["items_database_url", "items_migrate_database_url"]  # generated values first
    app_password, owner_password = fake.secrets["items_db_app_password"], fake.secrets["items_db_owner_password"]
    assert len(app_password) >= 32 and len({app_password, owner_password, fake.secrets["items_db_password"]}) == 3
    assert fake.secrets["items_database_url"] == f"postgresql+psycopg://items_app:{app_password}@db:5432/items"
    assert fake.secrets["items_migrate_database_url"] == f"postgresql+psycopg://items_owner:{owner_password}@db:5432/items"
    assert all("--label" in call for call in fake.calls if call[:2] == ["secret", "create"])


def test_existing_secrets_are_left_alone(tmp_path, monkeypatch):
    fake = FakeDocker(["items_db_password", "items_db_owner_password", "items_db_app_password", "items_database_url", "items_migrate_database_url"])
    monkeypatch.setattr(docker, "run", fake.run)
    assert swarm.ensure_secrets(_stack_data(tmp_path), "items") == []
    assert not any(call[:2] == ["secret", "create"] for call in fake.calls)


@pytest.mark.parametrize("existing", ["items_db_app_password", "items_database_url", "items_db_owner_password"])
def test_half_existing_secret_pair_is_refused_not_desynchronised(tmp_path, monkeypatch, existing):
    fake = FakeDocker([existing])
    monkeypatch.setattr(docker, "run", fake.run)
    with pytest.raises(UserInputError, match="exists but"):
        swarm.ensure_secrets(_stack_data(tmp_path), "items")
    assert not any(call[:2] == ["secret", "create"] for call in fake.calls)


def test_statuses_read_replicas_jobs_and_updates(monkeypatch):
    service_ls = "\n".join(json.dumps(r) for r in [
        {"ID": "a1", "Image": "items:v2", "Mode": "replicated", "Name": "s_app", "Replicas": "3/2"},
        {"ID": "m1", "Image": "items:v2", "Mode": "replicated job", "Name": "s_migrate", "Replicas": "0/1 (1/1 completed)"},
    ])
    inspect = json.dumps([{"ID": "a1xyz", "Spec": {"Name": "s_app"}, "UpdateStatus": {"State": "updating", "StartedAt": "t"}},
                          {"ID": "m1xyz", "Spec": {"Name": "s_migrate"}}])
    stack_ps = "\n".join(json.dumps(t) for t in [
        {"Name": "s_app.1", "Image": "items:v1", "CurrentState": "Running 9 seconds ago"},
        {"Name": "s_app.2", "Image": "items:v2", "CurrentState": "Running 1 second ago"},
        {"Name": "s_app.3", "Image": "items:v2", "CurrentState": "Starting 1 second ago"},
    ])

    def fake(args, **_):
        out = {"ls": service_ls, "inspect": inspect, "ps": stack_ps}[args[1]]
        return Result(["docker", *args], 0, out, "")

    monkeypatch.setattr(docker, "run", fake)
    app_status, job = swarm.statuses("s")
    # only tasks of the current image that run (healthy) count: v1 is leaving, .3 is still starting
    assert (app_status.running, app_status.desired, app_status.update, app_status.converged) == (1, 2, "updating", False)
    assert (job.is_job, job.completed, job.desired, job.converged) == (True, 1, 1, True)


def test_deploy_without_a_stack_file_is_one_error(tmp_path):
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    result = runner.invoke(app, ["deploy", "swarm", str(root)])
    assert result.exit_code == 2 and "no stack file" in result.output and "init --target swarm" in result.output


@pytest.mark.parametrize("text", ["services: [unclosed\n", "just a string\n", "services: {}\n"])
def test_deploy_with_a_broken_stack_file_is_one_error_and_writes_nothing(tmp_path, text, monkeypatch):
    monkeypatch.setattr(docker, "run", lambda *a, **k: pytest.fail("docker was called before the stack file was read"))
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    (root / "stack.yaml").write_text(text)
    before = tree_digest(root)
    result = runner.invoke(app, ["deploy", "swarm", str(root), "--image", "guide-app:any"])
    assert result.exit_code == 2 and result.output.count("error:") == 1, result.output
    assert tree_digest(root) == before


def test_secret_recipes_do_not_depend_on_their_order(tmp_path, monkeypatch):
    fake = FakeDocker([])
    monkeypatch.setattr(docker, "run", fake.run)
    data = _stack_data(tmp_path)
    data["x-quayside"]["secrets"] = dict(reversed(list(data["x-quayside"]["secrets"].items())))  # template first
    assert sorted(swarm.ensure_secrets(data, "items")) == sorted(["items_db_password", "items_db_owner_password", "items_db_app_password", "items_database_url", "items_migrate_database_url"])
    assert fake.secrets["items_db_app_password"] in fake.secrets["items_database_url"]


def test_an_app_reading_its_database_in_parts_gets_each_part_and_its_role_password(tmp_path):
    """POSTGRES_SERVER/USER/PASSWORD/DB, as the full-stack template reads them: no database_url the app never
    reads; the app as the rows-only role, the migrate job as the owner, each password a secret file."""
    from support.projects import FIXTURES

    project = copy_project(FIXTURES / "postgres-parts", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "swarm"]).exit_code == 0
    assert run_check(project).findings == []
    services = YAML(typ="safe").load((project / "stack.yaml").read_text())["services"]
    name = project.name.replace("-", "_")
    # the documented plain settings too; POSTGRES_SERVER=localhost from the example file is not the stack's
    assert services["app"]["environment"] == {"POSTGRES_DB": name, "POSTGRES_PORT": "5432", "POSTGRES_SERVER": "db",
                                              "POSTGRES_USER": f"{name}_app", "FIRST_SUPERUSER": "admin@example.com",
                                              "PROJECT_NAME": "parts"}
    # its password, and SECRET_KEY: a key it signs with, generated by deploy
    assert services["app"]["secrets"] == [{"source": "db_app_password", "target": "postgres_password"},
                                          {"source": "secret_key", "target": "secret_key"}]
    assert services["migrate"]["environment"]["POSTGRES_USER"] == f"{name}_owner"
    assert services["migrate"]["secrets"] == [{"source": "db_owner_password", "target": "postgres_password"},
                                              {"source": "secret_key", "target": "secret_key"}]
    stack = YAML(typ="safe").load((project / "stack.yaml").read_text())
    recipes = stack["x-quayside"]["secrets"]
    assert recipes[f"{project.name}_secret_key"] == {"generate": "password"}
    # no URL secrets the app never reads: the parts are its connection
    assert not any("database_url" in name for name in [*recipes, *stack["secrets"]])
    items = _init(tmp_path, "items-service")  # reads DATABASE_URL: the URL secret, as before
    stack = YAML(typ="safe").load((items / "stack.yaml").read_text())["services"]
    assert "environment" not in stack["app"] and stack["app"]["secrets"] == [{"source": "database_url", "target": "database_url"}]


def test_an_app_that_makes_its_own_tables_connects_as_the_owner(tmp_path):
    """No migrator, and create_all at the app's start: a rows-only role could not create a table, so the app's
    URL names the owner (as compose decides), and DEPLOY.md says why; with alembic (the items service) the
    app stays rows-only."""
    from support.projects import FIXTURES

    project = copy_project(FIXTURES / "creates-its-tables", tmp_path, "notes")
    result = runner.invoke(app, ["init", str(project), "--target", "swarm"])
    assert result.exit_code == 0, result.output
    assert run_check(project).findings == []
    recipes = YAML(typ="safe").load((project / "stack.yaml").read_text())["x-quayside"]["secrets"]
    url = recipes["notes_database_url"]["template"]
    assert url.startswith("postgresql+psycopg2://notes_owner:{notes_db_owner_password}@db:5432/"), url
    assert "connects as `notes_owner`" in (project / "DEPLOY.md").read_text()
    items = _init(tmp_path, "items-service")
    recipes = YAML(typ="safe").load((items / "stack.yaml").read_text())["x-quayside"]["secrets"]
    assert "_app:{" in next(v["template"] for k, v in recipes.items() if k.endswith("_database_url"))
