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
import re
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from ruamel.yaml import YAML

from quayside.check import run_check
from quayside.engine import docker
from quayside.targets.swarm.deploy import statuses
from support.load import Load, summarize
from support.projects import EXAMPLES, copy_project
from support.proxylab import DOMAIN, PEBBLE, http_get, https_get, pebble_root, write_pebble_config
from support.swarmlab import remove_everything, start_edge, swarm_engine

pytestmark = pytest.mark.docker


def quayside(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ}, check=False)


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
        while True:  # nginx may still be starting: a refused or dropped connection means try again
            try:
                if http_json("GET", base + "/ready")[0] == 200:
                    break
            except OSError:
                pass
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
    # PIDs limits (CIS 5.28) reach the tasks' containers
    assert docker.inspect_container(container)["HostConfig"]["PidsLimit"] == 256
    # least privilege: the app's role (whose URL the app holds) is no superuser: no shell through it
    db = docker.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={stack['name']}_db"]).stdout.split()[0]
    app_password = docker.run(["exec", db, "cat", "/run/secrets/db_app_password"]).stdout

    def as_app(sql: str):
        return docker.run(["exec", "-e", f"PGPASSWORD={app_password}", db, "psql", "-h", "127.0.0.1", "-U", "items_app",
                           "-d", "items", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], check=False)

    assert as_app("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").stdout.strip() == "f"
    shell = as_app("COPY (SELECT 1) TO PROGRAM 'id'")
    assert shell.returncode != 0 and ("permission denied" in shell.stderr or "must be superuser" in shell.stderr)
    assert as_app("SELECT count(*) FROM items").returncode == 0


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


def _interpolate(text: str, env: dict[str, str]) -> str:
    """${VAR:-default} as `docker stack deploy` expands it."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m.group(1)) or (m.group(2) or ""), text)


@pytest.mark.parametrize("routes", ["as-generated", "mutant-reused-connections"])
def test_traefik_routes_from_its_file_to_every_task_with_acme_and_no_socket(engine_in_swarm, tmp_path, routes):
    """--proxy traefik: the stack deployed as written, except that its proxy service runs as a container of
    the test (same image, command, environment, config file, volumes and capabilities, from stack.yaml)
    published on 127.0.0.1 only. Traefik reads the route from its file (no Docker socket), reaches both
    tasks through swarm's DNS, and gets a certificate from pebble (real ACME). The mutant reuses connections
    (Traefik's default): one task then gets every request, so the spreading is the generated file's doing."""
    project = copy_project(EXAMPLES / "items-service", tmp_path, "items")
    name = f"qst{uuid.uuid4().hex[:6]}"
    env = {"APP_DOMAIN": DOMAIN, "ACME_EMAIL": "ops@quayside.test", "ACME_CA_SERVER": "https://pebble:14000/dir"}
    init = quayside("init", str(project), "--target", "swarm", "--proxy", "traefik")
    assert init.returncode == 0, init.stderr
    stack_path = project / "stack.yaml"
    stack = YAML().load(stack_path.read_text())
    proxy = stack["services"].pop("proxy")  # swarm would publish it on every address: the test runs it instead
    YAML().dump(stack, stack_path)
    if routes.startswith("mutant"):
        dynamic = project / "traefik" / "dynamic.yaml"
        rules = YAML().load(dynamic.read_text())
        del rules["http"]["serversTransports"]
        for service in rules["http"]["services"].values():
            del service["loadBalancer"]["serversTransport"]
        YAML().dump(rules, dynamic)
    pebble, traefik = f"{name}-pebble", f"{name}-traefik"
    try:
        deployed = subprocess.run([sys.executable, "-m", "quayside", "deploy", "swarm", str(project), "--stack", name, "--timeout", "240"],
                                  capture_output=True, text=True, timeout=600, env={**os.environ, **env}, check=False)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        network = f"{name}_backend"
        write_pebble_config(project / "pebble")
        docker.run(["run", "-d", "--name", pebble, "--network", network, "--network-alias", "pebble", "-e", "PEBBLE_VA_NOSLEEP=1",
                    "-v", f"{project / 'pebble'}:/quayside:ro", "-p", "127.0.0.1::15000", PEBBLE, "pebble", "-config", "/quayside/config.json"])
        command = [_interpolate(str(arg), env) for arg in proxy["command"]]
        # the service's mounts as swarm would make them: named volumes get the stack's prefix, configs are files
        assert all(not volume.startswith("/") for volume in proxy["volumes"]), proxy["volumes"]
        mounts = [a for volume in proxy["volumes"] for a in ("-v", f"{name}_{volume}")]
        for config in proxy["configs"]:
            source = project / stack["configs"][config["source"]]["file"]
            mounts += ["-v", f"{source}:{config['target']}:ro"]
        environment = [a for key, value in proxy["environment"].items() for a in ("-e", f"{key}={_interpolate(value, env)}")]
        hardening = ["--read-only", *(a for path in proxy["tmpfs"] for a in ("--tmpfs", path)),
                     *(a for cap in proxy["cap_drop"] for a in ("--cap-drop", cap)), *(a for cap in proxy["cap_add"] for a in ("--cap-add", cap))]
        docker.run(["run", "-d", "--name", traefik, "--network", network, "--network-alias", DOMAIN, *environment, *hardening,
                    "-e", "LEGO_CA_CERTIFICATES=/quayside/minica.pem", "-v", f"{project / 'pebble'}:/quayside:ro", *mounts,
                    "-p", "127.0.0.1::80", "-p", "127.0.0.1::443", proxy["image"], *command])
        assert "docker.sock" not in docker.run(["inspect", "--format", "{{json .Mounts}}", traefik]).stdout
        port = {p: int(docker.run(["port", traefik, f"{p}/tcp"]).stdout.splitlines()[0].rsplit(":", 1)[1]) for p in (80, 443)}
        mgmt = int(docker.run(["port", pebble, "15000/tcp"]).stdout.splitlines()[0].rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while True:
            try:
                root = pebble_root(mgmt, project / "pebble" / "minica.pem")
                break
            except OSError:
                assert time.monotonic() < deadline, "pebble never answered"
                time.sleep(0.5)
        cafile = tmp_path / "pebble-root.pem"
        cafile.write_text(root)
        deadline = time.monotonic() + 120
        while True:  # Traefik serves its default certificate until ACME has issued the real one
            try:
                status, _, body = https_get(port[443], "/ready", str(cafile))
                if status == 200:
                    break
            except (OSError, ssl.SSLError) as exc:
                if time.monotonic() > deadline:
                    logs = docker.run(["logs", "--tail", "40", traefik], check=False)
                    raise AssertionError(f"no route or no pebble certificate within 120 s: {exc}\n{logs.stdout}{logs.stderr}") from None
            time.sleep(1)
        assert json.loads(body) == {"status": "ready"}
        status, headers = http_get(port[80], "/items")
        assert status in (301, 302, 307, 308) and headers["location"].startswith(f"https://{DOMAIN}")
        status, headers, _ = https_get(port[443], "/items/", str(cafile))
        assert status == 307 and headers["location"] == f"https://{DOMAIN}/items"  # X-Forwarded-Proto trusted
        # dnsrr and a connection per request: swarm's DNS spreads Traefik's requests over the tasks; both answer
        for _ in range(20):
            assert https_get(port[443], "/health?via=traefik", str(cafile))[0] == 200
        served = set()
        for container in _app_containers(name):
            if "via=traefik" in docker.run(["logs", container], check=False).stdout:
                served.add(container)
        assert len(served) == (2 if routes == "as-generated" else 1), served
    finally:
        docker.run(["rm", "-f", traefik, pebble], check=False)
        docker.run(["volume", "rm", f"{name}_letsencrypt"], check=False)
        remove_everything(name, f"{name}-edge")


def test_an_app_reading_its_database_in_parts_reaches_it_as_its_own_role(engine_in_swarm, tmp_path):
    """The full-stack template's shape (POSTGRES_SERVER/USER/PASSWORD/DB, a required SECRET_KEY, a documented
    FIRST_SUPERUSER), its settings reading /run/secrets as DEPLOY.md asks: deployed with nothing added, the
    migration job runs as the owner and the app queries the table it made as the rows-only role."""
    from support.projects import FIXTURES

    project = copy_project(FIXTURES / "postgres-parts", tmp_path, "parts")
    config = project / "app" / "core" / "config.py"
    config.write_text(config.read_text().replace('env_file=".env",', 'env_file=".env", secrets_dir="/run/secrets",'))
    assert quayside("init", str(project), "--target", "swarm").returncode == 0
    name = f"qsp{uuid.uuid4().hex[:6]}"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "created secret parts_secret_key" in deployed.stdout  # a key the app signs with: generated
        container = docker.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={name}_app"]).stdout.split()[0]
        ask = ("import urllib.request, urllib.error\ntry:\n    print(urllib.request.urlopen('http://127.0.0.1:8000/ready').read().decode())\n"
               "except urllib.error.HTTPError as e:\n    print(e.read().decode())")
        # the table exists (the owner migrated it) and the app's role read it; swarm runs no prestart step
        assert json.loads(docker.run(["exec", container, "python", "-c", ask]).stdout) == {"status": "no superuser"}
        who = docker.run(["exec", container, "python", "-c",
                          "from sqlalchemy import text\nfrom app.db import engine\n"
                          "print(engine.connect().execute(text('SELECT current_user')).scalar())"]).stdout.strip()
        assert who == "parts_app"
        env = docker.inspect_container(container)["Config"]["Env"]
        assert not any("PASSWORD" in e or "SECRET_KEY" in e for e in env), env
    finally:
        remove_everything(name, f"{name}-edge")


def test_the_migrate_job_reaches_this_stacks_database_not_the_ini_url(engine_in_swarm, tmp_path):
    """`alembic init`'s env.py connects to alembic.ini's URL (the author's localhost): the job sets it to this
    stack's database from its own secret, and the app counts the rows of the table the migration made. Its
    broken variant, plain `alembic upgrade head`, never completes."""
    from support.projects import FIXTURES

    project = copy_project(FIXTURES / "alembic-ini-url", tmp_path, "books")
    main = project / "app" / "main.py"  # the app reads its URL where swarm puts it, as DEPLOY.md asks
    main.write_text(main.read_text().replace('os.environ.get("DATABASE_URL", ', 'open("/run/secrets/database_url").read().strip() or (', 1))
    assert quayside("init", str(project), "--target", "swarm").returncode == 0
    name = f"qsa{uuid.uuid4().hex[:6]}"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "created secret books_migrate_alembic_url" in deployed.stdout
        container = docker.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={name}_app"]).stdout.split()[0]
        ask = "import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:8000/books').read().decode())"
        assert json.loads(docker.run(["exec", container, "python", "-c", ask]).stdout) == {"books": 0}
    finally:
        remove_everything(name, f"{name}-edge")
    stack = project / "stack.yaml"
    lines = stack.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith('    command: ["python", "-c", "import os, sys; from alembic'))
    lines[at] = '    command: ["alembic", "upgrade", "head"]\n'
    stack.write_text("".join(lines))
    name = f"qsa{uuid.uuid4().hex[:6]}"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "60")
        assert deployed.returncode != 0 and "migrate" in deployed.stdout + deployed.stderr, deployed.stdout + deployed.stderr
    finally:
        remove_everything(name, f"{name}-edge")


def test_an_app_that_makes_its_own_tables_connects_as_the_owner(engine_in_swarm, tmp_path):
    """No migrator, create_all at start: deployed with nothing added, the app makes its table as the owner and
    answers. The broken variant, its URL naming the rows-only role, never converges: the role cannot create a table."""
    from support.projects import FIXTURES

    project = copy_project(FIXTURES / "creates-its-tables", tmp_path, "notes")
    assert quayside("init", str(project), "--target", "swarm").returncode == 0
    name = f"qso{uuid.uuid4().hex[:6]}"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "240")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        container = docker.run(["ps", "-q", "--filter", f"label=com.docker.swarm.service.name={name}_app"]).stdout.split()[0]
        ask = "import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:8000/health').read().decode())"
        assert json.loads(docker.run(["exec", container, "python", "-c", ask]).stdout) == {"notes": 0, "as": "notes_owner"}
    finally:
        remove_everything(name, f"{name}-edge")
    stack = project / "stack.yaml"
    stack.write_text(stack.read_text().replace("notes_owner:{notes_db_owner_password}", "notes_app:{notes_db_app_password}"))
    name = f"qso{uuid.uuid4().hex[:6]}"
    try:
        deployed = quayside("deploy", "swarm", str(project), "--stack", name, "--timeout", "90")
        output = deployed.stdout + deployed.stderr
        assert deployed.returncode != 0 and "permission denied for schema public" in output, output
    finally:
        remove_everything(name, f"{name}-edge")
