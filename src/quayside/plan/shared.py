"""What every target shares: the app's slug, the database and migration decisions, the probe paths and the
server command. Each target's plan is built from these, so two targets never decide the same thing twice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from quayside.inspection.source import python_files
from quayside.plan.options import Database
from quayside.provenance import Decided

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo

# Service images more than one target runs (pinned to a maintained line).
POSTGRES_IMAGE = "postgres:17"
TRAEFIK_IMAGE = "traefik:v3.7"
POSTGRES_DRIVERS = {"psycopg": "postgresql+psycopg", "psycopg-binary": "postgresql+psycopg", "asyncpg": "postgresql+asyncpg",
                    "psycopg2": "postgresql+psycopg2", "psycopg2-binary": "postgresql+psycopg2"}  # 2.1 reads bare as psycopg
ORMS = {"sqlalchemy", "sqlmodel"}


def then_import(argv: tuple[str, ...], module: str) -> tuple[str, ...]:
    """Run `argv` (the migrations), then, when it succeeded, import `module`, whose module-level create_all
    makes the tables the migrations do not. One process, no shell: the exit code is the migration's, or 1 with
    the import's traceback."""
    code = ("import importlib, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
            "code and sys.exit(code); importlib.import_module(sys.argv[1])")
    return ("python", "-c", code, module, *argv)


SECRETS_DIR = "/run/secrets"
_SKIP_DIRS = {".venv", "venv", ".git", "node_modules", "__pycache__", ".tox", ".nox", "build", "dist"}


def project_name(project: ProjectInfo) -> str:
    """The app's slug: compose project, stack, Kubernetes and cloud service names."""
    return re.sub(r"[^a-z0-9_-]+", "-", project.root.name.lower()).strip("-_") or "app"


def decide_database(project: ProjectInfo, choice: Database) -> tuple[Decided[bool], str]:
    """Whether the app gets a Postgres database, and the SQLAlchemy URL scheme its driver needs."""
    names = {d.name for d in project.dependencies.declared}
    driver = next((d for d in POSTGRES_DRIVERS if d in names), None)
    if choice is Database.NONE:
        return Decided(False, "--db none", "no database service"), ""
    if choice is Database.MARIADB:
        from quayside.errors import UserInputError

        raise UserInputError("--db mariadb is a compose option", hint="use --target compose, or --db postgres here")
    scheme = "postgresql"
    if driver and names & ORMS:
        scheme = POSTGRES_DRIVERS[driver]  # SQLAlchemy picks the driver from the URL scheme
    if choice is Database.POSTGRES:
        return Decided(True, "--db postgres", "given on the command line"), scheme
    if driver:
        return Decided(True, f"dependency {driver}", f"{driver} is a PostgreSQL driver: the app talks to Postgres"), scheme
    if names & ORMS:
        return Decided(True, f"dependency {sorted(names & ORMS)[0]}", "an ORM is declared: Postgres is the compose default"), scheme
    return Decided(False, "dependencies", "no database driver or ORM among the dependencies"), ""


def decide_migrations(project: ProjectInfo, runner: str) -> Decided[tuple[str, ...] | None]:
    """The project's migrations as compose finds them (alembic.ini at the root or a folder down, aerich), run by
    `runner`, the target's one-off job. `with_schema_import` completes it."""
    from quayside.inspection.services import detect_migrations

    found = detect_migrations(project.root, project.pyproject)
    return Decided(found.value, found.source, found.reason.replace("a one-off `migrate` service", runner))


def decide_app_role(project: ProjectInfo, *, has_db: bool, migrate: tuple[str, ...] | None, creates_schema: Decided[bool],
                    prestart: bool = False) -> Decided[Literal["app", "owner"]]:
    """The role the app connects as: the rows-only one, unless it changes the schema itself: its own create_all
    with no migrator and no prestart step (a DML-only role could not create a table), or alembic's upgrade at its
    own start. Compose and swarm decide alike."""
    from quayside.inspection.services import app_migrates_itself

    if has_db and creates_schema.value and not migrate and not prestart:
        return Decided("owner", creates_schema.source, f"{creates_schema.reason} and no migration tool is configured: it "
                                                       "connects as the role that owns the database (a DML-only role could not)")
    if has_db and migrate and (itself := app_migrates_itself(project.root, project.app.value.file,
                                                            project.app.value.import_root)).value:
        return Decided("owner", itself.source, (
            f"{itself.reason}, which changes the schema (its version table, CREATE … IF NOT EXISTS) as whatever role it "
            "connects as: it connects as the owner; migrate still runs first, so the app's own upgrade finds nothing "
            "to do and its server processes do not race to migrate"))
    return Decided("app", "default", "the app reads and writes rows; migrations own the schema")


def with_schema_import(project: ProjectInfo, migrate: Decided[tuple[str, ...] | None]) -> Decided[tuple[str, ...] | None]:
    """The migrations, then the module whose module-level create_all makes the tables they miss, imported in the
    same job, as the owner: the app's rows-only role then finds every table."""
    from quayside.inspection.services import schema_made_at_import

    if migrate.value is None:
        return migrate
    made = schema_made_at_import(project.root, project.app.value.import_root)
    if made is None:
        return migrate
    return Decided(then_import(migrate.value, made[0]), made[1],
                   f"{migrate.reason}; then it imports {made[0]}, whose create_all ({made[1]}) makes, as the owner "
                   "role, the tables the migrations do not")


def probe_paths(project: ProjectInfo) -> tuple[str, str]:
    """(liveness path, readiness path): the app's own routes when it has them, else its OpenAPI schema, else /."""
    health = project.health_path.value or project.app.value.openapi_url or "/"
    return health, project.ready_path.value or health


def health_target(project: ProjectInfo) -> Decided[str]:
    """What a health check asks for: the app's health route, else its OpenAPI schema, else "tcp" (the port)."""
    app = project.app.value
    if project.health_path.value:
        return Decided(project.health_path.value, project.health_path.source, "the app's own health route")
    if app.openapi_url:
        return Decided(app.openapi_url, "FastAPI default", "no health route: the OpenAPI schema answers 200 once the app is up")
    return Decided("tcp", app.file, "no health route and openapi_url=None: the check connects to the port")


def watchdog_check(port: int, target: str, *, failures: int = 3) -> tuple[str, ...]:
    """A health check that also ends a hung server. Docker restarts only containers that exit, and a hung app
    (deadlocked, stopped) does not: after `failures` failed checks in a row, once it has answered at least once
    (a slow start is not a hang), this kills the server, the child
    of the container's init (compose `init: true`), so the container exits and its restart policy applies.
    No Docker socket is needed. Runs in the image's own Python (slim images have no curl)."""
    if target == "tcp":
        probe = f"socket.create_connection(('127.0.0.1', {port}), timeout=3).close()"
    else:
        probe = f"urllib.request.urlopen({f'http://127.0.0.1:{port}{target}'!r}, timeout=3)"
    code = (
        "import os, signal, socket, sys, urllib.request\n"
        "count, up = '/tmp/.quayside-health-failures', '/tmp/.quayside-healthy-once'\n"
        "try:\n"
        f"    {probe}\n"
        "    ok = True\n"
        "    open(up, 'w').close()\n"
        "except Exception:\n"
        "    ok = False\n"
        "# only a server that answered once counts as hung: a slow start is the start period's business\n"
        "failed = 0 if ok or not os.path.exists(up) else (int(open(count).read() or 0) if os.path.exists(count) else 0) + 1\n"
        "open(count, 'w').write(str(failed))\n"
        f"if failed >= {failures}:\n"
        "    for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
        "        try:\n"
        "            if open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1] == '1':\n"
        "                os.kill(pid, signal.SIGKILL)\n"
        "        except (OSError, IndexError):\n"
        "            pass\n"
        "sys.exit(0 if ok else 1)\n"
    )
    return ("python", "-c", code)


def build_command(project: ProjectInfo, port: int, workers: int, allow_ips: str | None) -> tuple[str, ...]:
    """The server's exec-form argv: `fastapi run` when the image has the CLI, else uvicorn."""
    app = project.app.value
    if project.server.value == "fastapi" and not app.namespace:
        cmd = ["fastapi", "run", app.file, "--port", str(port)]
        if app.variable != "app":
            cmd += ["--app", app.variable]
    else:
        cmd = ["uvicorn", app.entrypoint, "--host", "0.0.0.0", "--port", str(port)]
        if app.import_root != ".":
            cmd += ["--app-dir", app.import_root]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    if allow_ips is not None:
        cmd += ["--proxy-headers", "--forwarded-allow-ips", allow_ips]
    return tuple(cmd)


def reads_secret_files(project: ProjectInfo) -> Decided[bool]:
    """Does the app read settings from files in /run/secrets (pydantic-settings' secrets_dir)? A text search:
    the settings class may be anywhere, and importing user code is not allowed."""
    for path in python_files(project.root, lambda name: name in _SKIP_DIRS or name == "tests"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "secrets_dir" in text or SECRETS_DIR in text:
            return Decided(True, path.relative_to(project.root).as_posix(), f"reads settings from files (secrets_dir or {SECRETS_DIR})")
    return Decided(False, "project", f"no secrets_dir or {SECRETS_DIR} in the code: the app will not see the database_url secret")


# A fork bomb or a thread leak must not exhaust the host's PIDs (CIS Docker 5.28). The cgroup counts threads:
# a uvicorn worker runs its loop plus AnyIO's 40 threads for sync endpoints, so leave each process room.
# Other services get 256 (migrations, proxies) and Postgres 512 (a process per connection, max_connections 100).
PIDS_PER_SERVER_PROCESS = 128


def app_pids_limit(workers: int) -> int:
    """The app's PIDs limit: its worker processes and the manager that supervises them."""
    return PIDS_PER_SERVER_PROCESS * (workers + 1)


# a setting that holds a credential by its name, or a connection URL (it carries a password in production)
CONNECTION_URL = re.compile(r"(?:DATABASE|DB|SQLALCHEMY|POSTGRES|MYSQL|MARIADB|MONGO|REDIS|BROKER|CELERY|AMQP|RABBIT)\w*_(?:URL|URI|DSN)$|_DSN$|RESULT_BACKEND$")
_USERINFO = re.compile(r"://[^/@\s]+@")


def app_settings(project: ProjectInfo) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], str | None]:
    """(ConfigMap entries, Secret keys, the example file): the settings the app's code reads. A secret by name
    or a connection URL goes to the Secret, never the ConfigMap; other settings carry the project's documented
    value, and those it documents none for keep the code's default (they are not listed)."""
    from quayside.inspection.appsettings import read_app_settings
    from quayside.verify.settings import SECRET_NAME

    settings = read_app_settings(project.root)
    config, secret = [], []
    for name in sorted(settings.names):
        if name.startswith("TEST"):
            continue
        value = settings.documented.get(name) or ""
        if SECRET_NAME.search(name) or CONNECTION_URL.search(name) or _USERINFO.search(value):
            secret.append(name)
        elif value:
            config.append((name, value))
    return tuple(config), tuple(secret), settings.documented_file


# which part of the database a setting names: POSTGRES_SERVER is the host, DB_NAME the database's name
_DB = r"(?:POSTGRES(?:QL)?|DB|DATABASE|MYSQL|MARIADB|PG|SQL)"
_PARTS = (
    # `_{0,2}`: pydantic-settings' nested models read POSTGRES__HOST (env_nested_delimiter="__")
    ("host", re.compile(rf"{_DB}_{{0,2}}(?:HOST|SERVER|HOSTNAME|ADDR|ADDRESS)$|^PGHOST$")),
    ("port", re.compile(rf"{_DB}_{{0,2}}PORT$")),
    ("user", re.compile(rf"{_DB}_{{0,2}}(?:USER|USERNAME|LOGIN)$")),
    ("password", re.compile(rf"{_DB}_{{0,2}}(?:PASSWORD|PASS|PWD)$")),
    ("name", re.compile(r"(?:POSTGRES_{1,2}DB|POSTGRES_{1,2}DATABASE|POSTGRES_{1,2}NAME|DB_{1,2}NAME|DATABASE_{1,2}NAME|"
                        r"MYSQL_{1,2}DATABASE|MYSQL_{1,2}DB|MARIADB_{1,2}DATABASE|PG_{1,2}DATABASE|PGDATABASE|"
                        r"DB_{1,2}DATABASE|PG_{1,2}DB)$")),
)


def database_part(name: str) -> str | None:
    return next((part for part, pattern in _PARTS if pattern.search(name)), None)
