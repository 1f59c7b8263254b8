"""Live: the items service on a one-node swarm, as `quayside init --target swarm` writes it and
`quayside deploy swarm` deploys it.

The client is on 127.0.0.1: it talks to an nginx edge published on 127.0.0.1 only and attached to the
stack's overlay network, configured with the snippet DEPLOY.md gives (swarm would publish on every address,
and this kernel has no IPVS for the routing mesh). The swarm is initialised on loopback when the engine is
not in one, and left again afterwards: the engine is left as found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import EXAMPLES, copy_project
from quayside import docker
from quayside.check import run_check
from quayside.load import Load, summarize
from quayside.swarm import statuses
from swarmlab import remove_everything, start_edge, swarm_engine

pytestmark = pytest.mark.docker


def quayside(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ})


def http_json(method: str, url: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


@pytest.fixture(scope="module")
def engine_in_swarm():
    with swarm_engine():
        yield


@pytest.fixture(scope="module")
def stack(engine_in_swarm, tmp_path_factory):
    project = copy_project(EXAMPLES / "items-service", tmp_path_factory.mktemp("swarm"), "items")
    name = f"qsw{uuid.uuid4().hex[:6]}"
    init = quayside("init", str(project), "--target", "swarm")
    assert init.returncode == 0, init.stderr
    edge = f"{name}-edge"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        port = start_edge(project, name, edge)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while http_json("GET", base + "/ready")[0] != 200:
            assert time.monotonic() < deadline, "the stack never answered /ready through the edge"
            time.sleep(0.5)
        yield {"project": project, "name": name, "base": base, "port": port, "deploy_output": deployed.stdout}
    finally:
        remove_everything(name, edge)


def test_generated_stack_has_zero_findings(stack):
    assert run_check(stack["project"]).findings == []


def test_deploy_converges_with_migrations_and_secrets(stack):
    services = {s.name.removeprefix(stack["name"] + "_"): s for s in statuses(stack["name"])}
    assert services["app"].running == services["app"].desired == 2
    assert services["db"].running == 1
    assert services["migrate"].is_job and services["migrate"].completed == 1
    assert "created secret items_db_password" in stack["deploy_output"]  # named in stack.yaml, after the project
    # the table of migrations exists, and the app reached Postgres through the database_url secret
    status, created = http_json("POST", stack["base"] + "/items", {"name": "swarm", "price": 2.5})
    assert status == 201, created
    status, listing = http_json("GET", stack["base"] + "/items")
    assert status == 200 and any(item["name"] == "swarm" for item in listing["items"])
    # nothing secret is in the environment of the tasks
    container = docker.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={stack['name']}_app"]).stdout.split()[0]
    env = docker.inspect_container(container)["Config"]["Env"]
    assert not any("DATABASE_URL" in e or "PASSWORD" in e for e in env), env


def _app_containers(name: str) -> set[str]:
    return set(docker.run(["ps", "-q", "--no-trunc", "--filter", f"label=com.docker.swarm.service.name={name}_app"]).stdout.split())


def test_rolling_update_under_load_fails_no_request(stack):
    project, name = stack["project"], stack["name"]
    before_image = next(s.image for s in statuses(name) if s.name == f"{name}_app")
    main = project / "app" / "main.py"
    main.write_text(main.read_text() + "\n# version 2\n")  # new code: a new image, so swarm rolls it out
    load = Load("127.0.0.1", stack["port"], "/items?limit=1", connections=4, pause=0.01).start()
    time.sleep(3)
    started = time.monotonic()
    rolled = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
    finished = time.monotonic()
    time.sleep(2)
    samples = load.stop()
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    app = next(s for s in statuses(name) if s.name == f"{name}_app")
    assert app.image != before_image and app.update == "completed" and app.running == 2
    during = summarize([s for s in samples if started <= s.started < finished])
    everything = summarize(samples)
    assert during.sent > 200, during  # the load really ran through the update
    assert everything.failed == 0, everything.errors


def test_killed_task_is_replaced_and_health_recovers(stack):
    name = stack["name"]
    before = _app_containers(name)
    victim = sorted(before)[0]
    killed = time.monotonic()
    docker.run(["kill", "--signal", "KILL", victim])  # the server is PID 1: this is kill -9 of the server
    deadline = killed + 90
    while True:
        app = next(s for s in statuses(name) if s.name == f"{name}_app")
        now = _app_containers(name)
        if app.running == 2 and victim not in now and len(now) == 2:
            break
        assert time.monotonic() < deadline, f"swarm did not replace the killed task within 90s: {app}"
        time.sleep(0.5)
    recovered = time.monotonic() - killed
    assert http_json("GET", stack["base"] + "/ready")[0] == 200
    assert recovered < 60, recovered


def test_failed_update_rolls_back_and_the_old_version_keeps_serving(stack):
    project, name = stack["project"], stack["name"]
    good_image = next(s.image for s in statuses(name) if s.name == f"{name}_app")
    main = project / "app" / "main.py"
    original = main.read_text()
    main.write_text(original + "\nraise RuntimeError('broken release')\n")
    try:
        load = Load("127.0.0.1", stack["port"], "/health", connections=2, pause=0.02).start()
        broken = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
        samples = load.stop()
    finally:
        main.write_text(original)
    assert broken.returncode == 3, broken.stdout + broken.stderr
    assert "rolled back" in broken.stderr and "broken release" in broken.stderr
    app = next(s for s in statuses(name) if s.name == f"{name}_app")
    assert app.image == good_image and app.running == 2
    assert summarize(samples).failed == 0
