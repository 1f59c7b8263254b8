"""init --target compose: snapshots, .env handling, never clobbering, round-trip merge into a user's file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.cli import app
from quayside.inspection import inspect_project
from quayside.plan import Database, InitOptions, Proxy, build_plan
from quayside.targets.base import TargetOptions
from quayside.targets.compose.plan import build_compose_plan, env_file
from quayside.targets.compose.render import render_compose, render_compose_files
from support.projects import EXAMPLES, FIXTURES, copy_project, tree_digest, write

runner = CliRunner()


def _compose(project: Path, db: Database = Database.AUTO, **options):
    info = inspect_project(project)
    dockerfile = build_plan(info, InitOptions(**options))
    return build_compose_plan(info, dockerfile, TargetOptions(proxy=options.get("proxy", Proxy.NONE), db=db, workers=options.get("workers")))


COMPOSE_CASES = [("items-service", Database.AUTO, Proxy.NONE), ("guide-app", Database.AUTO, Proxy.NONE),
                 ("guide-app", Database.POSTGRES, Proxy.NONE), ("items-service", Database.AUTO, Proxy.TRAEFIK),
                 ("items-service", Database.AUTO, Proxy.NGINX)]


@pytest.mark.parametrize(("example", "db", "proxy"), COMPOSE_CASES, ids=[f"{e}-{d.value}-{p.value}" for e, d, p in COMPOSE_CASES])
def test_compose_snapshot(example, db, proxy, snapshot):
    plan = _compose(EXAMPLES / example, db, proxy=proxy)
    for name, text in render_compose_files(plan).items():
        snapshot.assert_match(f"compose-{example}-{db.value}-{proxy.value}/{name}", text)
    if proxy is Proxy.NONE:
        ports = YAML(typ="safe").load(render_compose(plan))["services"]["app"]["ports"]
        assert ports == ["${APP_BIND:-127.0.0.1}:${APP_PORT-8000}:8000"]


def test_items_service_plan():
    plan = _compose(EXAMPLES / "items-service")
    assert plan.database and plan.migrate == ("alembic", "upgrade", "head")
    app_env, owner_env = dict(plan.app_env), dict(plan.owner_env)
    # the app connects as the DML-only role, migrations as the owner: never the superuser
    assert app_env["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")
    assert owner_env["DATABASE_URL"].startswith("postgresql+psycopg://${DB_OWNER:?")
    assert "POSTGRES_PASSWORD" not in app_env["DATABASE_URL"] + owner_env["DATABASE_URL"]
    assert plan.command[-2:] == ("--workers", "2")
    assert not _compose(EXAMPLES / "guide-app").database


def test_env_files_never_carry_the_example_password():
    plan = _compose(EXAMPLES / "items-service")
    example, real = env_file(plan, example=True), env_file(plan, example=False)
    assert "POSTGRES_PASSWORD=change-me" in example
    password = next(line for line in real.splitlines() if line.startswith("POSTGRES_PASSWORD=")).split("=", 1)[1]
    passwords = {line.split("=", 1)[1] for line in real.splitlines() if "PASSWORD=" in line}
    assert len(passwords) == 3  # superuser, owner and app each get their own
    assert len(password) >= 24 and password != "change-me"
    assert password not in render_compose(plan)


@pytest.mark.parametrize("proxy", [Proxy.TRAEFIK, Proxy.NGINX])
def test_fronted_app_is_not_published_and_trusts_the_proxy_network(proxy):
    plan = _compose(EXAMPLES / "items-service", proxy=proxy)
    data = YAML(typ="safe").load(render_compose(plan))
    app_service = data["services"]["app"]
    assert "ports" not in app_service and app_service["expose"] == ["8000"]
    assert "--forwarded-allow-ips" in app_service["command"] and "*" not in app_service["command"]
    assert data["services"]["proxy"]["image"] == plan.proxy_image
    assert "APP_DOMAIN=" in env_file(plan, example=True) and "APP_PORT" not in env_file(plan, example=True)


def test_init_compose_writes_env_once_and_is_clean(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    env = (project / ".env").read_text()
    assert [f.rule for f in run_check(project).findings] == []
    again = runner.invoke(app, ["init", str(project), "--target", "compose", "--force"])
    assert again.exit_code == 0 and (project / ".env").read_text() == env  # never rewritten, even with --force
    assert "unchanged" in again.output


def test_dry_run_hides_secrets(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--dry-run"])
    assert result.exit_code == 0 and "random secrets, not shown" in result.output
    assert "POSTGRES_PASSWORD=change-me" in result.output  # the example file, not the real one
    assert tree_digest(project) == before


USER_COMPOSE = """\
# my own services, with comments that must survive
services:
  web:
    build: .
    ports: ["8000:8000"]
    environment:
      DATABASE_URL: postgresql://postgres:postgres@database:5432/items
  database:
    image: postgres:16  # pinned on purpose
"""
USER_EXAMPLE = "# documented settings\nDATABASE_URL=postgresql://me:pw@localhost/items  # local\nAPP_PORT=9000\n"


@pytest.mark.parametrize("name", ["compose.yaml", "docker-compose.yml"])
def test_project_compose_file_is_never_touched_or_shadowed(tmp_path, name):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / name).write_text(USER_COMPOSE)
    (project / ".env.example").write_text(USER_EXAMPLE)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output  # merging into the example file needs no --force
    assert (project / name).read_text() == USER_COMPOSE
    ours = YAML(typ="safe").load((project / "compose.quayside.yaml").read_text())
    # the project's app service keeps its name; its database is Postgres as its compose file says
    assert list(ours["services"]) == ["web", "migrate", "db"]
    assert ours["services"]["web"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")
    example = (project / ".env.example").read_text()
    assert example.startswith(USER_EXAMPLE)  # every line of theirs, in order
    assert example.count("APP_PORT=") == 1 and "DB_APP_USER=" in example  # ours added, theirs not repeated
    # what quayside wrote is clean (the project's own file has findings of its own: its db has no volume)
    assert [(f.rule, f.path) for f in run_check(project).findings] == [("QS021", name)]
    again = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert again.exit_code == 0 and (project / ".env.example").read_text() == example  # stable
    assert "compose.quayside.yaml" in again.output


def test_up_prefers_quaysides_file(tmp_path):
    from quayside.targets.compose.run import compose_file

    (tmp_path / "docker-compose.yml").write_text(USER_COMPOSE)
    assert compose_file(tmp_path).name == "docker-compose.yml"
    (tmp_path / "compose.quayside.yaml").write_text("services: {}\n")
    assert compose_file(tmp_path).name == "compose.quayside.yaml"


def test_existing_env_gains_only_missing_keys(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / ".env").write_text("MY_OWN=1\nPOSTGRES_PASSWORD=mine\n")
    (project / ".env").chmod(0o600)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    env = (project / ".env").read_text()
    assert env.startswith("MY_OWN=1\nPOSTGRES_PASSWORD=mine\n") and env.count("POSTGRES_PASSWORD=") == 1
    assert "DB_APP_PASSWORD=" in env and "DB_APP_PASSWORD=change-me" not in env
    assert "mine" not in result.output and (project / ".env").stat().st_mode & 0o077 == 0


def test_a_projects_env_folder_gets_env_quayside_beside_it(tmp_path):
    """testdrivenio/fastapi-celery-project keeps its settings in a `.env/` folder: init leaves the folder as it is
    and writes the passwords to .env.quayside (0600, in .gitignore, out of the image), which `up` and
    `verify --compose` hand compose with --env-file and DEPLOY.md tells a hand-typed compose to."""
    from quayside.targets.compose.run import _base

    project = copy_project(EXAMPLES / "items-service", tmp_path)
    write(project, {".env/.dev-sample": "DATABASE_URL=postgresql://me@db/items\n"})
    before = tree_digest(project / ".env")
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    assert tree_digest(project / ".env") == before
    written = project / ".env.quayside"
    assert "DB_APP_PASSWORD=" in written.read_text() and written.stat().st_mode & 0o077 == 0
    assert ".env.quayside" in (project / ".gitignore").read_text().splitlines()
    assert "docker compose --env-file .env.quayside -f compose.yaml up" in (project / "DEPLOY.md").read_text()
    assert "come from .env.quayside" in (project / "compose.yaml").read_text()
    assert _base(project, None)[-2:] == ["--env-file", str(written)]
    assert [(f.rule, f.path) for f in run_check(project).findings] == []
    digest = tree_digest(project)
    again = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert again.exit_code == 0 and tree_digest(project) == digest  # stable
    # a project without the folder keeps compose's own default, and no flag
    plain = copy_project(EXAMPLES / "items-service", tmp_path / "plain")
    assert runner.invoke(app, ["init", str(plain), "--target", "compose"]).exit_code == 0
    assert (plain / ".env").is_file() and not (plain / ".env.quayside").exists() and "--env-file" not in _base(plain, None)


def test_broken_user_compose_is_left_alone(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "compose.yaml").write_text("services: [unclosed\n")
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert (project / "compose.yaml").read_text() == "services: [unclosed\n"
    assert (project / "compose.quayside.yaml").is_file()


@pytest.mark.parametrize("example", ["guide-app", "guide-single-file", "items-service"])
@pytest.mark.parametrize("db", ["auto", "postgres", "none"])
@pytest.mark.parametrize("extra", [[], ["--proxy", "external"], ["--proxy", "traefik"], ["--proxy", "nginx"], ["--workers", "3", "--port", "9000"]])
def test_every_compose_output_has_zero_findings(tmp_path, example, db, extra):
    project = copy_project(EXAMPLES / example, tmp_path)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--db", db, *extra])
    assert result.exit_code == 0, result.output
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(project).findings] == []


@pytest.mark.parametrize("fixture", ["postgres-parts", "mariadb-notes", "redis-worker", "tortoise-aerich", "mongo-notes", "nested-settings",
                                     "alembic-ini-url", "alembic-create-all"])
@pytest.mark.parametrize("extra", [[], ["--proxy", "traefik"], ["--proxy", "nginx"], ["--db", "mariadb"]])
def test_every_service_shape_has_zero_findings_and_is_stable(tmp_path, fixture, extra):
    """Prestart, MariaDB, Redis with a worker, aerich: what init writes passes check, and a second init
    changes nothing (the merged .env.example included)."""
    project = copy_project(FIXTURES / fixture, tmp_path)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", *extra])
    assert result.exit_code == 0, result.output
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(project).findings] == []
    before = tree_digest(project)
    again = runner.invoke(app, ["init", str(project), "--target", "compose", *extra])
    assert again.exit_code == 0 and tree_digest(project) == before, again.output


@pytest.mark.parametrize("proxy", ["none", "external", "traefik", "nginx"])
def test_no_service_gets_the_whole_env_file_and_nothing_mounts_the_docker_socket(tmp_path, proxy):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "compose", "--proxy", proxy]).exit_code == 0
    text = (project / "compose.yaml").read_text()
    assert "docker.sock" not in text
    services = YAML(typ="safe").load(text)["services"]
    for name, service in services.items():
        assert "env_file" not in service, name
        limits = service["deploy"]["resources"]["limits"]
        assert limits["memory"] and limits["pids"] >= 256 and service["cpu_shares"] >= 512, name  # CIS 5.10, 5.11, 5.28
        assert "cpus" not in limits  # a cap above the host's cores would stop `up` on a one-CPU machine
    # the app's environment holds the URL of its own role, never the superuser's or the owner's password
    app_env = services["app"]["environment"]
    assert set(app_env) == {"DATABASE_URL"}
    assert "DB_OWNER" not in app_env["DATABASE_URL"] and "POSTGRES_PASSWORD" not in app_env["DATABASE_URL"]
    for name in ("proxy",) if proxy in ("traefik", "nginx") else ():
        proxy_service = services[name]
        assert proxy_service["read_only"] is True
        assert proxy_service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in proxy_service["security_opt"]


def test_an_app_that_creates_its_own_tables_connects_as_the_owner(tmp_path):
    """No migrator, `Base.metadata.create_all(engine)` at import: a DML-only role would be refused the DDL."""
    project = tmp_path / "selfmade"
    project.mkdir()
    (project / "requirements.txt").write_text("fastapi[standard]\nsqlalchemy\npsycopg2-binary\n")
    (project / "main.py").write_text("import os\nfrom fastapi import FastAPI\nfrom sqlalchemy import create_engine, MetaData\n"
                                     "engine = create_engine(os.environ['DB_URL'])\nMetaData().create_all(engine)\napp = FastAPI()\n")
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    service = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]["app"]
    assert service["environment"]["DB_URL"].startswith("postgresql+psycopg2://${DB_OWNER:?")
    (project / "alembic.ini").write_text("[alembic]\n")  # with a migrator, the app is back to rows only
    assert runner.invoke(app, ["init", str(project), "--target", "compose", "--force"]).exit_code == 0
    service = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]["app"]
    assert service["environment"]["DB_URL"].startswith("postgresql+psycopg2://${DB_APP_USER:?")


@pytest.mark.parametrize(("uvicorn", "workers"), [("0.13.4", False), ("0.14.0", False), ("0.29.0", False),
                                                  ("0.30.0", True), (">=0.13", True)])
def test_an_old_uvicorn_gets_one_process_per_container(tmp_path, uvicorn, workers):
    """uvicorn before 0.30 leaves its --workers running on SIGTERM (uvicorn#852): FastAPI-RQ's
    uvicorn 0.13.4 waited for SIGKILL under `docker stop`. A pinned old release runs one process instead."""
    from quayside.init import InitRequest, plan_init
    from quayside.plan.options import Target
    from support.projects import write

    pin = uvicorn if uvicorn.startswith(">") else f"=={uvicorn}"
    root = write(tmp_path / "p", {"requirements.txt": f"fastapi==0.115.0\nuvicorn{pin}\n",
                                  "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    plan = plan_init(root, InitRequest(target=Target.COMPOSE))
    compose = next(w for w in plan.writes if w.name == "compose.yaml").content
    assert ('"--workers", "2"' in compose) == workers
    if not workers:
        assert "uvicorn#852" in plan.decisions["workers"].reason


@pytest.mark.parametrize(("folder", "db", "owner", "app_user"), [
    ("items-service", "items_service", "items_service_owner", "items_service_app"),
    # Postgres reserves roles named pg_… (MercyClassic/pg_jsonb_learn, checked out as pg-jsonb-learn)
    ("pg-jsonb-learn", "pg_jsonb_learn", "app_jsonb_learn_owner", "app_jsonb_learn_app"),
    # and cuts names past 63 bytes: the URL and the password check must name what exists
    ("a" * 70, "a" * 63, "a" * 57 + "_owner", "a" * 57 + "_app"),
])
def test_database_and_role_names_are_ones_postgres_accepts(tmp_path, folder, db, owner, app_user):
    project = copy_project(EXAMPLES / "items-service", tmp_path, folder)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    env = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line and not line.startswith("#"))
    assert (env["POSTGRES_DB"], env["DB_OWNER"], env["DB_APP_USER"]) == (db, owner, app_user)


@pytest.mark.parametrize(("compose", "body"), [
    ("docker-compose.yml", "services:\n  api:\n    build: .\n  nginx:\n    image: nginx:1.27\n"),
    # MercyClassic/pg_jsonb_learn: docker/docker-compose.yml builds `..`, nginx in front
    ("docker/docker-compose.yml", "services:\n  api:\n    build:\n      context: ../\n  web:\n    image: nginx\n"),
])
def test_a_proxy_in_the_projects_own_compose_file_is_trusted_and_check_stays_clean(tmp_path, compose, body):
    project = write(tmp_path / "fronted", {"requirements.txt": "fastapi[standard]\n",
                                           "main.py": "from fastapi import FastAPI\napp = FastAPI()\n", compose: body})
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    dockerfile = (project / "Dockerfile").read_text()
    assert '"--proxy-headers", "--forwarded-allow-ips", "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12' in dockerfile
    assert run_check(project).findings == []
    # the broken variant: the same image without the trust is what check's QS011 reports
    (project / "Dockerfile").write_text(re.sub(r', "--proxy-headers", "--forwarded-allow-ips", "[^"]+"', "", dockerfile))
    assert [f.rule for f in run_check(project).findings] == ["QS011"]


def test_a_proxy_in_a_compose_file_that_builds_something_else_is_not_the_apps(tmp_path):
    project = write(tmp_path / "other", {"requirements.txt": "fastapi[standard]\n",
                                         "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                                         "frontend/docker-compose.yml": "services:\n  web:\n    build: .\n  proxy:\n    image: nginx\n"})
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert "--forwarded-allow-ips" not in (project / "Dockerfile").read_text()
