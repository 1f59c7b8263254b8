"""Live: the items service on Postgres through compose, as `quayside init --target compose` writes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from ruamel.yaml import YAML

from quayside.check import run_check
from quayside.engine import docker
from quayside.verify import VerifyOptions, verify_image
from support.projects import EXAMPLES, copy_project

pytestmark = pytest.mark.docker


def quayside(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})}, check=False)


def http(method: str, url: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def wait_for(url: str, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = http("GET", url)[0]
            if last == status:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last})")


@pytest.fixture
def stack(tmp_path):
    # a folder named pg-…: Postgres reserves roles named pg_…, so the roles init names must not start so
    project = copy_project(EXAMPLES / "items-service", tmp_path, "pg-items")
    name = f"qstest-{uuid.uuid4().hex[:8]}"
    init = quayside("init", str(project), "--target", "compose")
    assert init.returncode == 0, init.stderr
    env = {"APP_PORT": ""}  # empty: a free port on 127.0.0.1
    up = quayside("up", str(project), "-p", name, env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield project, name, env, up.stdout
    finally:
        quayside("down", str(project), "-p", name, "--volumes")
        docker.run(["rmi", "-f", "pg-items:latest"], check=False)


def app_url(project, name) -> str:
    out = docker.run(["compose", "-f", str(project / "compose.yaml"), "-p", name, "port", "app", "8000"]).stdout.strip()
    return "http://127.0.0.1:" + out.rsplit(":", 1)[1]


def compose(project, name, *args):
    return docker.run(["compose", "-f", str(project / "compose.yaml"), "--project-directory", str(project), "-p", name, *args], timeout=120)


def _env(project) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line and not line.startswith("#"))


def _psql(project, name, user: str, password: str, sql: str) -> subprocess.CompletedProcess[str]:
    """SQL over TCP inside the db container, as a given role (what the app's own connection can do)."""
    db = _env(project)["POSTGRES_DB"]
    return subprocess.run(["docker", "compose", "-f", str(project / "compose.yaml"), "-p", name, "exec", "-T",
                           "-e", f"PGPASSWORD={password}", "db", "psql", "-h", "127.0.0.1", "-U", user, "-d", db,
                           "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], capture_output=True, text=True, timeout=60, check=False)


def assert_least_privilege(project, name) -> None:
    env = _env(project)
    app_user, app_password = env["DB_APP_USER"], env["DB_APP_PASSWORD"]
    # \du's attributes: the app's role is neither superuser nor able to create roles or databases
    roles = _psql(project, name, app_user, app_password,
                  "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname IN "
                  f"('{app_user}', '{env['DB_OWNER']}') ORDER BY rolname")
    assert roles.returncode == 0, roles.stderr
    assert sorted(roles.stdout.split()) == sorted([f"{app_user}|f|f|f", f"{env['DB_OWNER']}|f|f|f"])
    # the audit's exploit: a shell in the db container through the app's connection
    shell = _psql(project, name, app_user, app_password, "COPY (SELECT 1) TO PROGRAM 'id'")
    assert shell.returncode != 0
    assert "permission denied" in shell.stderr or "must be superuser" in shell.stderr or "pg_execute_server_program" in shell.stderr
    # no DDL for the app; its rows are its own
    ddl = _psql(project, name, app_user, app_password, "CREATE TABLE stolen (x int)")
    assert ddl.returncode != 0 and "permission denied" in ddl.stderr
    assert _psql(project, name, app_user, app_password, "SELECT count(*) FROM items").returncode == 0
    # the superuser still can (so the test above is not vacuous): the restriction is the role's
    # (a program that reads what COPY writes: `true` may exit first, and Postgres then fails on a broken pipe)
    superuser = _psql(project, name, "postgres", env["POSTGRES_PASSWORD"], "COPY (SELECT 1) TO PROGRAM 'cat > /dev/null'")
    assert superuser.returncode == 0, superuser.stderr


def test_items_service_on_postgres_through_compose(stack):
    project, name, env, up_output = stack
    assert "app" in up_output and "healthy" in up_output
    url = app_url(project, name)
    assert [f.rule for f in run_check(project).findings] == []

    # migrations ran in the one-off service, before the app
    migrate = json.loads(compose(project, name, "ps", "--all", "--format", "json", "migrate").stdout.strip().splitlines()[0])
    assert migrate["State"] == "exited" and migrate["ExitCode"] == 0
    assert "Running upgrade" in compose(project, name, "logs", "migrate").stdout + compose(project, name, "logs", "migrate").stderr

    # CRUD over HTTP
    status, created = http("POST", f"{url}/items", {"name": "hammer", "description": "steel", "price": 12.5})
    assert status == 201
    item_id = created["id"]
    for i in range(3):
        assert http("POST", f"{url}/items", {"name": f"nail {i}", "price": 0.1})[0] == 201
    status, page = http("GET", f"{url}/items?offset=1&limit=2")
    assert status == 200 and page["total"] == 4 and [i["name"] for i in page["items"]] == ["nail 0", "nail 1"]
    assert http("PATCH", f"{url}/items/{item_id}", {"price": 10})[1]["price"] == 10
    doomed = page["items"][0]["id"]
    assert http("DELETE", f"{url}/items/{doomed}")[0] == 204
    assert http("GET", f"{url}/items/{doomed}")[0] == 404

    # least privilege: the app's role reads and writes rows, and nothing more
    assert_least_privilege(project, name)

    # PIDs limits (CIS 5.28): the engine applies each service's limit from the file, and a thread bomb in the
    # app stops at it instead of exhausting the host
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    for service in ("app", "db", "migrate"):
        limit = services[service]["deploy"]["resources"]["limits"]["pids"]
        host = docker.inspect_container(f"{name}-{service}-1")["HostConfig"]
        assert host["PidsLimit"] == limit, service
        assert host["CpuShares"] == services[service]["cpu_shares"], service
    bomb = ("import threading, time\nstarted = 0\ntry:\n    while started < 5000:\n"
            "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n        started += 1\n"
            "except RuntimeError:\n    pass\nprint(started)")
    threads = compose(project, name, "exec", "-T", "app", "python", "-c", bomb).stdout.strip()
    assert int(threads) < services["app"]["deploy"]["resources"]["limits"]["pids"], threads

    # readiness follows the database; liveness does not; recovery needs no app restart
    started = docker.inspect_container(f"{name}-app-1")["State"]["StartedAt"]
    compose(project, name, "stop", "db")
    assert http("GET", f"{url}/ready")[0] == 503
    assert http("GET", f"{url}/health")[0] == 200
    compose(project, name, "start", "db")
    wait_for(f"{url}/ready", 200, timeout=60)
    assert docker.inspect_container(f"{name}-app-1")["State"]["StartedAt"] == started

    # data survives down + up (the named volume)
    down = quayside("down", str(project), "-p", name)
    assert down.returncode == 0 and "volumes kept" in down.stdout
    up = quayside("up", str(project), "-p", name, env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    url = app_url(project, name)
    status, survivor = http("GET", f"{url}/items/{item_id}")
    assert status == 200 and survivor == {**created, "price": 10.0}
    assert http("GET", f"{url}/items")[1]["total"] == 3

    # the image compose built passes verify on its own (no database needed for liveness and docs)
    report = verify_image("pg-items:latest", VerifyOptions())
    assert report.ok, [c for c in report.checks if c.status == "fail"]


def test_up_failure_shows_the_failing_service_logs(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path, "broken")
    assert quayside("init", str(project), "--target", "compose").returncode == 0
    (project / "alembic" / "versions" / "0002_broken.py").write_text(
        'revision = "0002"\ndown_revision = "0001"\n\n\ndef upgrade():\n    raise RuntimeError("migration exploded on purpose")\n')
    name = f"qstest-{uuid.uuid4().hex[:8]}"
    try:
        up = quayside("up", str(project), "-p", name, "--wait-timeout", "120", env={"APP_PORT": ""})
        assert up.returncode == 3
        assert "migrate" in up.stderr and "migration exploded on purpose" in up.stderr
    finally:
        quayside("down", str(project), "-p", name, "--volumes")
        docker.run(["rmi", "-f", "broken:latest"], check=False)
