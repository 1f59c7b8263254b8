"""init --target cloudrun|ecs|aci|fly|render|railway: snapshots, zero check findings, each file against the
platform's published definition where one can be had offline (tests/cloudschemas.py), and the contract
every platform needs: one process, the platform's port = the CMD's port, health paths the app serves,
a stop timeout above uvicorn's graceful shutdown, nothing secret in the files."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.cli import app
from support.cloudschemas import aci_errors, cloudrun_container_errors, ecs_errors, fly_errors
from support.projects import EXAMPLES, copy_project, tree_digest

TARGETS = ("cloudrun", "ecs", "aci", "fly", "render", "railway")
EXAMPLE_NAMES = ("guide-app", "guide-single-file", "items-service")
runner = CliRunner()
yaml = YAML(typ="safe")


def _init(tmp_path: Path, example: str, target: str) -> Path:
    root = copy_project(EXAMPLES / example, tmp_path, example)
    result = runner.invoke(app, ["init", str(root), "--target", target])
    assert result.exit_code == 0, result.output
    return root


def _cmd(root: Path) -> list[str]:
    line = next(line for line in (root / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    return json.loads(line[4:])


def _port(cmd: list[str]) -> int:
    return int(cmd[cmd.index("--port") + 1])


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_cloud_target(tmp_path, example, target, snapshot):
    root = _init(tmp_path, example, target)
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                     and p.relative_to(root).as_posix() not in {q.relative_to(EXAMPLES / example).as_posix() for q in (EXAMPLES / example).rglob("*")})
    for name in written:
        if name in ("Dockerfile", ".dockerignore"):
            continue
        snapshot.assert_match(f"cloud-{example}-{target}/{name}", (root / name).read_text())
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(root).findings] == []

    cmd = _cmd(root)
    port = _port(cmd)
    assert "--workers" not in cmd and "--forwarded-allow-ips" in cmd  # one process, behind the platform's proxy
    items = example == "items-service"
    health, ready = ("/health", "/ready") if items else ("/openapi.json", "/openapi.json")
    text = "\n".join((root / n).read_text() for n in written)
    assert "PASSWORD" not in text and not re.search(r"://[^/\s:@]+:[^@\s]+@", text)  # no secret in any file

    if target == "ecs":
        td = json.loads((root / "deploy/ecs/task-definition.json").read_text())
        assert ecs_errors(td) == []
        container = td["containerDefinitions"][0]
        assert container["portMappings"][0]["containerPort"] == port and container["user"] == "10001:10001"
        assert container["stopTimeout"] >= 20 and container["readonlyRootFilesystem"]
        assert container["logConfiguration"]["logDriver"] == "awslogs" and health in container["healthCheck"]["command"][-1]
        assert ("secrets" in container) == items
    elif target == "aci":
        group = yaml.load((root / "deploy/aci/container-group.yaml").read_text())
        assert aci_errors(group) == []
        props = group["properties"]["containers"][0]["properties"]
        assert props["ports"][0]["port"] == port == group["properties"]["ipAddress"]["ports"][0]["port"]
        assert props["livenessProbe"]["httpGet"]["path"] == health and props["readinessProbe"]["httpGet"]["path"] == ready
    elif target == "fly":
        config = tomllib.loads((root / "fly.toml").read_text())
        assert fly_errors(config) == []
        service = config["services"][0]
        assert service["internal_port"] == port and service["http_checks"][0]["path"] == ready
        assert config["kill_signal"] == "SIGTERM" and config["kill_timeout"] >= 20
        assert (config["deploy"].get("release_command") == "alembic upgrade head") == items
    elif target == "cloudrun":
        service = yaml.load((root / "deploy/cloudrun/service.yaml").read_text())
        assert (service["apiVersion"], service["kind"]) == ("serving.knative.dev/v1", "Service")
        containers = service["spec"]["template"]["spec"]["containers"]
        assert cloudrun_container_errors(containers) == []
        assert containers[0]["ports"][0]["containerPort"] == port
        assert containers[0]["startupProbe"]["httpGet"]["path"] == health
        assert (root / "deploy/cloudrun/migrate-job.yaml").is_file() == items
        if items:
            job = yaml.load((root / "deploy/cloudrun/migrate-job.yaml").read_text())
            job_containers = job["spec"]["template"]["spec"]["template"]["spec"]["containers"]
            assert cloudrun_container_errors(job_containers) == []
            assert job_containers[0]["command"] + job_containers[0]["args"] == ["alembic", "upgrade", "head"]
    elif target == "render":
        blueprint = yaml.load((root / "render.yaml").read_text())
        web = blueprint["services"][0]
        assert set(web) <= {"type", "name", "runtime", "dockerfilePath", "dockerContext", "healthCheckPath",
                            "preDeployCommand", "maxShutdownDelaySeconds", "envVars"}
        assert web["runtime"] == "docker" and web["healthCheckPath"] == ready and web["maxShutdownDelaySeconds"] >= 20
        assert {"key": "PORT", "value": str(port)} in web["envVars"]
        assert ("databases" in blueprint) == items
    elif target == "railway":
        config = json.loads((root / "railway.json").read_text())
        assert config["build"] == {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}
        deploy = config["deploy"]
        assert deploy["healthcheckPath"] == ready
        # numbers, not strings: Railway's parser refuses "10" (railwayapp/docs#1243)
        assert isinstance(deploy["drainingSeconds"], int) and deploy["drainingSeconds"] >= 20
        assert ("preDeployCommand" in deploy) == items


# each validator can fail: a broken document is rejected -------------------------------------------------

def test_validators_reject_broken_documents(tmp_path):
    ecs = json.loads((_init(tmp_path / "e", "guide-app", "ecs") / "deploy/ecs/task-definition.json").read_text())
    bad = copy.deepcopy(ecs)
    bad["containerDefinitions"][0]["stopTimeout"] = "30"
    bad["containerDefinitions"][0]["healthcheck"] = {}
    assert len(ecs_errors(bad)) == 2

    aci = yaml.load((_init(tmp_path / "a", "guide-app", "aci") / "deploy/aci/container-group.yaml").read_text())
    bad = copy.deepcopy(aci)
    bad["properties"]["containers"][0]["properties"]["livenessprobe"] = {}
    bad["properties"]["containers"][0]["properties"]["resources"]["requests"]["memoryInGB"] = "1"
    del bad["properties"]["osType"]
    errors = aci_errors(bad)
    assert len(errors) == 3 and any("livenessprobe" in e for e in errors) and any("osType" in e for e in errors)

    fly = tomllib.loads((_init(tmp_path / "f", "guide-app", "fly") / "fly.toml").read_text())
    bad = copy.deepcopy(fly)
    bad["kill_signal"] = "TERM"
    bad["services"][0]["http_checks"][0]["interval"] = 10000
    errors = fly_errors(bad)
    assert any(e.startswith("kill_signal:") for e in errors) and any("http_checks/0/interval" in e for e in errors)

    run = yaml.load((_init(tmp_path / "c", "guide-app", "cloudrun") / "deploy/cloudrun/service.yaml").read_text())
    containers = run["spec"]["template"]["spec"]["containers"]
    containers[0]["startupprobe"] = containers[0].pop("startupProbe")
    assert cloudrun_container_errors(containers)


def test_proxies_are_not_cloud_options(tmp_path):
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    before = tree_digest(root)
    result = runner.invoke(app, ["init", str(root), "--target", "fly", "--proxy", "traefik"])
    assert result.exit_code == 2 and "the platform's own proxy terminates TLS" in result.output
    result = runner.invoke(app, ["init", str(root), "--target", "render", "--workers", "2"])
    assert result.exit_code == 2 and "one process per container" in result.output
    assert tree_digest(root) == before


@pytest.mark.parametrize(("target", "path", "before", "after"), [
    ("fly", "fly.toml", "internal_port = 8000", "internal_port = 8080"),
    ("render", "render.yaml", 'value: "8000"', 'value: "80"'),
    ("ecs", "deploy/ecs/task-definition.json", '"containerPort": 8000', '"containerPort": 80'),
    ("aci", "deploy/aci/container-group.yaml", "port: 8000", "port: 80"),
    ("cloudrun", "deploy/cloudrun/service.yaml", "containerPort: 8000", "containerPort: 8080"),
])
def test_check_finds_platform_port_drift(tmp_path, target, path, before, after):
    root = _init(tmp_path, "guide-app", target)
    file = root / path
    file.write_text(file.read_text().replace(before, after, 1))
    findings = [(f.rule, f.path) for f in run_check(root).findings]
    assert findings == [("QS014", path)]


def test_ecs_migration_override_is_valid_json(tmp_path):
    deploy_md = (_init(tmp_path, "items-service", "ecs") / "DEPLOY.md").read_text()
    override = re.search(r"--overrides '([^']*)'", deploy_md).group(1)
    assert json.loads(override)["containerOverrides"][0]["command"] == ["alembic", "upgrade", "head"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_platform_gives_the_app_the_settings_it_reads(tmp_path, target):
    """POSTGRES_SERVER-style settings, as the full-stack template reads them: each platform gets the documented
    plain values, every secret by name from its secret store, no DATABASE_URL the app never reads, and no
    local address (POSTGRES_SERVER=localhost) written as if it were the platform's."""
    from support.projects import FIXTURES

    root = copy_project(FIXTURES / "postgres-parts", tmp_path)
    result = runner.invoke(app, ["init", str(root), "--target", target])
    assert result.exit_code == 0, result.output
    assert run_check(root).findings == []
    plain = {"FIRST_SUPERUSER": "admin@example.com", "POSTGRES_DB": "app", "POSTGRES_PORT": "5432",
             "POSTGRES_USER": "postgres", "PROJECT_NAME": "parts"}
    secrets = ["POSTGRES_PASSWORD", "SECRET_KEY"]
    deploy = (root / "DEPLOY.md").read_text()
    assert ("`POSTGRES_SERVER` is documented as `localhost`, a local address" in deploy) == (target != "render")
    assert "DATABASE_URL" not in deploy
    if target == "ecs":
        container = json.loads((root / "deploy/ecs/task-definition.json").read_text())["containerDefinitions"][0]
        assert {e["name"]: e["value"] for e in container["environment"]} == plain
        assert [s["name"] for s in container["secrets"]] == secrets
        assert container["secrets"][0]["valueFrom"].endswith(":secret:postgres-parts/postgres-password")
    elif target == "cloudrun":
        for file, path in (("service.yaml", ("spec", "template", "spec")), ("migrate-job.yaml", ("spec", "template", "spec", "template", "spec"))):
            if not (root / "deploy/cloudrun" / file).is_file():
                continue
            spec = yaml.load((root / "deploy/cloudrun" / file).read_text())
            for key in path:
                spec = spec[key]
            env = spec["containers"][0]["env"]
            assert {e["name"]: e["value"] for e in env if "value" in e} == plain
            assert [(e["name"], e["valueFrom"]["secretKeyRef"]["name"]) for e in env if "valueFrom" in e] == \
                [("POSTGRES_PASSWORD", "postgres-parts-postgres-password"), ("SECRET_KEY", "postgres-parts-secret-key")]
        assert "gcloud secrets create postgres-parts-secret-key" in deploy
    elif target == "aci":
        props = yaml.load((root / "deploy/aci/container-group.yaml").read_text())["properties"]["containers"][0]["properties"]
        assert aci_errors(yaml.load((root / "deploy/aci/container-group.yaml").read_text())) == []
        assert {e["name"]: e["value"] for e in props["environmentVariables"]} == plain
        assert "`POSTGRES_PASSWORD`, `SECRET_KEY` as `secureValue`" in deploy
    elif target == "fly":
        config = tomllib.loads((root / "fly.toml").read_text())
        assert fly_errors(config) == [] and config["env"] == plain
        assert fly_errors({**config, "env": {"POSTGRES_PORT": 5432}}) == ["env/POSTGRES_PORT: not a string"]
        assert "fly secrets set POSTGRES_PASSWORD=... SECRET_KEY=..." in deploy
    elif target == "render":
        web = yaml.load((root / "render.yaml").read_text())["services"][0]
        # the Render database fills every part of the connection the app reads, under the app's own names
        assert {e["key"]: e["fromDatabase"]["property"] for e in web["envVars"] if "fromDatabase" in e} == {
            "POSTGRES_SERVER": "host", "POSTGRES_PORT": "port", "POSTGRES_USER": "user",
            "POSTGRES_PASSWORD": "password", "POSTGRES_DB": "database"}
        assert {e["key"]: e["value"] for e in web["envVars"] if "value" in e} == {
            "PORT": "8000", "FIRST_SUPERUSER": "admin@example.com", "PROJECT_NAME": "parts"}
        assert [e["key"] for e in web["envVars"] if e.get("sync") is False] == ["SECRET_KEY"]
    elif target == "railway":
        assert "railway variables --set POSTGRES_USER=postgres" in deploy
        assert "railway variables --set SECRET_KEY=...   # a secret" in deploy
