"""Live faults: crash and restart, SIGTERM under load, read-only root filesystem, slow start.

(The database outage is proven in test_live_compose: readiness 503, liveness 200, recovery with no restart.)
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from quayside.build import build_image
from quayside.engine import docker
from quayside.files import apply_writes, plan_writes
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, build_plan
from quayside.targets.docker import render_files
from quayside.verify import VerifyOptions, verify_image
from support.projects import EXAMPLES, FIXTURES, copy_project

pytestmark = pytest.mark.docker

# A bounded HTTP client: a fresh connection per request, so the outcomes cannot be confused: "not_accepted"
# (no connection), "closed_unprocessed" (closed before any response byte: uvicorn closes connections whose
# request it has not started when shutdown begins, and HTTP lets a client retry those), "failed" (a partial
# or wrong response). Runs in a container on the test's own network (no docker-proxy in between).
LOAD_CLIENT = r'''
import json, socket, sys, threading, time
host, port, seconds, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
counts = {"ok": 0, "not_accepted": 0, "closed_unprocessed": 0, "failed": 0, "slow_ok": 0}
lock = threading.Lock()
stop_at = time.monotonic() + seconds
def one(slow):
    try:
        s = socket.create_connection((host, port), timeout=1)
    except OSError:
        return "not_accepted"
    data = b""
    path = b"/__quayside/slow?seconds=0.7" if slow else b"/"
    try:
        s.settimeout(10)
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n")
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        return "failed" if data else "closed_unprocessed"
    finally:
        s.close()
    if not data:
        return "closed_unprocessed"  # closed before any response byte: the app never started it, or was killed
    if slow:
        return "slow_ok" if data.startswith(b"HTTP/1.1 200") and b'"slept"' in data else "failed"
    return "ok" if data.startswith(b"HTTP/1.1 200") and data.endswith(b'{"Hello":"World"}') else "failed"
def worker(slow):
    while time.monotonic() < stop_at:
        result = one(slow)
        with lock:
            counts[result] += 1
        if result == "not_accepted":
            time.sleep(0.02)
ts = [threading.Thread(target=worker, args=(i % 2 == 1,)) for i in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
print(json.dumps(counts))
'''


@pytest.fixture(scope="module")
def production_image(tmp_path_factory):
    project = copy_project(EXAMPLES / "guide-app", tmp_path_factory.mktemp("faults"))
    apply_writes(plan_writes(project, render_files(build_plan(inspect_project(project), InitOptions())), force=False))
    tag = f"quayside-test/faults:{uuid.uuid4().hex[:8]}"
    build_image(project, tag=tag)
    yield tag
    docker.run(["rmi", "-f", tag], check=False)


def wait_health(name: str, wanted: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if (docker.inspect_container(name)["State"].get("Health") or {}).get("Status") == wanted:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{name} not {wanted} within {timeout}s")


def _generated_restart_policy(tmp_path) -> str:
    """The app's restart policy as `init --target compose` writes it: the crash test tests our file, not Docker."""
    from ruamel.yaml import YAML
    from typer.testing import CliRunner

    from quayside.cli import app

    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    assert CliRunner().invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    return str(YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]["app"].get("restart", "no"))


def _crash(image: str, restart: str) -> tuple[bool, float]:
    """Start the image with this restart policy, SIGKILL the server, and say whether it came back healthy."""
    if not os.environ.get("DOCKER_HOST", "unix://").startswith("unix://"):
        pytest.skip("kills the server's host process: needs the engine on this machine")
    name = f"quayside-crash-{uuid.uuid4().hex[:8]}"
    docker.run(["run", "-d", "--name", name, "--restart", restart, image])
    try:
        wait_health(name, "healthy", 60)
        pid = docker.inspect_container(name)["State"]["Pid"]
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)  # the server itself dies, as an OOM kill or a segfault would end it
        while time.monotonic() - killed < 30:
            state = docker.inspect_container(name)
            if state["State"]["Pid"] not in (pid, 0) and state["RestartCount"] >= 1:
                wait_health(name, "healthy", 60)
                return True, time.monotonic() - killed
            time.sleep(0.1)
        return False, time.monotonic() - killed
    finally:
        docker.run(["rm", "-f", name], check=False)


def test_crash_is_restarted_and_healthy_again(production_image, tmp_path):
    restart = _generated_restart_policy(tmp_path)
    restarted, seconds = _crash(production_image, restart)
    print(f"restart: {restart}; crash → healthy again in {seconds:.2f}s")
    assert restarted, f"restart policy {restart!r}: the crashed app was not restarted"


def test_crash_mutant_without_a_restart_policy_stays_down(production_image):
    """The test above can fail: with compose's default (no `restart:`), the crashed app stays down."""
    restarted, _ = _crash(production_image, "no")
    assert not restarted


PROBE = Path(__file__).resolve().parents[1] / "src" / "quayside" / "verify" / "probe"
# The mutant: on SIGTERM it kills the real server at once and exits 0, dropping whatever is in flight.
INSTANT_EXIT = ("import os, signal, subprocess; p = subprocess.Popen(['fastapi', 'run', 'app/main.py', '--port', '8000']); "
                "signal.signal(signal.SIGTERM, lambda *a: (p.kill(), os._exit(0))); p.wait()")


def _stop_under_load(image: str, command: list[str]) -> tuple[dict[str, int], str, int, float]:
    """Run the app with the probe's slow route, put load on it, `docker stop` it mid-load: the client's counts,
    the app's logs, its exit code and how long the stop took."""
    tag = uuid.uuid4().hex[:8]
    network, app, client = f"quayside-load-{tag}", f"quayside-load-app-{tag}", f"quayside-load-client-{tag}"
    docker.run(["network", "create", "--internal", network])
    try:
        docker.run(["run", "-d", "--name", app, "--network", network, "--network-alias", "app",
                    "-v", f"{PROBE}:/quayside-probe:ro", "-e", "PYTHONPATH=/quayside-probe", "-e", "QUAYSIDE_PROBE=1",
                    image, *command])
        wait_health(app, "healthy", 60)
        docker.run(["run", "-d", "--name", client, "--network", network, "python:3.12-slim",
                    "python", "-c", LOAD_CLIENT, "app", "8000", "5", "8"])
        time.sleep(2)  # load is flowing, slow requests in flight
        started = time.monotonic()
        docker.run(["stop", "--time", "10", app], timeout=60)
        stop_seconds = time.monotonic() - started
        docker.run(["wait", client], timeout=60)
        counts = json.loads(docker.run(["logs", client]).stdout.strip().splitlines()[-1])
        logs = docker.run(["logs", app])
        return counts, logs.stdout + logs.stderr, docker.inspect_container(app)["State"]["ExitCode"], stop_seconds
    finally:
        docker.run(["rm", "-f", app, client], check=False)
        docker.run(["network", "rm", network], check=False)


def assert_graceful(counts: dict[str, int], logs: str, exit_code: int, workers: int) -> None:
    assert exit_code == 0
    assert counts["ok"] > 50 and counts["not_accepted"] > 0  # load ran before and after the stop
    assert counts["failed"] == 0
    # every request the app processed reached its client whole (uvicorn logs it once the response is sent)
    assert logs.count('"GET / HTTP/1.1" 200') == counts["ok"]
    # every slow request the app accepted (the probe logs it when it starts) finished at the client: the ones
    # in flight when SIGTERM arrived included
    assert logs.count("quayside probe: slow request started") == counts["slow_ok"]
    # and the lifespan's shutdown ran in every worker
    assert logs.count("Application shutdown complete") >= workers


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_loses_no_accepted_request(production_image, workers):
    command = ["fastapi", "run", "app/main.py", "--port", "8000", "--workers", str(workers)]
    counts, logs, exit_code, stop_seconds = _stop_under_load(production_image, command)
    print(f"workers={workers}: {counts}, stop {stop_seconds:.2f}s")
    assert_graceful(counts, logs, exit_code, workers)


def test_sigterm_mutant_that_exits_at_once_is_caught(production_image):
    """The test above can fail: a server that drops everything on SIGTERM loses accepted slow requests."""
    counts, logs, exit_code, _ = _stop_under_load(production_image, ["python", "-c", INSTANT_EXIT])
    print(f"instant exit: {counts}")
    with pytest.raises(AssertionError):
        assert_graceful(counts, logs, exit_code, 1)


def test_read_only_root_filesystem(production_image):
    report = verify_image(production_image, VerifyOptions(read_only=True))
    assert report.ok, [c for c in report.checks if c.status == "fail"]


def test_slow_start_is_covered_by_the_start_period(tmp_path):
    project = copy_project(FIXTURES / "slow-start", tmp_path)
    apply_writes(plan_writes(project, render_files(build_plan(inspect_project(project), InitOptions())), force=False))
    tag = f"quayside-test/slow:{uuid.uuid4().hex[:8]}"
    name = f"quayside-slow-{uuid.uuid4().hex[:8]}"
    build_image(project, tag=tag)
    docker.run(["run", "-d", "--name", name, "--restart", "unless-stopped", tag])
    try:
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            health = docker.inspect_container(name)["State"]["Health"]
            seen.add(health["Status"])
            if health["Status"] == "healthy":
                break
            time.sleep(0.2)
        state = docker.inspect_container(name)
        log = state["State"]["Health"]["Log"]
        assert "unhealthy" not in seen and state["State"]["Health"]["Status"] == "healthy"
        assert state["RestartCount"] == 0
        assert any(entry["ExitCode"] != 0 for entry in log)  # checks did run (and fail) while the app imported
    finally:
        docker.run(["rm", "-f", name], check=False)
        docker.run(["rmi", "-f", tag], check=False)
