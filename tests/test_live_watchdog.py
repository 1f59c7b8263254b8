"""Live: a hung app under compose is replaced. Docker restarts containers that exit, not ones that hang: the
audit stopped the server (SIGSTOP) and saw it unhealthy with 0 restarts. The compose file quayside writes has a
health check that ends a server which failed three checks in a row, so `restart: unless-stopped` applies.

The mutant (the same project with only the image's own HEALTHCHECK) shows the test can fail: it stays hung."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from ruamel.yaml import YAML

from quayside.engine import docker
from support.projects import EXAMPLES, copy_project

pytestmark = pytest.mark.docker

# Every server process stops (the uvicorn supervisor and its workers): the app hangs as a deadlock would leave
# it. PID 1 is left alone here: the kernel ignores SIGSTOP sent to a namespace's init from inside it.
STOP_SERVER = ("import os, signal\n"
               "for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
               "    if pid not in (1, os.getpid()):\n"
               "        try:\n"
               "            os.kill(pid, signal.SIGSTOP)\n"
               "        except OSError:\n"
               "            pass\n")


def _compose(project, name, *args, timeout=600):
    return subprocess.run(["docker", "compose", "-f", str(project / "compose.yaml"), "--project-directory", str(project),
                           "-p", name, *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "APP_PORT": ""})


@pytest.fixture
def hung(tmp_path):
    """The guide app under the compose file quayside writes, up and healthy, then its server stopped (SIGSTOP)."""
    project = copy_project(EXAMPLES / "guide-app", tmp_path, "watchdog")
    init = subprocess.run([sys.executable, "-m", "quayside", "init", str(project), "--target", "compose"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr
    name = f"qstest-{uuid.uuid4().hex[:8]}"

    def start(mutate=None):
        if mutate is not None:
            yaml = YAML()
            data = yaml.load((project / "compose.yaml").read_text())
            mutate(data)
            with (project / "compose.yaml").open("w") as handle:
                yaml.dump(data, handle)
        up = _compose(project, name, "up", "--detach", "--build", "--wait", "--wait-timeout", "120")
        assert up.returncode == 0, up.stdout + up.stderr
        container = f"{name}-app-1"
        assert _compose(project, name, "exec", "-T", "app", "python", "-c", STOP_SERVER).returncode == 0
        if not docker.inspect_container(container)["HostConfig"].get("Init"):
            # no init: PID 1 is the server's supervisor itself, stopped from outside (inside, the kernel ignores it)
            docker.run(["kill", "--signal", "SIGSTOP", container])
        return container

    yield start
    _compose(project, name, "down", "--volumes", "--remove-orphans")
    docker.run(["rmi", "-f", "watchdog:latest"], check=False)


def _state(container: str) -> tuple[int, str]:
    info = docker.inspect_container(container)
    return info["RestartCount"], (info["State"].get("Health") or {}).get("Status", "")


def test_a_hung_app_is_replaced(hung):
    container = hung()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        restarts, health = _state(container)
        if restarts >= 1 and health == "healthy":
            break
        time.sleep(1)
    restarts, health = _state(container)
    assert restarts >= 1, f"the hung app was never replaced (health {health})"
    assert health == "healthy"


def test_mutant_with_only_the_images_health_check_stays_hung(hung):
    def image_check_only(data):
        del data["services"]["app"]["healthcheck"]
        del data["services"]["app"]["init"]

    container = hung(image_check_only)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _state(container)[1] != "unhealthy":
        time.sleep(1)
    assert _state(container)[1] == "unhealthy"
    time.sleep(25)  # more than two check intervals after unhealthy: nothing replaces it
    assert _state(container) == (0, "unhealthy")
