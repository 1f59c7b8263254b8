"""What services a project needs beside its app, read from what it declares: drivers and ORMs among its
dependencies, its settings' defaults and documented examples, its migration tool's config, a prestart script,
a task worker, and its own compose file. Each answer records where it came from."""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from quayside.errors import UserInputError
from quayside.inspection import startcommand
from quayside.inspection.alembic_url import (
    IniDatabaseUrl,
    alembic_upgrade_from,
    has_no_revisions,
    ini_database_url,
    relocated_script_location,
)
from quayside.inspection.appsettings import AppSettings, Setting, _dotted, _python_files, app_modules
from quayside.inspection.source import parse_python
from quayside.provenance import Decided

DatabaseKind = Literal["postgres", "mysql", "sqlite", "mongodb"]
Orm = Literal["sqlalchemy", "tortoise", "none"]

# distribution -> database it talks to
DRIVERS: dict[str, DatabaseKind] = {
    "psycopg": "postgres", "psycopg-binary": "postgres", "psycopg2": "postgres", "psycopg2-binary": "postgres",
    "asyncpg": "postgres", "pg8000": "postgres",
    "mysqlclient": "mysql", "pymysql": "mysql", "aiomysql": "mysql", "asyncmy": "mysql",
    "mysql-connector-python": "mysql", "mariadb": "mysql",
    "motor": "mongodb", "pymongo": "mongodb", "beanie": "mongodb", "odmantic": "mongodb", "mongoengine": "mongodb",
    "aiosqlite": "sqlite",
}
ASYNC_DRIVERS = {"asyncpg", "psycopg", "psycopg-binary", "aiomysql", "asyncmy", "aiosqlite"}
# SQLAlchemy's URL scheme for each driver (it picks the driver from the scheme)
SQLALCHEMY_SCHEMES = {
    "psycopg": "postgresql+psycopg", "psycopg-binary": "postgresql+psycopg", "asyncpg": "postgresql+asyncpg",
    # psycopg2 named, not implied: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg (3)
    "psycopg2": "postgresql+psycopg2", "psycopg2-binary": "postgresql+psycopg2", "pg8000": "postgresql+pg8000",
    "mysqlclient": "mysql+mysqldb", "pymysql": "mysql+pymysql", "aiomysql": "mysql+aiomysql",
    "asyncmy": "mysql+asyncmy", "mysql-connector-python": "mysql+mysqlconnector", "mariadb": "mariadb+mariadbconnector",
}
# Tortoise ORM's schemes: the database, not the driver
TORTOISE_SCHEMES = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
SQLALCHEMY_ORMS = {"sqlalchemy", "sqlmodel", "databases", "ormar", "fastapi-users-db-sqlalchemy", "sqlalchemy-utils"}
TORTOISE = {"tortoise-orm"}
REDIS_CLIENTS = {"redis", "aioredis", "arq", "rq", "celery", "fastapi-cache2", "fastapi-limiter", "dramatiq",
                 "taskiq-redis", "redis-om", "coredis"}
SCHEME_KIND = (("postgres", "postgres"), ("mysql", "mysql"), ("mariadb", "mysql"), ("sqlite", "sqlite"),
               ("mongodb", "mongodb"))
PRESTART_SCRIPTS = ("prestart.sh", "scripts/prestart.sh")
USER_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_URL_NAME = re.compile(r"(DATABASE|DB|SQLALCHEMY|POSTGRES|PG|MYSQL|MARIADB|SQL|TORTOISE)[A-Z_]*_(URL|URI|DSN)$")


@dataclass(frozen=True)
class Worker:
    kind: Literal["celery", "arq", "dramatiq", "compose"]
    command: tuple[str, ...]
    source: str
    health: tuple[str, ...] = ()  # exec-form check that the worker is alive and talking to its broker


@dataclass(frozen=True)
class UserCompose:
    """The project's own compose file, read (never written): its app service and what it runs beside it."""

    file: str
    app_service: str | None  # the service that builds the project's context
    app_environment: tuple[tuple[str, str], ...]  # (name, value) that service's environment sets
    database_images: tuple[str, ...]
    workers: tuple[tuple[str, ...], ...] = ()  # commands of services that build the project and run a worker
    service_names: tuple[str, ...] = ()
    app_command: str | tuple[str, ...] = ()  # the app service's `command`, as written (string or list)


@dataclass(frozen=True)
class ServiceNeeds:
    database: Decided[DatabaseKind | None]
    driver: str | None  # the distribution the app talks to its database through
    orm: Orm
    redis: Decided[bool]
    migrate: Decided[tuple[str, ...] | None]
    prestart: Decided[tuple[str, ...] | None]
    worker: Decided[Worker | None]
    settings: AppSettings
    user_compose: UserCompose | None
    declared: frozenset[str] = frozenset()  # the dependencies' names
    # host names the code or the project's compose file gives each service (`redis`, `mysql`, `pg`): the
    # generated service answers to them too, so a hard-coded host still resolves
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the app makes its own tables at start (metadata.create_all, generate_schemas=True): it needs DDL
    creates_schema: Decided[bool] = field(default_factory=lambda: Decided(False, "", ""))
    # alembic.ini's own database URL, when its env.py connects with it as written: migrate must be given ours
    migrate_url: IniDatabaseUrl | None = None

    def url_scheme(self, name: str | None = None) -> str:
        """The URL scheme the app's driver needs, for a setting `name`: the scheme of the project's own
        example or default value when it names one of this database, else the driver's."""
        kind = self.database.value
        if name is not None and (given := self.settings.default(name)) and "://" in given:
            scheme = given.split("://", 1)[0]
            # a bare `postgresql://` means psycopg2 to SQLAlchemy up to 2.0: with another driver, name it. With
            # psycopg2 it stays as the project wrote it: a raw driver beside it (realworld's asyncpg.create_pool)
            # takes no `+driver`
            if scheme_kind(scheme) == kind and ("+" in scheme or self.orm != "sqlalchemy" or not self.driver
                                                 or self.driver in ("psycopg2", "psycopg2-binary")):
                return scheme
        if kind is None:
            return ""
        if self.orm == "tortoise":
            return TORTOISE_SCHEMES.get(kind, kind)
        if kind == "sqlite":
            return "sqlite+aiosqlite" if self.driver == "aiosqlite" and self.orm == "sqlalchemy" else "sqlite"
        wants_async = name is not None and "ASYNC" in name
        if self.orm == "sqlalchemy" and self.driver:
            driver = self.driver
            if wants_async and driver not in ASYNC_DRIVERS:
                driver = next((d for d, k in DRIVERS.items() if k == kind and d in ASYNC_DRIVERS and d in self.declared), driver)
            return SQLALCHEMY_SCHEMES.get(driver, "postgresql" if kind == "postgres" else "mysql")
        return "postgresql" if kind == "postgres" else "mysql" if kind == "mysql" else kind


def scheme_kind(scheme: str) -> str | None:
    base = scheme.split("+", 1)[0].lower()
    return next((kind for prefix, kind in SCHEME_KIND if base.startswith(prefix)), None)


def _url_kind(value: str) -> str | None:
    return scheme_kind(value.split("://", 1)[0]) if "://" in value else None


def _url_settings(settings: AppSettings) -> list[str]:
    """The app's database URL settings: by name (`DATABASE_URL`, `PG_DSN`), or by the project's documented or
    default value, a database server's URL under any name (`DB_CONNECTION=postgresql://…`)."""
    def is_url(name: str) -> bool:
        if _URL_NAME.search(name) or name in settings.engine_urls:
            return True
        value = settings.documented.get(name) or settings.default(name) or ""
        return _url_kind(value) in {"postgres", "mysql"}

    return sorted(n for n in settings.names if is_url(n) and "TEST" not in n and "REDIS" not in n and "MONGO" not in n)


# called, or handed to `conn.run_sync(Base.metadata.create_all)` (async engines), as Jiyanson/…-backend does
_CREATES_SCHEMA = re.compile(r"\.create_all\s*[(),]|generate_schemas\s*=\s*True|Tortoise\.generate_schemas\s*\(")


def detect_schema_creation(root: Path) -> Decided[bool]:
    """Whether the app creates its tables itself at start (then it needs the right to, as no migrator does)."""
    for path in _python_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if m := _CREATES_SCHEMA.search(text):
            line = text.count("\n", 0, m.start()) + 1
            rel = path.relative_to(root).as_posix()
            return Decided(True, f"{rel}:{line}", "the app creates its tables itself at start")
    return Decided(False, "code", "the app does not create tables itself")


def app_migrates_itself(root: Path, app_file: str, import_root: str = ".") -> Decided[bool]:
    """Whether the app runs its Alembic migrations itself when it starts: alembic's `command.upgrade` in the
    module that makes the app or a first-party module it imports, two imports deep (josejnra/fastapi-base's
    lifespan). Its start then changes the schema (CREATE SCHEMA IF NOT EXISTS, the version table), which a
    rows-only role may not. A script beside the app (alembic_commands.py, run by hand) or a CLI command module
    the app never imports (seapagan/fastapi-template's app/commands/db.py) is not the app's start."""
    from quayside.inspection.discovery import resolve_import

    import_roots = [root / import_root] if import_root != "." else [root]
    files, frontier = [root / app_file], [root / app_file]
    for _ in range(2):
        found: list[Path] = []
        for module in frontier:
            try:
                tree = ast.parse(module.read_text(encoding="utf-8", errors="replace"))
            except (OSError, SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                names = ([(node.module or "", node.level)] + [(f"{node.module}.{a.name}" if node.module else a.name, node.level)
                                                             for a in node.names]) if isinstance(node, ast.ImportFrom) \
                    else [(a.name, 0) for a in node.names] if isinstance(node, ast.Import) else []
                for name, level in names:
                    path = resolve_import(root, import_roots, module, name, level)
                    if path is not None and path not in files and path.is_relative_to(root):
                        files.append(path)
                        found.append(path)
        frontier = found
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "alembic" not in text or ".upgrade" not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        command_names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                         and node.module == "alembic" for alias in node.names if alias.name == "command"}
        for node in ast.walk(tree):
            # called, or handed on (`asyncio.to_thread(command.upgrade, config, "head")`)
            if (isinstance(node, ast.Attribute) and node.attr == "upgrade"
                    and (_dotted(node.value) == "alembic.command"
                         or (isinstance(node.value, ast.Name) and node.value.id in command_names))):
                where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                return Decided(True, where, f"the app runs its Alembic migrations itself when it starts ({where})")
    return Decided(False, "code", "the app does not run migrations itself")


def _is_metadata(node: ast.expr) -> bool:
    """`Base.metadata`, `SQLModel.metadata`, or a name like `metadata` (SQLAlchemy Core's `MetaData()` object)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "metadata"
    return isinstance(node, ast.Name) and "metadata" in node.id.lower()


def schema_made_at_import(root: Path, import_root: str) -> tuple[str, str] | None:
    """(dotted module, "file:line") of a module-level `<…>.metadata.create_all(…)` statement, or of a library
    object that makes its own table when built (casbin's SQLAlchemy Adapter): importing that module makes the
    tables (ai-project-python-fastapi's app/main.py, beside alembic migrations that miss some).
    Only a statement at the top of the module: one in a function or under `if __name__ == "__main__"` runs only
    when called. The module must be importable from the import root, as the image's working directory is."""
    base = root / import_root
    for path in _python_files(base):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if ".create_all" not in text and _TABLE_MAKING_MODULE not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        adapters = _table_making_names(tree)
        for node in tree.body:
            call = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "create_all"
                    and _is_metadata(call.func.value)) or _makes_its_table(call, adapters):
                rel = path.relative_to(base)
                parts = [*rel.parts[:-1], rel.stem] if rel.stem != "__init__" else list(rel.parts[:-1])
                if not parts or not all(part.isidentifier() for part in parts):
                    break
                return ".".join(parts), f"{path.relative_to(root).as_posix()}:{node.lineno}"
    return None


# a library that makes its own table when constructed: casbin's SQLAlchemy adapter creates casbin_rule unless told
# not to (phantuananh1206/DemoFastAPI builds one at import, beside alembic migrations that know nothing of it)
_TABLE_MAKING_MODULE = "casbin_sqlalchemy_adapter"


def _table_making_names(tree: ast.Module) -> set[str]:
    """Local names of casbin_sqlalchemy_adapter.Adapter: `from … import Adapter [as X]`, and `module.Adapter`
    through `import casbin_sqlalchemy_adapter [as m]` (kept as "m.Adapter")."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == _TABLE_MAKING_MODULE and node.level == 0:
            names.update(alias.asname or alias.name for alias in node.names if alias.name == "Adapter")
        elif isinstance(node, ast.Import):
            names.update(f"{alias.asname or alias.name}.Adapter" for alias in node.names if alias.name == _TABLE_MAKING_MODULE)
    return names


def _makes_its_table(call: ast.expr | None, adapters: set[str]) -> bool:
    if not isinstance(call, ast.Call) or any(kw.arg == "create_table" for kw in call.keywords):
        return False  # create_table=False (or a value read elsewhere): not statically a table made here
    func = call.func
    name = func.id if isinstance(func, ast.Name) else (
        f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else "")
    return name in adapters


_ASYNC_ENGINE = re.compile(r"\b(?:create_async_engine|AsyncEngine|async_sessionmaker|AsyncSession)\b")


def uses_async_engine(root: Path) -> bool:
    """SQLAlchemy's asyncio extension in the code: its URL must name an async driver."""
    for path in _python_files(root):
        try:
            if _ASYNC_ENGINE.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


_SQLITE_LITERAL = re.compile(r"""["']sqlite(?:\+\w+)?:///""")


def sqlite_in_code(root: Path) -> str | None:
    """The first module (tests aside) that names a SQLite URL in a literal: the app opens that file whatever
    service compose would add."""
    for path in _python_files(root):
        try:
            if _SQLITE_LITERAL.search(path.read_text(encoding="utf-8", errors="replace")):
                return path.relative_to(root).as_posix()
        except OSError:
            continue
    return None


# what code that talks to each kind of database imports (the ORM or the driver; SQLAlchemy loads its driver by URL)
_KIND_MODULES: dict[str, frozenset[str]] = {
    "mongodb": frozenset({"motor", "pymongo", "beanie", "odmantic", "mongoengine"}),
    "sql": frozenset({"sqlalchemy", "sqlmodel", "databases", "ormar", "tortoise", "psycopg", "psycopg2", "asyncpg",
                      "pg8000", "MySQLdb", "pymysql", "aiomysql", "asyncmy", "mysql", "mariadb", "fastapi_users_db_sqlalchemy",
                      "alembic", "aiopg", "gino", "peewee", "piccolo", "pony", "fastapi_sqlalchemy", "sqlalchemy_utils",
                      "psycopg_pool", "dataset", "records", "prisma"}),
}
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


def code_imports(root: Path) -> frozenset[str]:
    """The top-level modules the project's code imports anywhere (a line-level read, no parse: enough to tell
    which database library it uses)."""
    found: set[str] = set()
    for path in _python_files(root):
        if not path.is_file():  # a FIFO named like a module would block the read
            continue
        try:
            found.update(_IMPORT_LINE.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return frozenset(found)


# distributions that mean a database is used whatever the code imports (a migration tool runs outside it)
_DATABASE_LIBRARIES = frozenset({"alembic", "aerich", "databases", "ormar", "gino", "peewee", "piccolo", "pony"})


def _driver_unused(declared: set[str], imports: frozenset[str], settings: AppSettings, user: UserCompose | None) -> bool:
    """A bare driver a frozen requirements file lists that nothing uses (Svogg/fastapi_redis: asyncpg beside
    aioredis): no ORM or migration tool declared, no database library imported, no database setting read, no
    database in the project's own compose file. True only when the code was read."""
    from quayside.plan.shared import database_part

    if declared & (SQLALCHEMY_ORMS | TORTOISE | _DATABASE_LIBRARIES):
        return False
    if not imports or imports & (_KIND_MODULES["sql"] | _KIND_MODULES["mongodb"]):
        return False
    if _url_settings(settings) or any(database_part(name) is not None for name in settings.names):
        return False
    return not (user is not None and user.database_images)


def detect_database(declared: set[str], settings: AppSettings, user: UserCompose | None,
                    forced: str | None = None, *, async_code: bool = False,
                    sqlite_module: str | None = None,
                    imports: frozenset[str] = frozenset()) -> tuple[Decided[DatabaseKind | None], str | None]:
    drivers = [d for d in DRIVERS if d in declared]
    if forced == "none":
        return Decided(None, "--db none", "no database service"), None
    wanted = {"postgres": "postgres", "mariadb": "mysql", "mysql": "mysql"}.get(forced or "")
    served = [d for d in drivers if DRIVERS[d] != "sqlite"]
    urls = [(name, kind) for name in _url_settings(settings)
            if (kind := _url_kind(settings.documented.get(name) or "")) is not None]
    code_urls = [(name, kind) for name in _url_settings(settings)
                 if (kind := _url_kind(settings.default(name) or "")) is not None]
    if wanted is not None:
        driver = next((d for d in drivers if DRIVERS[d] == wanted), None)
        return Decided(wanted, f"--db {forced}", "given on the command line"), driver  # type: ignore[arg-type]
    # the project's documented example URL says which database it is deployed with
    for name, kind in urls:
        if kind != "sqlite":
            driver = next((d for d in drivers if DRIVERS[d] == kind), None)
            return Decided(kind, settings.documented_file or name, f"the project documents {name} as a {kind} URL"), driver  # type: ignore[arg-type]
    if served and _driver_unused(declared, imports, settings, user):
        return Decided(None, f"dependency {served[0]}", (
            f"{served[0]} is declared, but no module imports a database library (sqlalchemy, {served[0]}, …) and no "
            "setting names a database: no database service (--db postgres or --db mysql adds one)")), None
    if served:
        kinds = sorted({DRIVERS[d] for d in served})
        # with drivers for two databases, the one the code's default URL names
        preferred = next((k for _, k in code_urls if k in kinds), None)
        if preferred is None and "mongodb" in kinds:
            # a frozen requirements file lists a driver the code never uses (Finge-HackNYU: psycopg beside motor):
            # the database whose library the code imports
            uses_mongo, uses_sql = bool(imports & _KIND_MODULES["mongodb"]), bool(imports & _KIND_MODULES["sql"])
            if uses_mongo != uses_sql:
                preferred = "mongodb" if uses_mongo else next(k for k in kinds if k != "mongodb")
        candidates = [d for d in served if preferred is None or DRIVERS[d] == preferred]
        # async engines need an async driver: with psycopg2 and asyncpg both declared, asyncpg
        if async_code:  # asyncpg first: SQLAlchemy's usual async driver (psycopg 3 is async-capable too)
            candidates = sorted(candidates, key=lambda d: (d not in ASYNC_DRIVERS, d != "asyncpg"))
        driver = candidates[0]
        reason = f"{driver} is a {DRIVERS[driver]} driver"
        if len(kinds) > 1 and preferred is not None and not any(k == preferred for _, k in code_urls):
            reason += f" (drivers for {', '.join(kinds)} are declared; the code imports only {preferred}'s library)"
        elif len(kinds) > 1:
            reason += f" (drivers for {', '.join(kinds)} are declared; --db picks another)"
        return Decided(DRIVERS[driver], f"dependency {driver}", reason), driver
    if user is not None and user.database_images:
        image = user.database_images[0]
        kind = "postgres" if "postgres" in image else "mysql" if ("mysql" in image or "mariadb" in image) else "mongodb"
        return Decided(kind, user.file, f"the project's own compose file runs {image}"), None  # type: ignore[arg-type]
    for name, kind in code_urls:
        driver = next((d for d in drivers if DRIVERS[d] == kind), None)
        return Decided(kind, name, f"the code's default {name} is a {kind} URL"), driver  # type: ignore[arg-type]
    if sqlite_module is not None:
        return Decided("sqlite", sqlite_module, "the code names a SQLite URL and no driver for a database server is "
                       "declared: a file in a volume, no service"), "aiosqlite" if "aiosqlite" in declared else None
    if "aiosqlite" in declared:
        return Decided("sqlite", "dependency aiosqlite", "a SQLite driver: a file in a volume, no service"), "aiosqlite"
    if declared & (SQLALCHEMY_ORMS | TORTOISE):
        orm = sorted(declared & (SQLALCHEMY_ORMS | TORTOISE))[0]
        return Decided("postgres", f"dependency {orm}", "an ORM and no driver named: Postgres is the compose default"), None
    return Decided(None, "dependencies", "no database driver or ORM among the dependencies"), None


def detect_redis(declared: set[str], settings: AppSettings) -> Decided[bool]:
    clients = sorted(declared & REDIS_CLIENTS)
    if clients:
        return Decided(True, f"dependency {clients[0]}", f"{clients[0]} talks to Redis (cache, broker or queue)")
    named = sorted(n for n in settings.names if n.startswith("REDIS"))
    if named:
        return Decided(True, named[0], f"the app reads {named[0]}")
    return Decided(False, "dependencies", "no Redis client among the dependencies")


def alembic_ini(root: Path) -> str | None:
    """alembic.ini at the root, else one a folder down (migration/alembic.ini): compose's migrate runs with it."""
    if (root / "alembic.ini").is_file():
        return "alembic.ini"
    for path in sorted(root.glob("*/alembic.ini")):
        if path.parent.name not in {"tests", "test", ".venv", "venv", "docs"}:
            return path.relative_to(root).as_posix()
    return None


def detect_migrations(root: Path, pyproject: dict[str, Any] | None) -> Decided[tuple[str, ...] | None]:
    aerich = (pyproject or {}).get("tool", {}).get("aerich")
    if isinstance(aerich, dict) and aerich.get("tortoise_orm"):
        return Decided(("aerich", "upgrade"), "pyproject [tool.aerich]",
                       "aerich is configured: a one-off `migrate` service runs `aerich upgrade` before the app")
    ini = alembic_ini(root)
    if ini is not None and (empty := has_no_revisions(root, ini)) is not None:
        return Decided(None, ini, f"Alembic is set up ({ini}), but {empty} holds no revision: nothing to migrate")
    if ini == "alembic.ini":
        return Decided(("alembic", "upgrade", "head"), "alembic.ini",
                       "Alembic is configured: a one-off `migrate` service runs it before the app starts")
    if ini is not None and (scripts := relocated_script_location(root, ini)) is not None:
        return Decided(alembic_upgrade_from(ini, scripts), ini,
                       "Alembic is configured: a one-off `migrate` service runs it before the app starts, with "
                       f"its scripts from {scripts} (the ini names them relative to its own folder; Alembic run "
                       "from the project root would look under the root)")
    if ini is not None:
        return Decided(("alembic", "-c", ini, "upgrade", "head"), ini,
                       "Alembic is configured: a one-off `migrate` service runs it before the app starts")
    return Decided(None, "project", "no alembic.ini or [tool.aerich]: no migration step")


def detect_prestart(root: Path, given: str | None, migrate: Decided[tuple[str, ...] | None],
                    user: UserCompose | None = None) -> Decided[tuple[str, ...] | None]:
    if given:
        try:
            argv = tuple(shlex.split(given))
        except ValueError as exc:
            raise UserInputError(f"--prestart {given!r}: {exc}", hint="quote it as a shell would, e.g. --prestart 'python -m app.initial_data'") from None
        if not argv:
            raise UserInputError("--prestart is empty", hint="e.g. --prestart 'python -m app.initial_data'")
        return Decided(argv, "--prestart", "given on the command line: a one-off service after migrations")
    for name in PRESTART_SCRIPTS:
        if (root / name).is_file():
            return Decided(("sh", name), name, "the project's prestart script: a one-off service before the app"
                           + (" (after migrations)" if migrate.value else ""))
    if (step := startcommand.project_prestart_of(root, user)) is not None:
        return Decided(step.argv, step.source, f"the project's own start command runs `{shlex.join(step.argv)}` before "
                       "its server: a one-off service before the app" + (" (after migrations)" if migrate.value else ""))
    return Decided(None, "project", "no prestart script")


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those under `if`/`try` (`if DOCKER: app = Celery(...)`)."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If | ast.Try):
            found += _module_level(node.body) + _module_level(node.orelse)
    return found


def _module_name(rel: str) -> str:
    module = rel.removesuffix(".py").replace("/", ".")
    return module.removesuffix(".__init__")


def detect_worker(root: Path, declared: set[str], import_root: str) -> Decided[Worker | None]:
    wanted = declared & {"celery", "arq", "dramatiq"}
    if not wanted:
        return Decided(None, "dependencies", "no task queue (celery, arq, dramatiq) among the dependencies")
    base = root / import_root if import_root != "." else root
    for path in _python_files(base):
        rel = path.relative_to(base).as_posix()
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not any(word in text for word in ("Celery(", "WorkerSettings", "dramatiq")):
            continue
        try:
            tree = parse_python(path, display=rel)
        except UserInputError:
            continue
        module = _module_name(rel)
        for node in _module_level(tree.body):
            if ("celery" in wanted and isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name | ast.Attribute)
                    and (node.value.func.id if isinstance(node.value.func, ast.Name) else node.value.func.attr) == "Celery"
                    and isinstance(node.targets[0], ast.Name)):
                app = f"{module}:{node.targets[0].id}"
                command: tuple[str, ...] = ("celery", "-A", app, "worker", "--loglevel=INFO")
                health: tuple[str, ...] = ("CMD-SHELL", f'celery -A {app} inspect ping --timeout 5 -d "celery@$$HOSTNAME"')
                return Decided(Worker("celery", command, f"{rel}:{node.lineno}", health), f"{rel}:{node.lineno}",
                               "a Celery app: a worker service runs it from the same image")
            if "arq" in wanted and isinstance(node, ast.ClassDef) and node.name == "WorkerSettings":
                command = ("arq", f"{module}.WorkerSettings")
                health = ("CMD", "arq", "--check", f"{module}.WorkerSettings")  # the heartbeat the worker writes
                return Decided(Worker("arq", command, f"{rel}:{node.lineno}", health), f"{rel}:{node.lineno}",
                               "arq's WorkerSettings: a worker service runs it from the same image")
        if "dramatiq" in wanted and re.search(r"^\s*@dramatiq\.actor", text, re.MULTILINE):
            command = ("dramatiq", module)
            # dramatiq has no ping: the check asks that the worker process (PID 1's child) still runs
            health = ("CMD", "python", "-c", "import os; os.kill(1, 0); assert any(open(f'/proc/{p}/stat').read()"
                      ".rsplit(')', 1)[1].split()[1] == '1' for p in os.listdir('/proc') if p.isdigit() and p != '1')")
            return Decided(Worker("dramatiq", command, rel, health), rel, "dramatiq actors: a worker service runs them")
    return Decided(None, "project", f"{', '.join(sorted(wanted))} is declared but no worker app was found")


_WORKER_COMMAND = re.compile(r"\b(?:celery\b.*\bworker|rq\s+worker|arq\s|dramatiq\s|taskiq\s+worker|huey_consumer)")


def _argv(command: object) -> tuple[str, ...]:
    import shlex

    if isinstance(command, list):
        return tuple(str(a) for a in command)
    if isinstance(command, str):
        try:
            return tuple(shlex.split(command))
        except ValueError:
            return ()
    return ()


def read_user_compose(root: Path) -> UserCompose | None:
    """The project's own compose file, when it has one quayside did not write."""
    from quayside.provenance import is_generated

    for name in USER_COMPOSE_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 1_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if is_generated(text):
            continue
        try:
            data = YAML(typ="safe").load(text)
        except (YAMLError, RecursionError):
            return UserCompose(name, None, (), ())
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            return UserCompose(name, None, (), ())
        app: str | None = None
        env: tuple[tuple[str, str], ...] = ()
        app_command: str | tuple[str, ...] = ()
        databases: list[str] = []
        workers: list[tuple[str, ...]] = []
        for service, spec in services.items():
            if not isinstance(spec, dict):
                continue
            image = str(spec.get("image") or "")
            if any(word in image for word in ("postgres", "mysql", "mariadb", "mongo")):
                databases.append(image)
            build = spec.get("build")
            context = build.get("context") if isinstance(build, dict) else build
            builds_project = isinstance(context, str) and context.rstrip("/") in (".", "./")
            command = _argv(spec.get("command"))
            if builds_project and app is not None and command and _WORKER_COMMAND.search(" ".join(command)):
                workers.append(command)
            if app is None and builds_project and not (command and _WORKER_COMMAND.search(" ".join(command))):
                app = str(service)
                given = spec.get("command")
                app_command = given if isinstance(given, str) else tuple(str(a) for a in given) if isinstance(given, list) else ()
                raw = spec.get("environment") or {}
                pairs = ([(str(k), "" if v is None else str(v)) for k, v in raw.items()] if isinstance(raw, dict)
                         else [tuple(str(item).partition("=")[::2]) for item in raw if isinstance(item, str)])
                env = tuple(sorted((k, v) for k, v in pairs if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)))
        return UserCompose(name, app, env, tuple(databases), tuple(workers), tuple(str(k) for k in services), app_command)
    return None


# drivers a distribution's extras pull in: `sqlalchemy[postgresql-asyncpg]`, `tortoise-orm[asyncpg]`
EXTRA_DRIVERS = {
    "postgresql-asyncpg": "asyncpg", "asyncpg": "asyncpg", "postgresql-psycopg": "psycopg",
    "postgresql-psycopgbinary": "psycopg-binary", "postgresql-psycopg2binary": "psycopg2-binary",
    "postgresql": "psycopg2", "postgresql-pg8000": "pg8000", "psycopg": "psycopg", "aiopg": "psycopg2",
    "mysql": "mysqlclient", "pymysql": "pymysql", "aiomysql": "aiomysql", "asyncmy": "asyncmy",
    "mysql-connector": "mysql-connector-python", "mariadb-connector": "mariadb", "aiosqlite": "aiosqlite",
    "redis": "redis", "motor": "motor", "mongodb": "pymongo",
}


def declared_with_extras(declared: list[tuple[str, frozenset[str]]]) -> set[str]:
    """Dependency names, plus the drivers their extras name (`sqlalchemy[postgresql-asyncpg]` → asyncpg)."""
    names = {name for name, _ in declared}
    for name, extras in declared:
        if name in SQLALCHEMY_ORMS | TORTOISE | {"databases", "celery", "dramatiq", "fastapi-cache2"}:
            names |= {EXTRA_DRIVERS[e] for e in extras if e in EXTRA_DRIVERS}
    return names


def detect_services(root: Path, declared_names: set[str], pyproject: dict[str, Any] | None, settings: AppSettings,
                    *, import_root: str = ".", db: str | None = None, prestart: str | None = None) -> ServiceNeeds:
    user = read_user_compose(root)
    if user is not None and user.app_environment:
        # what the project's own compose file gives its app is a setting the app reads, and its value is documentation
        known = {x.name for x in settings.settings}
        extra = tuple(Setting(k.upper(), False, v if "://" in v and "${" not in v else None, user.file)
                      for k, v in user.app_environment if k.upper() not in known)
        settings = replace(settings, settings=tuple(sorted(settings.settings + extra, key=lambda x: x.name)))
    database, driver = detect_database(declared_names, settings, user, db, async_code=uses_async_engine(root),
                                       sqlite_module=sqlite_in_code(root), imports=code_imports(root))
    orm: Orm = ("tortoise" if declared_names & TORTOISE else "sqlalchemy" if declared_names & SQLALCHEMY_ORMS else "none")
    migrate = detect_migrations(root, pyproject)
    if migrate.value and database.value in (None, "mongodb"):
        migrate = Decided(None, migrate.source, "migrations are configured but there is no database service to migrate")
    pre = detect_prestart(root, prestart, migrate, user)
    migrate_url = None
    if migrate.value and (ini := alembic_ini(root)) is not None and migrate.source == ini:
        migrate_url = ini_database_url(root, ini)
        if migrate_url is not None and scheme_kind(migrate_url.scheme) != database.value:
            migrate_url = None  # a URL to another kind of server than the one the app gets: not ours to replace
    worker = detect_worker(root, declared_names, import_root)
    if worker.value is None and user is not None and user.workers:
        command = user.workers[0]
        worker = Decided(Worker("compose", command, user.file, ()), user.file,
                         f"the project's own {user.file} runs a worker from the same build: `{' '.join(command)}`")
    return ServiceNeeds(database, driver, orm, detect_redis(declared_names, settings), migrate, pre, worker,
                        settings, user, frozenset(declared_names), service_hosts(root, settings, user),
                        detect_schema_creation(root) if migrate.value is None else Decided(False, "", ""), migrate_url)


_CREDENTIALED = re.compile(r"^(?P<scheme>[a-z][a-z0-9+]*)://(?P<user>[A-Za-z0-9_]{1,63}):(?P<password>[A-Za-z0-9_.~-]{1,128})@"
                           r"[A-Za-z][A-Za-z0-9_.-]*(?::\d+)?/(?P<db>[A-Za-z0-9_]{1,63})(?:\?.*)?$")


@dataclass(frozen=True)
class CodeCredentials:
    """A database URL written into the code with its user, password and database: the app connects with those
    whatever quayside gives it, so the database must have them."""

    user: str
    password: str
    database: str
    where: str  # "app/database.py:5"


def code_credentials(root: Path, kind: str) -> CodeCredentials | None:
    """The first URL literal of this database's kind, outside tests, that names a user, a password and a
    database (only plain names: they go into .env and the init scripts as they are)."""
    for rel, tree in app_modules(root, "://"):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and (m := _CREDENTIALED.match(node.value))
                    and scheme_kind(m["scheme"]) == kind):
                return CodeCredentials(m["user"], m["password"], m["db"], f"{rel}:{node.lineno}")
    return None


def fixed_addresses(root: Path, within: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Database or Redis URLs the app's code (tests aside) connects with, written with a host no service name
    can answer: an IP address, or localhost (inside a container, the app itself): "its database at 172.17.0.2
    (app/database.py:5)", "its cache at localhost (apps/main.py:39)". Such an app reaches its database only where that address happens to be it
    (kubszy/fastapi_mysql_project: the address the engine's default bridge gave one container once). Only a
    module-level `NAME = "url"` or a URL handed straight to a connecting call counts: a default (a parameter's,
    a settings field's, os.getenv's second argument) gives way to the setting that replaces it. `within`: the
    paths the image holds; a script left out of it (josejnra/fastapi-base's alembic_commands.py) never runs there."""
    found: list[str] = []

    def add(rel: str, node: ast.expr) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        m = _ANY_HOST_URL.match(node.value)
        if m is None or not (m["scheme"].startswith("redis") or scheme_kind(m["scheme"]) in ("postgres", "mysql")):
            return
        host = m["host"]
        if host in ("localhost", "127.0.0.1") or re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host):
            what = "its cache" if m["scheme"].startswith("redis") else "its database"
            found.append(f"{what} at {host} ({rel}:{node.lineno})")

    for rel, tree in app_modules(root, "://"):
        if within is not None and not any(rel == path or rel.startswith(path.rstrip("/") + "/") for path in within):
            continue
        for statement in tree.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                add(rel, statement.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and _dotted(node.func).split(".")[-1] in _CONNECTING:
                add(rel, node.args[0])
    return tuple(dict.fromkeys(found))


# calls that connect with the URL they are given first
_CONNECTING = {"create_engine", "create_async_engine", "connect", "create_pool", "from_url", "Database",
               "register_tortoise", "AsyncIOMotorClient", "MongoClient"}


_ANY_HOST_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+]*)://(?:[^@/\s]*@)?(?P<host>[^:/@\s?]+)")
_URL_LITERAL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+]*)://(?:[^@/\s]*@)?(?P<host>[A-Za-z{][A-Za-z0-9_.{}-]*)(?::[\d{}]+)?(?:[/?]|$)")
_LOCAL = {"localhost", "host.docker.internal"}
_HOST_SETTING = re.compile(r"(?P<kind>REDIS|POSTGRES|DB|DATABASE|MYSQL|MARIADB|PG)_?(?:HOST|SERVER|HOSTNAME)$")


def service_hosts(root: Path, settings: AppSettings, user: UserCompose | None) -> dict[str, tuple[str, ...]]:
    """Host names the project uses for its database and Redis: in URL literals of its code, the defaults and
    documented values of its host settings, and the service names of its own compose file."""
    found: dict[str, set[str]] = {"db": set(), "redis": set()}

    def add(kind: str | None, host: str) -> None:
        if kind and host and host not in _LOCAL and not host.replace(".", "").isdigit() and "{" not in host:
            found[kind].add(host)

    def kind_of_scheme(scheme: str) -> str | None:
        if scheme.startswith(("redis", "rediss")):
            return "redis"
        return "db" if scheme_kind(scheme) in ("postgres", "mysql") else None

    for path in _python_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "://" not in text and "host" not in text.lower():
            continue
        try:
            tree = parse_python(path, display=path.name)
        except UserInputError:
            continue
        for node in ast.walk(tree):
            literal = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            if isinstance(node, ast.JoinedStr):  # f"mysql+pymysql://{user}:{pw}@mysql:3306/{db}"
                literal = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                                  for v in node.values)
            if literal and "://" in literal and (m := _URL_LITERAL.match(literal)):
                add(kind_of_scheme(m["scheme"]), m["host"])
            elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                    and (m := _HOST_SETTING.search(node.targets[0].id.upper()))):
                add("redis" if m["kind"] == "REDIS" else "db", node.value.value)
    for setting in settings.settings:
        if (m := _HOST_SETTING.search(setting.name)) and (value := settings.default(setting.name)):
            add("redis" if m["kind"] == "REDIS" else "db", value)
    if user is not None:
        for name in user.service_names:
            lowered = name.lower()
            if "redis" in lowered:
                add("redis", name)
            elif any(word in lowered for word in ("postgres", "mysql", "maria", "db", "database", "pg")):
                add("db", name)
    return {kind: tuple(sorted(h for h in hosts if h != kind)) for kind, hosts in found.items() if hosts - {kind}}
