"""Live: compose stacks shaped like real projects' (services from what they declare), proven by `verify --compose`.

Each fixture is shaped like a failure seen on a real app: settings read in parts (POSTGRES_SERVER, ...) and a
prestart script; a MySQL-only app on MariaDB; Redis with an arq worker; a project with its own compose file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from ruamel.yaml import YAML

from quayside.engine import docker
from support.projects import EXAMPLES, FIXTURES, copy_project

pytestmark = pytest.mark.docker


def quayside(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=1500,
                          env=os.environ, check=False)


def verify_compose(project, *extra: str) -> tuple[int, dict]:
    result = quayside("verify", str(project), "--compose", "--json", *extra)
    assert result.stdout.strip().startswith("{"), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def checks(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def leftovers(project_name_prefix: str = "quayside-verify-") -> list[str]:
    containers = docker.run(["ps", "-a", "--format", "{{.Names}}"]).stdout.split()
    volumes = docker.run(["volume", "ls", "--format", "{{.Name}}"]).stdout.split()
    return [n for n in containers + volumes if n.startswith(project_name_prefix)]


@pytest.fixture
def init_compose(tmp_path):
    made: list[str] = []

    def make(source, name: str | None = None, *args: str):
        project = copy_project(source, tmp_path, name or f"qs{uuid.uuid4().hex[:6]}")
        result = quayside("init", str(project), "--target", "compose", *args)
        assert result.returncode == 0, result.stderr
        made.append(project.name)
        return project

    yield make
    for name in made:
        docker.run(["rmi", "-f", f"{name}:latest"], check=False)


def test_verify_compose_green_then_red_on_wrong_db_credentials(init_compose):
    project = init_compose(EXAMPLES / "items-service")
    code, report = verify_compose(project, "--expect", '/items={"items": [], "total": 0, "offset": 0, "limit": 20}')
    assert code == 0, json.dumps(report, indent=1)
    found = checks(report)
    for name in ("stack_up", "ready /ready", "user_uid", "pid1", "restart_after_kill", "stop_seconds",
                 "inflight_completed", "lifespan_shutdown"):
        assert found[name]["status"] == "pass", found[name]
    assert leftovers() == []  # its own compose project, removed with its volumes
    # the broken variant: the app's URL carries a password the database never had
    compose = project / "compose.yaml"
    text = compose.read_text()
    app_url = next(line for line in text.splitlines() if line.strip().startswith("DATABASE_URL: postgresql+psycopg://${DB_APP_USER"))
    compose.write_text(text.replace(app_url, app_url.replace("${DB_APP_PASSWORD:?DB_APP_PASSWORD is not set, see .env.example}", "wrong", 1), 1))
    code, report = verify_compose(project, "--start-timeout", "20")
    assert code == 1
    ready = checks(report)["ready /ready"]
    assert ready["status"] == "fail" and "refused the app's credentials" in ready["detail"]
    assert leftovers() == []


def test_settings_in_parts_and_a_prestart_script(init_compose):
    """Full-stack-template shape: POSTGRES_SERVER/USER/PASSWORD/DB, a required SECRET_KEY, prestart.sh that migrates
    and creates the first superuser. /ready answers 200 only once that row exists."""
    project = init_compose(FIXTURES / "postgres-parts")
    compose = (project / "compose.yaml").read_text()
    assert "prestart:" in compose and "migrate:" not in compose  # the script migrates itself
    env = (project / ".env").read_text()
    assert "SECRET_KEY=changethis" not in env  # a documented placeholder secret is never used
    code, report = verify_compose(project, "--expect", '/superuser={"email": "admin@example.com"}')
    assert code == 0, json.dumps(report, indent=1)
    assert checks(report)["ready /ready"]["status"] == "pass"


def _fails_with_plain_alembic(project, generated_code: str, cause: str) -> None:
    """The broken variant of a generated migrate command (the `python -c` whose code starts so): plain
    `alembic upgrade head` in its place, and verify --compose fails on stack_up, naming `cause`."""
    compose = project / "compose.yaml"
    lines = compose.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(f'    command: ["python", "-c", "{generated_code}'))
    lines[at] = '    command: ["alembic", "upgrade", "head"]\n'
    compose.write_text("".join(lines))
    code, report = verify_compose(project, "--start-timeout", "20")
    assert code == 1
    stack_up = checks(report)["stack_up"]
    assert stack_up["status"] == "fail" and cause in stack_up["detail"], stack_up
    assert leftovers() == []


def test_migrations_reach_this_projects_database_not_the_ini_url(init_compose):
    """mityuk17/library_service_api's shape: `alembic init`'s env.py connects to alembic.ini's
    `sqlalchemy.url` (the author's localhost). migrate sets it to this project's database; the table the
    migration makes is there for the app."""
    project = init_compose(FIXTURES / "alembic-ini-url")
    code, report = verify_compose(project, "--expect", '/books={"books": 0}')
    assert code == 0, json.dumps(report, indent=1)
    assert checks(report)["expect /books"]["status"] == "pass"
    # the broken variant: plain `alembic upgrade head` migrates the ini's localhost, which is no database here
    _fails_with_plain_alembic(project, "import os, sys; from alembic", '"migrate"')


def test_tables_made_at_import_beside_migrations_are_made_by_the_owner(init_compose):
    """lumakos/ai-project-python-fastapi's shape: the migrations make `books`, the app's module-level create_all
    makes `reviews` too. migrate imports that module after the migrations, as the owner role, so the app
    (rows only) finds both tables. The broken variant, plain `alembic upgrade head`, leaves `reviews` to the
    app, which may not make it: the cause says so."""
    project = init_compose(FIXTURES / "alembic-create-all")
    code, report = verify_compose(project, "--expect", '/counts={"books": 0, "reviews": 0}')
    assert code == 0, json.dumps(report, indent=1)
    assert checks(report)["expect /counts"]["status"] == "pass"
    _fails_with_plain_alembic(project, "import importlib", "the app changes the schema itself")


def test_nested_settings_reach_the_database(init_compose):
    """simonangel-fong/Project-IOT-Mgnt-Telemetry-Cloud-Native's shape: POSTGRES__HOST and the rest through a
    nested settings model, and a database health route, which verify asks as the readiness check. Pointed at
    another host (the broken variant), the readiness check fails."""
    project = init_compose(FIXTURES / "nested-settings")
    code, report = verify_compose(project)
    assert code == 0, json.dumps(report, indent=1)
    assert checks(report)["ready /api/health/db"]["status"] == "pass"
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text().replace("      POSTGRES__HOST: db\n", "      POSTGRES__HOST: nowhere\n", 1))
    code, report = verify_compose(project)
    assert code == 1 and checks(report)["ready /api/health/db"]["status"] == "fail", json.dumps(report, indent=1)
    assert leftovers() == []


def test_mysql_only_app_gets_mariadb_with_a_dml_only_user(init_compose):
    project = init_compose(FIXTURES / "mariadb-notes")
    compose = (project / "compose.yaml").read_text()
    assert "image: mariadb:11" in compose and "postgres" not in compose
    assert "      - app-data:/code/.data\n" in compose  # notes.log, linked into .data: without it the app cannot start
    code, report = verify_compose(project, "--expect", '/can-drop={"ddl": false}')
    assert code == 0, json.dumps(report, indent=1)
    assert checks(report)["ready /ready"]["status"] == "pass"
    # lumakos/ai-project-python-fastapi's shape: the app makes a table at import that its migrations do not;
    # as the rows-only user it is refused, and the cause says so (not "unhealthy")
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace(
        "app = FastAPI(lifespan=lifespan)\n",
        "with engine.begin() as _connection:\n    _connection.execute(text('CREATE TABLE IF NOT EXISTS extra (id INT)'))\n"
        "app = FastAPI(lifespan=lifespan)\n", 1))
    code, report = verify_compose(project, "--start-timeout", "20")
    assert code == 1
    stack_up = checks(report)["stack_up"]
    assert stack_up["status"] == "fail" and "the app changes the schema itself" in stack_up["detail"], stack_up


def test_redis_with_a_password_and_an_arq_worker(init_compose):
    project = init_compose(FIXTURES / "redis-worker")
    code, report = verify_compose(project, "--expect", '/add?a=2&b=3={"result": 5}')
    assert code == 0, json.dumps(report, indent=1)  # the worker did the addition, through Redis
    # the broken variant: without the worker, the job is never done
    compose = project / "compose.yaml"
    text = compose.read_text()
    compose.write_text(text.replace('command: ["arq", "app.worker.WorkerSettings"]', 'command: ["sleep", "infinity"]'))
    text = compose.read_text()
    compose.write_text(text.replace('test: ["CMD", "arq", "--check", "app.worker.WorkerSettings"]', 'test: ["CMD", "true"]'))
    code, report = verify_compose(project, "--expect", '/add?a=2&b=3={"result": 5}')
    assert code == 1 and checks(report)["expect /add?a=2&b=3"]["status"] == "fail"


def test_project_with_its_own_compose_file(init_compose, tmp_path):
    """The project's docker-compose.yml and .env.example stay as they are; compose.quayside.yaml runs beside them
    and its app service keeps the project's name."""
    source = copy_project(EXAMPLES / "items-service", tmp_path / "src", "own")
    theirs = ("services:\n  api:\n    build: .\n    ports: ['8000:8000']\n    environment:\n"
              "      DATABASE_URL: postgresql://postgres:postgres@pg/items\n  pg:\n    image: postgres:15\n")
    (source / "docker-compose.yml").write_text(theirs)
    (source / ".env.example").write_text("# theirs\nDATABASE_URL=postgresql://me@localhost/items\n")
    project = init_compose(source)
    assert (project / "docker-compose.yml").read_text() == theirs
    assert (project / ".env.example").read_text().startswith("# theirs\nDATABASE_URL=postgresql://me@localhost/items\n")
    code, report = verify_compose(project)
    assert code == 0, json.dumps(report, indent=1)
    assert report["image"] == "compose.quayside.yaml: api"


def test_up_names_a_taken_port(init_compose):
    import socket

    project = init_compose(EXAMPLES / "guide-app")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        name = f"qstest-{uuid.uuid4().hex[:8]}"
        try:
            up = subprocess.run([sys.executable, "-m", "quayside", "up", str(project), "-p", name, "--wait-timeout", "60"],
                                capture_output=True, text=True, timeout=900, env={**os.environ, "APP_PORT": str(port)}, check=False)
        finally:
            quayside("down", str(project), "-p", name)
    assert up.returncode == 3, up.stderr
    assert f"port {port} on 127.0.0.1 is already taken: app" in up.stderr and "APP_PORT" in up.stderr
    assert "Traceback" not in up.stderr


def test_tortoise_with_aerich_migrations(init_compose):
    """Tortoise wants `postgres://`, not SQLAlchemy's scheme, and its tables come from `aerich upgrade`."""
    project = init_compose(FIXTURES / "tortoise-aerich")
    compose = project / "compose.yaml"
    text = compose.read_text()
    assert 'command: ["aerich", "upgrade"]' in text and "DATABASE_URL: postgres://${DB_APP_USER" in text
    code, report = verify_compose(project)
    assert code == 0, json.dumps(report, indent=1)
    # the broken variant: the migration step does nothing, so the table the app writes is missing
    compose.write_text(text.replace('command: ["aerich", "upgrade"]', 'command: ["true"]'))
    code, report = verify_compose(project)
    ready = checks(report)["ready /ready"]
    assert code == 1 and ready["status"] == "fail" and "textsummary" in ready["detail"]


# backspace1990/jobinterview2's own Dockerfile: the tables are made by a script its CMD runs before the server
PROJECT_DOCKERFILE = """FROM python:3.12
WORKDIR /app
ENV PYTHONPATH /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD python3 app/create_db.py && \\
    uvicorn --host=0.0.0.0 app.main:app
"""


def test_a_url_under_the_projects_own_name_and_a_step_of_its_own_start_command(tmp_path):
    """jobinterview2's shape. DB_CONNECTION, documented as a Postgres URL, read through starlette's Config, and the
    app connects on its first query only, so it starts healthy whatever the URL says: verify --compose opens the
    URL from the app's container. The tables come from app/create_db.py, which the project's CMD ran before its
    server: a one-off `prestart` service runs it. Broken variants: the URL with the documented credentials (what
    init wrote before it knew a URL by its value), and no prestart service."""
    project = copy_project(FIXTURES / "db-connection-setting", tmp_path, f"qs{uuid.uuid4().hex[:6]}")
    (project / "Dockerfile").write_text(PROJECT_DOCKERFILE)
    try:
        result = quayside("init", str(project), "--target", "compose", "--force")
        assert result.returncode == 0, result.stderr
        assert "# quayside-prestart: python app/create_db.py\n" in (project / "Dockerfile").read_text()
        compose = project / "compose.yaml"
        text = compose.read_text()
        assert '  prestart:\n    command: ["python", "app/create_db.py"]\n' in text
        assert "      DB_CONNECTION: postgresql+psycopg://${DB_APP_USER:?" in text and "DATABASE_URL" not in text
        assert "REDIS_HOST: redis" in text and "requirepass" not in text  # no password the app could not send
        again = quayside("init", str(project), "--target", "compose")  # the step survives its Dockerfile's replacement
        assert again.returncode == 0 and compose.read_text() == text, again.stderr
        # a documented URL the code never reads (omeraen's README: DATABASE_URL; its code: DB) is not the app's fault
        code, report = verify_compose(project, "--expect", '/count={"questions": 0}', "--expect", '/cache={"set": true}',
                                      "--env", "DATABASE_URL=postgresql+psycopg://postgres:example@db:5432/none")
        assert code == 0, json.dumps(report, indent=1)
        assert checks(report)["db_session DB_CONNECTION"]["status"] == "pass"
        assert "db_session DATABASE_URL" not in checks(report)

        wired = next(line for line in text.splitlines() if line.startswith("      DB_CONNECTION: "))
        compose.write_text(text.replace(wired, "      DB_CONNECTION: postgresql+psycopg://postgres:postgres@db:5432/interview"))
        code, report = verify_compose(project)
        assert code == 1
        found = checks(report)
        assert found["stack_up"]["status"] == "pass"  # healthy: only the session shows the fault
        session = found["db_session DB_CONNECTION"]
        assert session["status"] == "fail" and "refused DB_CONNECTION's credentials (user postgres)" in session["detail"]

        compose.write_text(text.replace('command: ["python", "app/create_db.py"]', 'command: ["true"]'))
        code, report = verify_compose(project, "--expect", '/count={"questions": 0}')
        assert code == 1 and checks(report)["expect /count"]["status"] == "fail"

        # what init wrote before: a Redis that asks a password of an app that reads only its host and port
        locked = text.replace('command: ["redis-server", "--appendonly", "yes"]', 'command: ["redis-server", "--requirepass", "pw"]')
        compose.write_text(locked.replace('test: ["CMD", "redis-cli", "ping"]', 'test: ["CMD", "redis-cli", "-a", "pw", "ping"]'))
        code, report = verify_compose(project, "--expect", '/cache={"set": true}')
        assert code == 1 and checks(report)["expect /cache"]["status"] == "fail"
        assert leftovers() == []
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


def test_credentials_written_in_the_code_are_the_databases(init_compose):
    """jt-oh/fastapi-practice's shape: the code connects as notes_user with a password written in it, to host
    `mysql`, and reads no setting. The database's owner role is made with those, under that host name. The broken
    variant: a .env whose owner is another user (what init wrote before), where the app cannot log in."""
    project = init_compose(FIXTURES / "hardcoded-mysql")
    env = project / ".env"
    assert "DB_OWNER=notes_user\nDB_OWNER_PASSWORD=notes_pwd\n" in env.read_text()
    assert "notes_pwd" not in (project / ".env.example").read_text()
    code, report = verify_compose(project, "--expect", '/one={"one": 1}')
    assert code == 0, json.dumps(report, indent=1)
    env.write_text(env.read_text().replace("DB_OWNER=notes_user\n", "DB_OWNER=notes_owner\n"))
    code, report = verify_compose(project, "--expect", '/one={"one": 1}')
    assert code == 1 and checks(report)["expect /one"]["status"] == "fail"
    assert leftovers() == []


def test_migrations_in_a_folder_of_their_own_reach_the_image(tmp_path):
    """sylviakyu/fastapi_crud's layout: migration/alembic.ini, its scripts beside it. compose's migrate runs
    `alembic -c migration/alembic.ini upgrade head` in the app's image, which holds that folder. The broken
    variant, a Dockerfile without it, fails on migrate: alembic finds no config."""
    import shutil

    project = copy_project(FIXTURES / "mariadb-notes", tmp_path, f"qs{uuid.uuid4().hex[:6]}")
    (project / "migration").mkdir()
    shutil.move(project / "migrations", project / "migration" / "migrations")
    ini = (project / "alembic.ini").read_text().replace("script_location = migrations", "script_location = migration/migrations")
    (project / "migration" / "alembic.ini").write_text(ini)
    (project / "alembic.ini").unlink()
    try:
        assert quayside("init", str(project), "--target", "compose").returncode == 0
        compose = (project / "compose.yaml").read_text()
        assert "migration/alembic.ini" in compose
        dockerfile = project / "Dockerfile"
        assert "COPY ./migration /code/migration" in dockerfile.read_text()
        code, report = verify_compose(project, "--expect", '/can-drop={"ddl": false}')
        assert code == 0, json.dumps(report, indent=1)
        dockerfile.write_text(dockerfile.read_text().replace("COPY ./migration /code/migration\n", ""))
        code, report = verify_compose(project, "--start-timeout", "20")
        assert code == 1
        stack_up = checks(report)["stack_up"]
        # alembic's words for a config file that is not there, by version
        assert stack_up["status"] == "fail" and ("No config file 'migration/alembic.ini'" in stack_up["detail"]
                                                 or "No 'script_location' key" in stack_up["detail"]), stack_up
        assert leftovers() == []
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


def test_a_library_that_makes_its_table_at_import_gets_it_from_the_owner(tmp_path):
    """phantuananh1206/DemoFastAPI: casbin's SQLAlchemy adapter, built at import, makes `casbin_rule`, which no
    migration makes. migrate imports that module after the migrations, as the owner, so the app (rows only)
    starts and reads the table. The broken variant, plain `alembic upgrade head`, leaves the DDL to the app,
    which its role refuses, named."""
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path, f"qs{uuid.uuid4().hex[:6]}")
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n", "from app import auth  # noqa: F401\n")
                    .replace('for table in ("books", "reviews")', 'for table in ("books", "casbin_rule")'))
    (project / "app" / "auth.py").write_text("import os\n\nimport casbin_sqlalchemy_adapter\n\n"
                                             "adapter = casbin_sqlalchemy_adapter.Adapter(os.environ['DATABASE_URL'])\n")
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + "casbin-sqlalchemy-adapter>=1.4,<2\n")
    try:
        assert quayside("init", str(project), "--target", "compose").returncode == 0
        assert '"app.auth", "alembic", "upgrade", "head"]' in (project / "compose.yaml").read_text()
        code, report = verify_compose(project, "--expect", '/counts={"books": 0, "casbin_rule": 0}')
        assert code == 0, json.dumps(report, indent=1)
        _fails_with_plain_alembic(project, "import importlib", "the app changes the schema itself")
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


MIGRATES_AT_START = '''"""Shaped like josejnra/fastapi-base: alembic.ini and its scripts in app/, and a lifespan that runs the
migrations itself, whose env.py makes a schema each time (CREATE SCHEMA IF NOT EXISTS needs the owner's right)."""

import asyncio
import os
from contextlib import asynccontextmanager

from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"])


@asynccontextmanager
async def lifespan(app: FastAPI):
    config = Config()
    config.set_main_option("script_location", "app/migrations")
    await asyncio.to_thread(command.upgrade, config, "head")
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/counts")
def counts() -> dict[str, int]:
    with engine.connect() as connection:
        return {"books": connection.execute(text("SELECT count(*) FROM books")).scalar_one()}
'''


def test_an_app_that_migrates_itself_with_its_scripts_beside_its_ini(tmp_path):
    """migrate runs app/alembic.ini with its scripts from app/migrations (the ini says `migrations`, relative to
    its own folder), then the app's own upgrade at start finds nothing to do, as the owner: its env.py's
    CREATE SCHEMA IF NOT EXISTS needs that right. The broken variant hides the call from a reader (getattr), so
    the app keeps the rows-only role: its start is denied."""
    import shutil

    project = copy_project(FIXTURES / "alembic-create-all", tmp_path, f"qs{uuid.uuid4().hex[:6]}")
    shutil.move(project / "migrations", project / "app" / "migrations")
    shutil.move(project / "alembic.ini", project / "app" / "alembic.ini")
    env_py = project / "app" / "migrations" / "env.py"
    env_py.write_text(env_py.read_text().replace(
        "        with context.begin_transaction():\n",
        "        with context.begin_transaction():\n            context.execute('CREATE SCHEMA IF NOT EXISTS audit')\n"))
    (project / "app" / "main.py").write_text(MIGRATES_AT_START)
    try:
        assert quayside("init", str(project), "--target", "compose").returncode == 0
        assert '"app/alembic.ini", "app/migrations"]' in (project / "compose.yaml").read_text()
        code, report = verify_compose(project, "--expect", '/counts={"books": 0}')
        assert code == 0, json.dumps(report, indent=1)

        main = project / "app" / "main.py"
        main.write_text(main.read_text().replace("    await asyncio.to_thread(command.upgrade, config, \"head\")\n",
                                                 "    await asyncio.to_thread(getattr(command, 'up' + 'grade'), config, \"head\")\n"))
        assert quayside("init", str(project), "--target", "compose", "--force").returncode == 0
        services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
        assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")
        code, report = verify_compose(project, "--start-timeout", "20")
        assert code == 1
        stack_up = checks(report)["stack_up"]
        assert stack_up["status"] == "fail" and "permission denied for database" in stack_up["detail"], stack_up
        assert leftovers() == []
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


def test_tables_in_a_schema_of_the_migrations_own_reach_the_rows_only_app(tmp_path):
    """josejnra/fastapi-base keeps its tables in a schema its migrations make (`myapp`). The owner makes it; the
    app, rows only, gets USAGE on it and its rows by the owner's default privileges in every schema. The broken
    variant, default privileges in public only (as before): its request fails (permission denied for schema)."""
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path, f"qs{uuid.uuid4().hex[:6]}")
    revision = project / "migrations" / "versions" / "0001_books.py"
    revision.write_text(revision.read_text().replace(
        '    op.create_table("books", sa.Column("id", sa.Integer, primary_key=True), sa.Column("title", sa.String(255), nullable=False))',
        '    op.execute("CREATE SCHEMA shop")\n    op.create_table("books", sa.Column("id", sa.Integer, primary_key=True), schema="shop")'))
    assert 'schema="shop"' in revision.read_text()
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n", "")
                    .replace('for table in ("books", "reviews")', 'for table in ("shop.books",)'))
    try:
        assert quayside("init", str(project), "--target", "compose").returncode == 0
        code, report = verify_compose(project, "--expect", '/counts={"shop.books": 0}')
        assert code == 0, json.dumps(report, indent=1)
        roles = project / "postgres" / "initdb" / "10-roles.sh"
        text = roles.read_text()
        assert 'GRANT USAGE ON SCHEMAS TO :"app";' in text
        roles.write_text(text.replace('ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE ON SCHEMAS TO :"app";\n', "")
                         .replace('FOR ROLE :"owner" GRANT', 'FOR ROLE :"owner" IN SCHEMA public GRANT'))
        code, report = verify_compose(project, "--expect", '/counts={"shop.books": 0}')
        assert code == 1
        # the app starts (its start reads nothing) and its request is refused: permission denied for schema shop
        assert checks(report)["expect /counts"]["status"] == "fail", json.dumps(report, indent=1)
        assert leftovers() == []
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


def test_a_driver_the_code_never_uses_gets_no_database(init_compose, tmp_path):
    """Svogg/fastapi_redis's shape: a freeze lists asyncpg, and the code talks only to Redis. The stack has no
    database service to run, secure and back up (the old decision, a Postgres for asyncpg, is the variant the
    service list rules out), and the app and its worker pass verify --compose."""
    source = copy_project(FIXTURES / "redis-worker", tmp_path / "src", "unused-driver")
    requirements = source / "requirements.txt"
    requirements.write_text(requirements.read_text() + "asyncpg>=0.29\n")
    project = init_compose(source)
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert "db" not in services and "redis" in services, sorted(services)
    code, report = verify_compose(project, "--expect", '/add?a=2&b=3={"result": 5}')
    assert code == 0, json.dumps(report, indent=1)


def test_one_server_process_under_compose_init_stops_cleanly_with_143(tmp_path):
    """rajeshagashe/atlys_scraper: uvicorn 0.29, so one process per container. Under compose's `init: true` the
    server is not PID 1: once its shutdown is done it re-raises the SIGTERM it handled, and the init reports 143.
    verify --compose takes that as the clean stop it is (the server logged that it finished); a 143 without that
    line is no clean stop (the unit table in test_verify_compose_stop)."""
    from support.projects import write

    project = write(tmp_path / f"qs{uuid.uuid4().hex[:6]}", {
        "requirements.txt": "fastapi==0.110.1\nuvicorn==0.29.0\nredis==5.0.3\n",
        "main.py": "import os\n\nimport redis\nfrom fastapi import FastAPI\n\n"
                   "client = redis.Redis(host=os.getenv('REDIS_HOST', 'localhost'))\napp = FastAPI()\n\n\n"
                   "@app.get('/health')\ndef health() -> dict[str, bool]:\n    return {'redis': client.ping()}\n",
    })
    try:
        assert quayside("init", str(project), "--target", "compose").returncode == 0
        assert "--workers" not in (project / "compose.yaml").read_text()  # one process: the init's child
        code, report = verify_compose(project)
        stop = checks(report)["stop_seconds"]
        assert code == 0 and stop["status"] == "pass", report
        assert "exit 143" in stop["detail"] and "re-raised SIGTERM" in stop["detail"], stop
    finally:
        docker.run(["rmi", "-f", f"{project.name}:latest"], check=False)


def test_a_projects_env_folder_and_the_env_file_beside_it(init_compose, tmp_path):
    """testdrivenio/fastapi-celery-project's `.env/` folder: the passwords go to .env.quayside, and verify --compose
    passes because quayside hands compose that file. Compose alone does not read it (the broken variant: no
    --env-file), and stops on the first password it lacks."""
    source = copy_project(EXAMPLES / "items-service", tmp_path / "src", "env-folder")
    (source / ".env").mkdir()
    (source / ".env" / ".dev-sample").write_text("DATABASE_URL=postgresql://me@db/items\n")
    project = init_compose(source)
    code, report = verify_compose(project)
    assert code == 0, json.dumps(report, indent=1)
    plain = docker.run(["compose", "-f", str(project / "compose.yaml"), "--project-directory", str(project), "config"],
                       check=False)
    assert plain.returncode != 0 and "is not set" in plain.stderr, plain.stderr
