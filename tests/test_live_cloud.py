"""Live: the image each cloud target deploys, run the way that platform runs it, with the settings read from
the generated file: the port it sends traffic to (and PORT set to it), its health path, the memory limit, the
user and read-only root filesystem where the file sets them, its stop signal and stop timeout.

No cloud account is used: this proves the container keeps the file's promises, not the platform's behaviour.
"""

from __future__ import annotations

import json
import time
import tomllib
import urllib.request
import uuid

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.build import build_image
from quayside.cli import app
from quayside.engine import docker
from support.projects import EXAMPLES, copy_project

pytestmark = pytest.mark.docker
runner = CliRunner()
yaml = YAML(typ="safe")
CLOUD_RUN_STOP_SECONDS = 10  # Cloud Run's fixed time between SIGTERM and SIGKILL


def platform_settings(root, target: str) -> dict:
    """What the platform would do, read from the file quayside wrote (not from quayside's plan)."""
    if target == "cloudrun":
        spec = yaml.load((root / "deploy/cloudrun/service.yaml").read_text())["spec"]["template"]["spec"]
        c = spec["containers"][0]
        return {"port": c["ports"][0]["containerPort"], "health": c["startupProbe"]["httpGet"]["path"],
                "memory": c["resources"]["limits"]["memory"].replace("Mi", "m"), "stop": CLOUD_RUN_STOP_SECONDS, "signal": "SIGTERM"}
    if target == "ecs":
        c = json.loads((root / "deploy/ecs/task-definition.json").read_text())["containerDefinitions"][0]
        return {"port": c["portMappings"][0]["containerPort"], "health_cmd": c["healthCheck"]["command"][1:],
                "memory": f"{c['memory']}m", "stop": c["stopTimeout"], "signal": "SIGTERM", "user": c["user"],
                "read_only": c["readonlyRootFilesystem"]}
    if target == "aci":
        c = yaml.load((root / "deploy/aci/container-group.yaml").read_text())["properties"]["containers"][0]["properties"]
        return {"port": c["ports"][0]["port"], "health": c["livenessProbe"]["httpGet"]["path"],
                "ready": c["readinessProbe"]["httpGet"]["path"], "memory": f"{int(c['resources']['limits']['memoryInGB'] * 1024)}m",
                "stop": 30, "signal": "SIGTERM"}
    if target == "fly":
        config = tomllib.loads((root / "fly.toml").read_text())
        service = config["services"][0]
        return {"port": service["internal_port"], "health": service["http_checks"][0]["path"],
                "memory": config["vm"][0]["memory"].replace("mb", "m"), "stop": config["kill_timeout"], "signal": config["kill_signal"]}
    if target == "render":
        web = yaml.load((root / "render.yaml").read_text())["services"][0]
        port = int(next(e["value"] for e in web["envVars"] if e["key"] == "PORT"))
        return {"port": port, "health": web["healthCheckPath"], "memory": "512m", "stop": web["maxShutdownDelaySeconds"], "signal": "SIGTERM"}
    deploy = json.loads((root / "railway.json").read_text())["deploy"]
    return {"port": 8000, "health": deploy["healthcheckPath"], "memory": "512m", "stop": deploy["drainingSeconds"], "signal": "SIGTERM"}


@pytest.fixture(scope="module")
def cloud_projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("cloud")
    roots = {}
    for target in ("cloudrun", "ecs", "aci", "fly", "render", "railway"):
        root = copy_project(EXAMPLES / "guide-app", base / target, "guide-app")
        result = runner.invoke(app, ["init", str(root), "--target", target])
        assert result.exit_code == 0, result.output
        roots[target] = root
    dockerfiles = {(r / "Dockerfile").read_text() for r in roots.values()}
    assert len(dockerfiles) == 1  # every platform deploys the same image
    tag = f"quayside-cloud-{uuid.uuid4().hex[:8]}:test"
    build_image(roots["ecs"], tag=tag)
    yield roots, tag
    docker.run(["image", "rm", "-f", tag], check=False)


@pytest.mark.parametrize("target", ["cloudrun", "ecs", "aci", "fly", "render", "railway"])
def test_the_container_as_the_platform_runs_it(cloud_projects, target):
    roots, tag = cloud_projects
    s = platform_settings(roots[target], target)
    name = f"quayside-cloud-{target}-{uuid.uuid4().hex[:6]}"
    args = ["run", "-d", "--name", name, "-p", f"127.0.0.1::{s['port']}", "-e", f"PORT={s['port']}", "--memory", s["memory"]]
    if s.get("user"):
        args += ["--user", s["user"]]
    if s.get("read_only"):
        args += ["--read-only", "--tmpfs", "/tmp"]
    try:
        docker.run([*args, tag])
        host_port = int(docker.run(["port", name, f"{s['port']}/tcp"]).stdout.splitlines()[0].rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{host_port}{s.get('health', '/openapi.json')}", timeout=3) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, f"{target}: the health path in the file never answered on the port in the file"
        if "ready" in s:
            with urllib.request.urlopen(f"http://127.0.0.1:{host_port}{s['ready']}", timeout=3) as response:
                assert response.status == 200
        if "health_cmd" in s:
            assert docker.run(["exec", name, *s["health_cmd"]], check=False).returncode == 0  # ECS runs it in the container
        started = time.monotonic()
        docker.run(["stop", "--signal", s["signal"], "--time", str(s["stop"]), name], timeout=s["stop"] + 30)
        stopped = time.monotonic() - started
        state = docker.inspect_container(name)["State"]
        assert state["ExitCode"] == 0 and not state["OOMKilled"], state  # a graceful exit, not the platform's SIGKILL
        assert stopped < min(s["stop"], 5), stopped
    finally:
        docker.run(["rm", "-f", name], check=False)
