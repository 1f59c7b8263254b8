"""The compose target: app + (Postgres) + a one-off migration service, from the same plan as the Dockerfile."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quayside.inspection.alembic_url import IniDatabaseUrl, alembic_upgrade_with_url, relocated_script_location
from quayside.inspection.appsettings import QUAYSIDE_ENV_BLOCK
from quayside.inspection.services import CodeCredentials, code_credentials, schema_made_at_import
from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.options import Proxy
from quayside.plan.shared import (
    POSTGRES_IMAGE,
    TRAEFIK_IMAGE,
    app_pids_limit,
    build_command,
    decide_app_role,
    health_target,
    project_name,
    then_import,
    watchdog_check,
)
from quayside.provenance import Decided
from quayside.targets.compose.envfile import DEFAULT as DEFAULT_ENV_FILE
from quayside.targets.compose.envfile import env_file_name
from quayside.targets.compose.environment import (
    DB_PORTS,
    DatabaseVars,
    PassedSetting,
    passed_settings,
    reads_database_setting,
    redis_takes_password,
    ref,
    service_environment,
)

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.targets.base import TargetOptions

# nginx's maintained stable line: 1.22 reached its end of life in 2023, and a minor pinned forever goes stale
NGINX_IMAGE = "nginx:stable"
MARIADB_IMAGE = "mariadb:11"
MONGO_IMAGE = "mongo:8.0"  # generated, never run here: this lab has no MongoDB image (`docker compose config` checks it)
REDIS_IMAGE = "redis:7"
COMPOSE_FILE = "compose.yaml"
QUAYSIDE_FILE = "compose.quayside.yaml"  # beside the project's own compose file, which it never shadows
LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"
# a worker with no ping of its own: alive while PID 1 (the init) still has its child, the worker
PROCESS_ALIVE = ("CMD", "python", "-c", "import os, sys; sys.exit(0 if any(open(f'/proc/{p}/stat').read()"
                 ".rsplit(')', 1)[1].split()[1] == '1' for p in os.listdir('/proc') if p.isdigit() and p != '1') else 1)")
MIGRATE_URL_VAR = "ALEMBIC_DATABASE_URL"  # migrate's URL for an env.py that reads only alembic.ini's
COMPOSE_WORKERS = 2  # one host, no orchestrator: a couple of processes use its cores (the guide)


@dataclass(frozen=True)
class ComposePlan:
    project: str
    image: str
    port: int
    command: tuple[str, ...]
    database: bool  # a database service (Postgres or MariaDB) in this compose project
    db_image: str
    migrate: tuple[str, ...] | None
    db_kind: str = "postgres"  # postgres | mysql | mongodb
    app_env: tuple[tuple[str, str], ...] = ()  # the app's environment: the names it reads, the role that writes rows
    owner_env: tuple[tuple[str, str], ...] = ()  # migrate's and prestart's: the same names, the role that owns the db
    passed: tuple[PassedSetting, ...] = ()  # settings the app reads that no service answers, from .env
    migrate_env: tuple[tuple[str, str], ...] = ()  # migrate's own: the URL alembic.ini's option is set to
    # the module migrate imports after the migrations, whose module-level create_all makes the tables they miss
    migrate_imports: str = ""
    redis: bool = False
    prestart: tuple[str, ...] | None = None
    worker: tuple[str, ...] | None = None
    worker_health: tuple[str, ...] = ()
    redis_password: bool = True  # the app reads a Redis setting that can carry the password
    db_aliases: tuple[str, ...] = ()  # host names the project's code uses for its database
    redis_aliases: tuple[str, ...] = ()
    app_service: str = "app"  # the project's own compose file's name for its app, kept
    file: str = "compose.yaml"  # compose.quayside.yaml beside a compose file of the project's own
    env_file: str = DEFAULT_ENV_FILE  # .env.quayside beside a project's own .env folder (envfile.py)
    start_period: int = 30
    watchdog: tuple[str, ...] = ()  # the app's health check, which also ends a hung server (see plan.shared)
    proxy: Proxy = Proxy.NONE
    proxy_image: str = ""
    app_pids: int = 256
    writable: tuple[str, ...] = ()  # folders under /code the app writes to: a named volume each (read-only root)
    # the user, password and database a URL in the code names, when the app reads no database setting: the
    # database's owner role gets them, as nothing else reaches the app
    code_credentials: CodeCredentials | None = None
    decisions: dict[str, Decided[Any]] = field(default_factory=dict, compare=False)

    @property
    def db_name(self) -> str:
        if self.code_credentials:
            return self.code_credentials.database
        # Postgres cuts a name past 63 bytes (MariaDB refuses one past 64): the URL must name what exists
        return self.project.replace("-", "_")[:63].rstrip("_") or "app"

    @property
    def role_prefix(self) -> str:
        """What the owner's and the app's role names start with: the database's name, unless the server refuses
        it for a role: Postgres reserves roles named pg_… (a project folder named pg-jsonb-learn), and cuts a
        name past 63 bytes (the password check then names a role that does not exist); MariaDB allows 80."""
        prefix = self.db_name
        if self.db_kind == "postgres" and prefix.lower().startswith("pg_"):
            prefix = "app_" + prefix[3:]
        limit = (63 if self.db_kind == "postgres" else 80) - len("_owner")
        return prefix[:limit].rstrip("_") or "app"

    @property
    def redis_image(self) -> str:
        return REDIS_IMAGE

    @property
    def writable_volumes(self) -> list[tuple[str, str]]:
        """(volume name, mount path) of each writable folder: a new named volume starts as the image's folder,
        owned by the app user."""
        return [("app-" + folder.strip(".").replace("/", "-").replace(".", "-").replace("_", "-").lower(), f"/code/{folder}")
                for folder in self.writable]

    @property
    def fronted(self) -> bool:
        """A proxy service in this compose project: the app is reachable only through it."""
        return self.proxy in (Proxy.TRAEFIK, Proxy.NGINX)

    @property
    def passed_env(self) -> list[tuple[str, str]]:
        return [(s.name, ref(s.name)) for s in self.passed]

    @property
    def migrate_ini(self) -> str:
        """The alembic.ini migrate upgrades with its URL replaced (the last argument), else ""."""
        return self.migrate[-1] if self.migrate and self.migrate_env else ""

    @property
    def before_app(self) -> list[str]:
        """The one-off services the app waits for, in order."""
        return [name for name, on in (("migrate", self.migrate), ("prestart", self.prestart)) if on]


def uvicorn_ignores_sigterm_with_workers(project: ProjectInfo) -> tuple[str, str] | None:
    """(version, where it is fixed) when the project installs a uvicorn whose multiprocess supervisor leaves its
    workers running on SIGTERM, or stops them without their lifespan shutdown: every release before 0.30 (0.14,
    which terminates them, still left a verify with a request in flight killed after 20 s, its shutdown unrun)."""
    from packaging.version import InvalidVersion, Version

    from quayside.inspection.lockwheels import LOCKS, installed_version

    deps = project.dependencies
    found = installed_version(project.root, deps.files if deps.source_kind == "requirements" else (), "uvicorn")
    try:
        version = Version(found) if found else None
    except InvalidVersion:
        return None
    if version is None or version >= Version("0.30"):
        return None
    source = next((lock for lock in LOCKS if (project.root / lock).is_file()), None) or ", ".join(deps.files)
    return str(version), source


def build_compose_plan(project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> ComposePlan:
    from quayside.inspection.appsettings import read_app_settings
    from quayside.inspection.services import declared_with_extras, detect_services

    decisions: dict[str, Decided[Any]] = {}
    name = project_name(project)
    settings = read_app_settings(project.root)
    declared = declared_with_extras([(d.name, d.extras) for d in project.dependencies.declared])
    needs = detect_services(project.root, declared, project.pyproject, settings,
                            import_root=project.app.value.import_root, db=options.db.value, prestart=options.prestart)
    database = needs.database
    if database.value == "mongodb":
        database = Decided("mongodb", database.source, f"{database.reason}: a {MONGO_IMAGE} service, the app's user "
                           "with readWrite on its database only (not proven live here: this lab has no MongoDB image)")
    elif database.value == "sqlite":
        database = Decided(None, database.source, f"{database.reason}: its folder is a volume (writable)")
    decisions["database"] = database
    has_db = database.value in ("postgres", "mysql", "mongodb")
    migrate: Decided[tuple[str, ...] | None] = (
        needs.migrate if has_db else Decided(None, needs.migrate.source, "no database service to migrate"))
    prestart = needs.prestart
    if prestart.value and migrate.value and _prestart_migrates(project.root, prestart.value):
        migrate = Decided(None, prestart.source, "the prestart script runs the migrations itself")
    migrate_env: tuple[tuple[str, str], ...] = ()
    if migrate.value and needs.migrate_url is not None and database.value in ("postgres", "mysql"):
        migrate, migrate_env = _migrate_with_our_url(project.root, migrate, needs.migrate_url, str(database.value))
        decisions["migrate_url"] = Decided(
            MIGRATE_URL_VAR, needs.migrate_url.ini,
            f"its env.py connects to the URL written in {needs.migrate_url.ini} (host {needs.migrate_url.host!r}), "
            f"which is not this project's database: migrate sets that option to {MIGRATE_URL_VAR} (db, the owner "
            "role) before it upgrades; the file is left as it is")
    migrate_imports = ""
    if migrate.value and database.value in ("postgres", "mysql"):
        made = schema_made_at_import(project.root, project.app.value.import_root)
        if made is not None:
            migrate_imports = made[0]
            migrate = Decided(then_import(migrate.value, made[0]), made[1], (
                f"{migrate.reason}; then it imports {made[0]}, whose create_all ({made[1]}) makes, as the owner role, "
                "the tables the migrations do not: the app, which may only read and write rows, finds them all"))
    decisions["migrate"] = migrate
    decisions["prestart"] = prestart
    decisions["redis"] = needs.redis
    decisions["worker"] = needs.worker
    workers = options.workers or COMPOSE_WORKERS
    decisions["workers"] = Decided(workers, "--workers" if options.workers else "default",
                                   "given on the command line" if options.workers else "one host without an orchestrator: two worker processes (the guide)")
    if not options.workers and (stuck := uvicorn_ignores_sigterm_with_workers(project)) is not None:
        workers = 1
        decisions["workers"] = Decided(1, stuck[1], f"uvicorn {stuck[0]}'s supervisor does not pass SIGTERM on to its "
                                       "--workers processes (uvicorn#852; fixed in 0.30), so `docker stop` would wait for "
                                       "SIGKILL: one server process per container")
    command = build_command(project, dockerfile.port, workers, dockerfile.decisions.get("forwarded_allow_ips", Decided(None, "", "")).value)
    if not has_db:
        needs = replace(needs, database=Decided(None, "", ""))
    role = decide_app_role(project, has_db=bool(has_db), migrate=migrate.value, creates_schema=needs.creates_schema,
                           prestart=bool(prestart.value))
    app_role = role.value
    if app_role == "owner":
        decisions["app_role"] = role
    credentials = None
    if has_db and database.value in ("postgres", "mysql") and not reads_database_setting(needs):
        credentials = code_credentials(project.root, str(database.value))
        if credentials is not None:
            decisions["code_credentials"] = Decided(
                credentials.user, credentials.where,
                f"the code connects as {credentials.user} to {credentials.database} with a password written in it, and "
                "reads no database setting: the database's owner role is made with them (.env), so the app can log in")
    app_env = service_environment(needs, app_role) if credentials is None else []
    answered = {n for n, _ in app_env}
    passed = passed_settings(needs, answered)
    decisions["app_environment"] = Decided(tuple(n for n, _ in app_env) + tuple(p.name for p in passed),
                                           settings.documented_file or "code", "the settings the app reads, each given a value")
    user = needs.user_compose
    file = COMPOSE_FILE
    if user is not None:
        file = QUAYSIDE_FILE
        decisions["compose_file"] = Decided(QUAYSIDE_FILE, user.file, f"the project's own {user.file} is left as it is; "
                                            f"quayside's services go in {QUAYSIDE_FILE}, always used with -f")
    return ComposePlan(
        project=name,
        env_file=env_file_name(project.root),
        image=f"{name}:latest",
        port=dockerfile.port,
        command=command,
        database=has_db,
        db_image={"mysql": MARIADB_IMAGE, "mongodb": MONGO_IMAGE}.get(str(database.value), POSTGRES_IMAGE),
        db_kind=database.value if database.value in ("mysql", "mongodb") else "postgres",
        migrate=migrate.value,
        migrate_env=migrate_env,
        migrate_imports=migrate_imports,
        app_env=tuple(app_env),
        owner_env=tuple(service_environment(needs, "owner")),
        passed=tuple(passed),
        redis=needs.redis.value,
        prestart=prestart.value,
        worker=needs.worker.value.command if needs.worker.value else None,
        worker_health=(needs.worker.value.health or PROCESS_ALIVE) if needs.worker.value else (),
        redis_password=redis_takes_password(needs),
        db_aliases=needs.hosts.get("db", ()) if has_db else (),
        redis_aliases=needs.hosts.get("redis", ()),
        app_service=(user.app_service if user is not None and user.app_service else "app"),
        file=file,
        start_period=dockerfile.start_period,
        watchdog=watchdog_check(dockerfile.port, health_target(project).value),
        proxy=options.proxy,
        app_pids=app_pids_limit(workers),
        # linked SQLite files go unused beside a database server: no volume for them (a log file still needs one)
        code_credentials=credentials,
        writable=tuple(f for f in dockerfile.writable if not (has_db and f == dockerfile.data_folder and dockerfile.linked_files
                                                               and set(dockerfile.linked_files) <= set(dockerfile.linked_databases))),
        proxy_image={Proxy.TRAEFIK: TRAEFIK_IMAGE, Proxy.NGINX: NGINX_IMAGE}.get(options.proxy, ""),
        decisions=decisions,
    )


def _migrate_with_our_url(root: Path, migrate: Decided[tuple[str, ...] | None], url: IniDatabaseUrl,
                          kind: str) -> tuple[Decided[tuple[str, ...] | None], tuple[tuple[str, str], ...]]:
    """`alembic upgrade head` with the ini's `sqlalchemy.url` set to this project's database (the owner
    role), from the environment. The URL keeps the ini's scheme: the driver the migrations were written with."""
    db = DatabaseVars(kind, "POSTGRES_DB" if kind == "postgres" else "MARIADB_DATABASE")
    value = (f"{url.scheme}://{ref(db.user_var('owner'))}:{ref(db.password_var('owner'))}"
             f"@db:{DB_PORTS[kind]}/{ref(db.name_var)}")
    argv = alembic_upgrade_with_url(url.ini, f"os.environ['{MIGRATE_URL_VAR}']", relocated_script_location(root, url.ini))
    return Decided(argv, migrate.source, migrate.reason), ((MIGRATE_URL_VAR, value),)


def _prestart_migrates(root: Path, argv: tuple[str, ...]) -> bool:
    """A prestart script that runs `alembic upgrade`/`aerich upgrade` itself (the full-stack template's does)."""
    script = next((a for a in argv[1:] if a.endswith(".sh")), None) if argv[0] in ("sh", "bash") else None
    if script is None:
        return False
    try:
        text = (root / script).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"^\s*(alembic|aerich)\b.*\bupgrade\b", text, re.MULTILINE))


def env_file(plan: ComposePlan, *, example: bool) -> str:
    """The .env compose reads: .env.example with placeholders, .env (written once, 0600) with random passwords.
    Compose interpolates it into each service's environment: no service gets the whole file."""

    def password() -> str:
        return "change-me" if example else secrets.token_urlsafe(24)

    lines = [f"{QUAYSIDE_ENV_BLOCK} ({plan.file}). Keep {plan.env_file} out of version control (init adds it to .gitignore) and",
             "# out of images (.dockerignore does)."]
    if plan.database and plan.db_kind == "postgres":
        lines += ["# Postgres: the superuser (only the db's init script uses it), the role that owns the database",
                  "# (migrations) and the app's role (rows only). Roles are created when the volume is first made.",
                  f"POSTGRES_PASSWORD={password()}", f"POSTGRES_DB={plan.db_name}"]
    elif plan.database and plan.db_kind == "mongodb":
        lines += ["# MongoDB: DB_OWNER is the image's root user (the init script and one-off services), the app's user",
                  "# reads and writes its own database only. Users are created when the volume is first made.",
                  f"MONGO_INITDB_DATABASE={plan.db_name}"]
    elif plan.database:
        lines += ["# MariaDB: root (only the db's init script uses it), the user that owns the database",
                  "# (migrations) and the app's user (rows only). Users are created when the volume is first made.",
                  f"MARIADB_ROOT_PASSWORD={password()}", f"MARIADB_DATABASE={plan.db_name}"]
    if plan.database and plan.code_credentials is not None:
        given = plan.code_credentials
        lines += [f"# {given.where} connects as {given.user} with the password written there: the role that owns the",
                  "# database is made with them (move that URL into a setting and init gives the app a rows-only role).",
                  f"DB_OWNER={given.user}", f"DB_OWNER_PASSWORD={'change-me' if example else given.password}",
                  f"DB_APP_USER={plan.role_prefix}_app", f"DB_APP_PASSWORD={password()}"]
    elif plan.database:
        lines += [f"DB_OWNER={plan.role_prefix}_owner", f"DB_OWNER_PASSWORD={password()}",
                  f"DB_APP_USER={plan.role_prefix}_app", f"DB_APP_PASSWORD={password()}"]
    if plan.redis and plan.redis_password:
        lines += ["# Redis asks every client for this password (the app's and the worker's URLs carry it).",
                  f"REDIS_PASSWORD={password()}"]
    if plan.passed:
        lines += ["# The app's own settings (the names its code reads), from the project's documented values."]
        for setting in plan.passed:
            value = setting.example
            if setting.secret and not example:
                value = secrets.token_urlsafe(32)
            elif setting.secret and not value:
                value = "change-me"
            lines.append(f"{setting.name}={value}")
    if plan.fronted:
        lines += ["# The public name of the app; DNS for it must point at this host.", "APP_DOMAIN=app.example.com",
                  "# Where the proxy listens (80 and 443 on every address in production).",
                  "PROXY_BIND=0.0.0.0", "HTTP_PORT=80", "HTTPS_PORT=443"]
    if plan.proxy is Proxy.TRAEFIK:
        lines += ["# Let's Encrypt account e-mail and directory (use the staging directory while testing).",
                  "ACME_EMAIL=admin@example.com", f"ACME_CA_SERVER={LETSENCRYPT_DIRECTORY}"]
    if not plan.fronted:
        lines += ["# Where the app is published on this host (an empty APP_PORT picks a free port).",
                  "APP_BIND=127.0.0.1", f"APP_PORT={plan.port}"]
    return "\n".join(lines) + "\n"


_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def _keys(text: str) -> set[str]:
    return {m[1] for line in text.splitlines() if (m := _KEY.match(line))}


def merge_env(existing: str | None, ours: str) -> str:
    """A settings file of the project's with quayside's block after it: every line of theirs kept, in order;
    our keys they already define left out of our block. A block quayside added before is replaced."""
    if existing is None or not existing.strip():
        return ours
    theirs = existing
    if (at := _block_start(existing)) is not None:
        theirs = existing[:at]
    if not theirs.strip():
        return ours
    defined = _keys(theirs)
    kept = [line for line in ours.splitlines() if not ((m := _KEY.match(line)) and m[1] in defined)]
    return theirs.rstrip("\n") + "\n\n" + "\n".join(kept) + "\n"


def missing_env(existing: str, ours: str) -> str:
    """An .env of the user's with the keys quayside's services need and it lacks appended; nothing else touched."""
    defined = _keys(existing)
    added = [line for line in ours.splitlines() if (m := _KEY.match(line)) and m[1] not in defined]
    if not added:
        return existing
    head = existing if existing.endswith("\n") or not existing else existing + "\n"
    return head + "# added by quayside init for its compose services\n" + "\n".join(added) + "\n"


def _block_start(text: str) -> int | None:
    if text.startswith(QUAYSIDE_ENV_BLOCK):
        return 0
    at = text.find("\n" + QUAYSIDE_ENV_BLOCK)
    return at + 1 if at != -1 else None
