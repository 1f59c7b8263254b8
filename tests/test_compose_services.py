"""Services from what a project declares: the settings its code reads, the database, cache, migrator, prestart step
and worker it needs, and each service's environment under the app's own names (no engine needed)."""

from __future__ import annotations

import pytest

from quayside.inspection.appsettings import read_app_settings
from quayside.inspection.services import detect_services
from quayside.targets.compose.environment import passed_settings, service_environment
from quayside.targets.compose.plan import merge_env, missing_env
from support.projects import FIXTURES, write

SETTINGS = """\
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_")
    secret_key: str
    debug: bool = False


class Settings(Base):
    database_url: str = Field("sqlite:///./x.db", validation_alias="DB_DSN")
    redis_url: str = "redis://localhost:6379/0"
"""


def test_settings_read_from_classes_prefixes_aliases_and_environ(tmp_path):
    root = write(tmp_path, {"app/config.py": SETTINGS,
                            "app/main.py": "import os\nTOKEN = os.environ['API_TOKEN']\nLEVEL = os.getenv('LOG_LEVEL', 'info')\n",
                            "tests/test_x.py": "import os\nos.environ['ONLY_TESTS']\n"})
    settings = read_app_settings(root)
    found = {s.name: s.required for s in settings.settings}
    assert found == {"APP_SECRET_KEY": True, "APP_DEBUG": False, "DB_DSN": False, "APP_REDIS_URL": False,
                     "API_TOKEN": True, "LOG_LEVEL": False}
    assert settings.default("DB_DSN") == "sqlite:///./x.db"


@pytest.mark.parametrize(("deps", "documented", "kind", "scheme"), [
    ({"fastapi", "sqlalchemy", "asyncpg"}, "", "postgres", "postgresql+asyncpg"),
    ({"fastapi", "sqlalchemy", "psycopg2-binary"}, "", "postgres", "postgresql+psycopg2"),
    ({"fastapi", "sqlalchemy", "pymysql"}, "", "mysql", "mysql+pymysql"),
    ({"fastapi", "sqlalchemy", "aiomysql"}, "", "mysql", "mysql+aiomysql"),
    ({"fastapi", "tortoise-orm", "asyncpg"}, "", "postgres", "postgres"),
    ({"fastapi", "tortoise-orm", "asyncmy"}, "", "mysql", "mysql"),
    # the project's documented URL names the database and, with a driver in it, the scheme
    ({"fastapi", "sqlalchemy", "asyncpg", "pymysql"}, "DATABASE_URL=mysql+pymysql://u:p@h/db\n", "mysql", "mysql+pymysql"),
    # a bare postgresql:// would mean psycopg2 to SQLAlchemy: with asyncpg declared, the driver is named
    ({"fastapi", "sqlalchemy", "asyncpg"}, "DATABASE_URL=postgresql://u:p@h/db\n", "postgres", "postgresql+asyncpg"),
    ({"fastapi", "motor"}, "", "mongodb", None),
    ({"fastapi"}, "", None, None),
])
def test_database_kind_and_scheme(tmp_path, deps, documented, kind, scheme):
    root = write(tmp_path, {"app/main.py": "import os\nURL = os.environ['DATABASE_URL']\n", ".env.example": documented})
    needs = detect_services(root, deps, None, read_app_settings(root))
    assert needs.database.value == kind
    if scheme:
        assert needs.url_scheme("DATABASE_URL") == scheme


@pytest.mark.parametrize(("code", "kind"), [
    # aup2007/Finge-HackNYU: a pip freeze with psycopg and alembic beside motor, and only motor in the code
    ("from motor.motor_asyncio import AsyncIOMotorClient\n", "mongodb"),
    ("import sqlalchemy\nfrom sqlalchemy.orm import Session\n", "postgres"),
    # both, or neither: the declared order decides, as before
    ("import pymongo\nimport sqlalchemy\n", "postgres"),
    ("import os\n", "postgres"),
    ("# from motor import x\nimport os\n", "postgres"),  # a comment is no import
])
def test_with_drivers_for_two_databases_the_one_the_code_imports(tmp_path, code, kind):
    root = write(tmp_path, {"app/__init__.py": "", "app/database.py": code})
    needs = detect_services(root, {"fastapi", "motor", "psycopg", "alembic"}, None, read_app_settings(root))
    assert needs.database.value == kind


@pytest.mark.parametrize(("files", "deps", "kind"), [
    # Svogg/fastapi_redis: a freeze with asyncpg, and code that only talks to Redis
    ({"main.py": "import aioredis\nfrom fastapi import FastAPI\n"}, {"fastapi", "asyncpg", "aioredis"}, None),
    ({"main.py": "import pymysql\n"}, {"fastapi", "pymysql"}, "mysql"),  # the driver itself, imported
    ({"main.py": "import databases\n"}, {"fastapi", "asyncpg"}, "postgres"),  # a library that loads it by URL
    ({"main.py": "import os\nURL = os.environ['DATABASE_URL']\n"}, {"fastapi", "asyncpg"}, "postgres"),  # its URL
    ({"main.py": "import os\nHOST = os.environ['DB_HOST']\n"}, {"fastapi", "psycopg2-binary"}, "postgres"),  # a part
    ({"main.py": "import os\n"}, {"fastapi", "asyncpg", "alembic"}, "postgres"),  # a migration tool runs outside
    ({"main.py": "import os\n", "docker-compose.yml": "services:\n  db:\n    image: postgres:15\n"},
     {"fastapi", "asyncpg"}, "postgres"),  # the project's own compose file runs one
    ({"README.md": "no code\n"}, {"fastapi", "asyncpg"}, "postgres"),  # no code read: nothing to tell by
], ids=["redis only", "driver imported", "library by URL", "URL read", "part read", "alembic declared",
        "own compose file", "no code"])
def test_a_driver_nothing_uses_gets_no_database(tmp_path, files, deps, kind):
    root = write(tmp_path, files)
    needs = detect_services(root, deps, None, read_app_settings(root))
    assert needs.database.value == kind, needs.database.reason
    if kind is None:
        assert "no module imports a database library" in needs.database.reason


def test_nested_settings_parts_are_answered(tmp_path):
    """pydantic-settings' nested model with env_nested_delimiter="__" reads POSTGRES__HOST and the like
    (simonangel-fong/Project-IOT-Mgnt-Telemetry-Cloud-Native): each is given its part of the database."""
    root = write(tmp_path, {"app/config.py": (
        "from pydantic import BaseModel\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        "class PostgresSettings(BaseModel):\n    host: str = 'postgres'\n    port: int = 5432\n    user: str = 'app'\n"
        "    db: str = 'app_db'\n    password: str = 'postgres'\n\n\n"
        "class Settings(BaseSettings):\n    model_config = SettingsConfigDict(env_nested_delimiter='__')\n"
        "    postgres: PostgresSettings = PostgresSettings()\n")})
    needs = detect_services(root, {"sqlalchemy", "asyncpg"}, None, read_app_settings(root))
    app = dict(service_environment(needs, "app"))
    assert app["POSTGRES__HOST"] == "db" and app["POSTGRES__PORT"] == "5432"
    assert app["POSTGRES__USER"].startswith("${DB_APP_USER:?") and app["POSTGRES__DB"].startswith("${POSTGRES_DB:?")
    assert app["POSTGRES__PASSWORD"].startswith("${DB_APP_PASSWORD:?")
    assert "DATABASE_URL" not in app  # parts answered: no URL the app never reads


def test_a_local_sqlite_default_does_not_hide_the_declared_server_driver(tmp_path):
    root = write(tmp_path, {"app/config.py": "from pydantic_settings import BaseSettings\n\n\nclass S(BaseSettings):\n"
                            "    database_url: str = 'sqlite:///./items.db'\n"})
    needs = detect_services(root, {"sqlalchemy", "psycopg"}, None, read_app_settings(root))
    assert needs.database.value == "postgres" and needs.url_scheme("DATABASE_URL") == "postgresql+psycopg"


def test_environment_under_the_names_the_app_reads():
    root = FIXTURES / "postgres-parts"
    needs = detect_services(root, {"sqlalchemy", "psycopg", "alembic"}, None, read_app_settings(root))
    app = dict(service_environment(needs, "app"))
    owner = dict(service_environment(needs, "owner"))
    assert app["POSTGRES_SERVER"] == "db" and app["POSTGRES_PORT"] == "5432"
    assert app["POSTGRES_USER"].startswith("${DB_APP_USER:?") and owner["POSTGRES_USER"].startswith("${DB_OWNER:?")
    assert app["POSTGRES_PASSWORD"].startswith("${DB_APP_PASSWORD:?")  # never the superuser's
    assert "DATABASE_URL" not in app  # the app builds its URL from the parts
    passed = {p.name: p for p in passed_settings(needs, set(app))}
    assert passed["SECRET_KEY"].secret and passed["FIRST_SUPERUSER"].example == "admin@example.com"
    assert needs.prestart.value == ("sh", "prestart.sh")


def test_redis_names_and_worker():
    root = FIXTURES / "redis-worker"
    needs = detect_services(root, {"fastapi", "arq", "pydantic-settings"}, None, read_app_settings(root))
    env = dict(service_environment(needs, "app"))
    assert env == {"REDIS_HOST": "redis", "REDIS_PORT": "6379",
                   "REDIS_PASSWORD": "${REDIS_PASSWORD:?REDIS_PASSWORD is not set, see .env.example}"}
    worker = needs.worker.value
    assert worker is not None and worker.command == ("arq", "app.worker.WorkerSettings")
    assert worker.health == ("CMD", "arq", "--check", "app.worker.WorkerSettings")


def test_celery_worker_and_broker_names(tmp_path):
    root = write(tmp_path, {"app/worker.py": "from celery import Celery\n\ncelery_app = Celery('w', broker=BROKER)\n",
                            "app/config.py": "import os\nBROKER = os.environ['CELERY_BROKER_URL']\n"
                                             "BACKEND = os.environ['CELERY_RESULT_BACKEND']\n"})
    needs = detect_services(root, {"celery", "redis"}, None, read_app_settings(root))
    assert needs.worker.value is not None and needs.worker.value.command[:3] == ("celery", "-A", "app.worker:celery_app")
    env = dict(service_environment(needs, "app"))
    assert env["CELERY_BROKER_URL"] == env["CELERY_RESULT_BACKEND"] == (
        "redis://:${REDIS_PASSWORD:?REDIS_PASSWORD is not set, see .env.example}@redis:6379/0")


def test_aerich_and_nested_alembic(tmp_path):
    root = write(tmp_path, {"app/main.py": "", "db/alembic.ini": "[alembic]\n"})
    needs = detect_services(root, {"sqlalchemy", "asyncpg"}, None, read_app_settings(root))
    assert needs.migrate.value == ("alembic", "-c", "db/alembic.ini", "upgrade", "head")
    pyproject = {"tool": {"aerich": {"tortoise_orm": "app.db.TORTOISE_ORM", "location": "./migrations"}}}
    needs = detect_services(root, {"tortoise-orm", "asyncpg", "aerich"}, pyproject, read_app_settings(root))
    assert needs.migrate.value == ("aerich", "upgrade")


MERGE_CASES = [
    # (id, the project's file, what we add, expected)
    ("none", None, "# Settings for compose (x)\nA=1\n", "# Settings for compose (x)\nA=1\n"),
    ("theirs-kept", "# mine\nB=2\nA=9\n", "# Settings for compose (x)\nA=1\nC=3\n",
     "# mine\nB=2\nA=9\n\n# Settings for compose (x)\nC=3\n"),
    ("our-block-replaced", "# mine\nB=2\n\n# Settings for compose (x)\nOLD=1\n", "# Settings for compose (x)\nC=3\n",
     "# mine\nB=2\n\n# Settings for compose (x)\nC=3\n"),
    ("ours-only", "# Settings for compose (x)\nOLD=1\n", "# Settings for compose (x)\nC=3\n", "# Settings for compose (x)\nC=3\n"),
]


@pytest.mark.parametrize(("existing", "ours", "expected"), [c[1:] for c in MERGE_CASES], ids=[c[0] for c in MERGE_CASES])
def test_merge_example_file(existing, ours, expected):
    assert merge_env(existing, ours) == expected
    assert merge_env(expected, ours) == expected  # a second init changes nothing


def test_missing_env_only_appends():
    assert missing_env("A=mine\n", "A=1\nB=2\n") == "A=mine\n# added by quayside init for its compose services\nB=2\n"
    assert missing_env("A=mine\nB=x\n", "A=1\nB=2\n") == "A=mine\nB=x\n"


@pytest.mark.parametrize(("stderr", "expected"), [
    ("Error response from daemon: driver failed programming external connectivity on endpoint pp-app-1 (ab12): "
     "Bind for 127.0.0.1:8000 failed: port is already allocated", "port 8000 on 127.0.0.1 is already taken: app"),
    ("driver failed programming external connectivity on endpoint x-web-1 (9f): failed to bind port 127.0.0.1:8001/tcp: "
     "Error starting userland proxy: listen tcp4 127.0.0.1:8001: bind: address already in use",
     "port 8001 on 127.0.0.1 is already taken: web"),
    ("no such image", None),
])
def test_taken_port_is_named(stderr, expected):
    from quayside.targets.compose.run import _port_taken

    found = _port_taken(stderr)
    assert (found[0].split(" cannot")[0] if found else None) == expected
    if found:
        assert "APP_PORT" in found[1]


def test_hard_coded_hosts_become_aliases_and_a_passwordless_redis(tmp_path):
    """A project whose code names its services (`redis://redis-server:6379`, `@mysql:3306` in an f-string) and
    reads no Redis setting: the generated services answer to those names, and Redis asks for no password the
    app could not send."""
    root = write(tmp_path, {
        "main.py": ("import redis\nfrom fastapi import FastAPI\napp = FastAPI()\nr = redis.Redis.from_url('redis://redis-server:6379/0')\n"
                    "import os\nURL = f\"mysql+pymysql://{os.environ['DB_USER']}:x@mysql:3306/app\"\n"),
        "requirements.txt": "fastapi\nredis\npymysql\nsqlalchemy\n",
    })
    needs = detect_services(root, {"fastapi", "redis", "pymysql", "sqlalchemy"}, None, read_app_settings(root))
    assert needs.hosts == {"db": ("mysql",), "redis": ("redis-server",)}
    from quayside.targets.compose.environment import redis_settings

    assert redis_settings(needs) == {}


def test_worker_taken_from_the_projects_compose_file(tmp_path):
    root = write(tmp_path, {
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "docker-compose.yml": ("services:\n  web:\n    build: .\n    command: uvicorn main:app\n"
                               "  worker:\n    build: .\n    command: rq worker --url redis://redis:6379 jobs\n"
                               "  redis:\n    image: redis:7\n"),
    })
    needs = detect_services(root, {"fastapi", "rq", "redis"}, None, read_app_settings(root))
    worker = needs.worker.value
    assert worker is not None and worker.command == ("rq", "worker", "--url", "redis://redis:6379", "jobs")
    assert needs.user_compose is not None and needs.user_compose.app_service == "web"


def test_drivers_named_by_extras():
    from quayside.inspection.services import declared_with_extras

    names = declared_with_extras([("sqlalchemy", frozenset({"postgresql-asyncpg"})), ("fastapi", frozenset({"standard"})),
                                  ("tortoise-orm", frozenset({"asyncmy"}))])
    assert {"asyncpg", "asyncmy"} <= names and "standard" not in names


def test_async_engine_gets_the_async_driver(tmp_path):
    root = write(tmp_path, {"db.py": "from sqlalchemy.ext.asyncio import create_async_engine\nimport os\n"
                                     "engine = create_async_engine(os.environ['DATABASE_URL'])\n"})
    needs = detect_services(root, {"sqlalchemy", "psycopg2-binary", "asyncpg"}, None, read_app_settings(root))
    assert needs.url_scheme("DATABASE_URL") == "postgresql+asyncpg"
    (root / "db.py").write_text("from sqlalchemy import create_engine\nimport os\nengine = create_engine(os.environ['DATABASE_URL'])\n")
    needs = detect_services(root, {"sqlalchemy", "psycopg2-binary", "asyncpg"}, None, read_app_settings(root))
    assert needs.url_scheme("DATABASE_URL") == "postgresql+psycopg2"  # named: SQLAlchemy 2.1 reads a bare one as psycopg


def test_up_waits_as_long_as_the_app_may_take_to_start(tmp_path):
    from quayside.cli.compose import _default_wait

    assert _default_wait(tmp_path) == 180
    (tmp_path / "pyproject.toml").write_text("[tool.quayside]\nstart-timeout = 300\n")
    assert _default_wait(tmp_path) == 420


def test_mongodb_gets_a_service_offline_validated(tmp_path):
    """motor + a MONGODB_URL setting: a mongo service, the app's user with readWrite on its own database only
    (authSource that database), no migrate step. This lab has no MongoDB image, so the file is validated
    offline with `docker compose config`, not run."""
    import shutil
    import subprocess
    import sys

    from ruamel.yaml import YAML

    from quayside.check import run_check
    from support.projects import copy_project

    project = copy_project(FIXTURES / "mongo-notes", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "quayside", "init", str(project), "--target", "compose"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert set(services) == {"app", "db"}  # no migrate: MongoDB has no schema migrator here
    assert services["db"]["image"].startswith("mongo:")
    url = services["app"]["environment"]["MONGODB_URL"]
    assert url.startswith("mongodb://${DB_APP_USER:?") and "@db:27017/${MONGO_INITDB_DATABASE:?" in url
    assert url.endswith("?authSource=${MONGO_INITDB_DATABASE:?MONGO_INITDB_DATABASE is not set, see .env.example}")
    assert "DB_OWNER" not in str(services["app"]["environment"])  # root stays with the init script
    assert services["app"]["environment"]["MONGO_DB"].startswith("${MONGO_INITDB_DATABASE:?")
    script = (project / "mongodb/initdb/10-app-user.js").read_text()
    assert 'roles: [{ role: "readWrite", db: quaysideDatabase }]' in script and "root" not in script.split("createUser")[1]
    assert [(f.rule, f.message) for f in run_check(project).findings] == []
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI: `docker compose config` validates the file offline")
    config = subprocess.run(["docker", "compose", "-f", "compose.yaml", "config", "-q"], cwd=project,
                            capture_output=True, text=True, timeout=60, check=False)
    assert config.returncode == 0, config.stderr


@pytest.mark.parametrize(("name", "documented", "wired"), [
    # jobinterview2: starlette's Config reads DB_CONNECTION, documented as a Postgres URL
    ("DB_CONNECTION", "DB_CONNECTION=postgresql://postgres:postgres@db:5432/interview\n", True),
    ("DB_CONNECTION", "DB_CONNECTION=mysql+pymysql://u:p@db/x\n", True),
    # a name that says nothing and a value that is not a database server's URL: passed as documented
    ("DB_CONNECTION", "DB_CONNECTION=sqlite:///./x.db\n", False),
    ("DB_CONNECTION", "DB_CONNECTION=https://example.org\n", False),
])
def test_a_database_url_is_known_by_its_documented_value(tmp_path, name, documented, wired):
    root = write(tmp_path, {"app/config.py": f"from starlette.config import Config\nconfig = Config('.env')\n"
                            f"URL = config('{name}', cast=str)\n", ".env.template": documented})
    needs = detect_services(root, {"fastapi", "sqlalchemy", "psycopg2-binary", "pymysql"}, None, read_app_settings(root))
    env = dict(service_environment(needs, "app"))
    if wired:
        assert env[name].startswith(needs.url_scheme(name) + "://${DB_APP_USER:?") and "@db:" in env[name]
        assert "DATABASE_URL" not in env  # the app reads its URL under its own name only
    else:
        assert name not in env


@pytest.mark.parametrize(("code", "name"), [
    # omeraen/Redis_FastAPI_PostgreSQL: the README documents DATABASE_URL, the code hands DB to the engine
    ("import os\nfrom sqlalchemy import create_engine\nDB = os.getenv('DB')\nengine = create_engine(DB)\n", "DB"),
    ("import os\nfrom sqlalchemy.ext.asyncio import create_async_engine\nengine = create_async_engine(os.environ['STORE'])\n", "STORE"),
    ("from pydantic_settings import BaseSettings\nfrom sqlalchemy import create_engine\n"
     "class S(BaseSettings):\n    store: str\nsettings = S()\nengine = create_engine(settings.store)\n", "STORE"),
    ("import os\nfrom tortoise import Tortoise\nasync def f():\n    await Tortoise.init(db_url=os.getenv('PG'), modules={})\n", "PG"),
])
def test_a_setting_handed_to_a_database_engine_is_its_url(tmp_path, code, name):
    root = write(tmp_path, {"main.py": code})
    settings = read_app_settings(root)
    assert settings.engine_urls == {name}
    needs = detect_services(root, {"fastapi", "sqlalchemy", "psycopg2-binary", "asyncpg"}, None, settings)
    env = dict(service_environment(needs, "app"))
    assert env[name].startswith(needs.url_scheme(name) + "://${DB_APP_USER:?") and "DATABASE_URL" not in env


def test_a_setting_used_elsewhere_is_no_engine_url(tmp_path):
    root = write(tmp_path, {"main.py": "import os\nTOKEN = os.getenv('TOKEN')\nprint(TOKEN)\nfrom redis import Redis\n"
                                       "r = Redis(host=os.getenv('REDIS_HOST'))\nimport asyncpg\n"
                                       "pool = asyncpg.create_pool(dsn=os.getenv('PG_DSN'))\n"})
    assert read_app_settings(root).engine_urls == frozenset()


@pytest.mark.parametrize(("code", "password"), [
    # omeraen/Redis_FastAPI_PostgreSQL: host and port only, no way to send a password
    ("import os, redis\nr = redis.Redis(host=os.getenv('REDIS_HOST'), port=int(os.getenv('REDIS_PORT')))\n", False),
    ("import os, redis\nr = redis.Redis(host=os.getenv('REDIS_HOST'), password=os.getenv('REDIS_PASSWORD'))\n", True),
    ("import os, redis\nr = redis.Redis.from_url(os.environ['REDIS_URL'])\n", True),
])
def test_redis_asks_a_password_only_of_an_app_that_can_send_one(tmp_path, code, password):
    from quayside.targets.compose.environment import redis_takes_password

    root = write(tmp_path, {"main.py": code})
    needs = detect_services(root, {"fastapi", "redis"}, None, read_app_settings(root))
    assert redis_takes_password(needs) is password
    env = dict(service_environment(needs, "app"))
    assert ("REDIS_PASSWORD" in env or "REDIS_URL" in env) is password


HARD_CODED = ("from sqlalchemy import create_engine\n"
              "URL = 'mysql+mysqlconnector://my_fast_api_user:fast_api_pwd@my_mysql_db:3306/my_fast_api_db'\n"
              "engine = create_engine(URL)\nfrom fastapi import FastAPI\napp = FastAPI()\n")


@pytest.mark.parametrize(("files", "adopted"), [
    # jt-oh/fastapi-practice: the code reads no setting; its URL names the user, the password and the database
    ({"main.py": HARD_CODED}, True),
    # a setting the code reads: quayside gives the app its own role, the literal is only a default
    ({"main.py": HARD_CODED.replace("URL = 'mysql", "import os\nURL = os.getenv('DATABASE_URL', 'mysql")
      .replace("_db'\n", "_db')\n")}, False),
    ({"main.py": HARD_CODED, "tests/conftest.py": ""}, True),
    # a password a shell or .env would read otherwise is not copied anywhere
    ({"main.py": HARD_CODED.replace("fast_api_pwd", "p$wd")}, False),
])
def test_credentials_written_in_the_code_make_the_owner_role(tmp_path, files, adopted):
    from quayside.inspection import inspect_project
    from quayside.plan import InitOptions, build_plan
    from quayside.targets.base import TargetOptions
    from quayside.targets.compose.plan import build_compose_plan, env_file

    root = write(tmp_path, {**files, "requirements.txt": "fastapi[standard]\nsqlalchemy\nmysql-connector-python\n"})
    info = inspect_project(root)
    plan = build_compose_plan(info, build_plan(info, InitOptions()), TargetOptions())
    env, example = env_file(plan, example=False), env_file(plan, example=True)
    if adopted:
        assert "DB_OWNER=my_fast_api_user\nDB_OWNER_PASSWORD=fast_api_pwd\n" in env
        assert "MARIADB_DATABASE=my_fast_api_db\n" in env and "my_mysql_db" in plan.db_aliases
        assert "fast_api_pwd" not in example and "main.py:2 connects as my_fast_api_user" in example
        assert plan.app_env == ()  # nothing the app would read
    else:
        assert plan.code_credentials is None and "DB_OWNER=my_fast_api_user" not in env


def test_a_documented_bare_postgres_url_with_psycopg2_stays_bare(tmp_path):
    """nsidnev/fastapi-realworld-example-app: asyncpg.create_pool(DATABASE_URL) beside psycopg2 for alembic, its
    compose file documents postgresql://: a `+psycopg2` asyncpg cannot read stopped the app at start."""
    root = write(tmp_path, {"app/db.py": "import os, asyncpg\nasync def f():\n    return await asyncpg.create_pool(os.environ['DATABASE_URL'])\n",
                            ".env.example": "DATABASE_URL=postgresql://postgres:postgres@db/postgres\n"})
    needs = detect_services(root, {"fastapi", "databases", "asyncpg", "psycopg2-binary"}, None, read_app_settings(root))
    assert needs.url_scheme("DATABASE_URL") == "postgresql"
    (root / ".env.example").unlink()  # nothing documented: the driver is named
    needs = detect_services(root, {"fastapi", "sqlalchemy", "psycopg2-binary"}, None, read_app_settings(root))
    assert needs.url_scheme("DATABASE_URL") == "postgresql+psycopg2"


@pytest.mark.parametrize(("documented", "passed"), [
    # rafaeljurkfitz/crud-fastapi-postgres-streamlit: `<time>` asks for a value, and the code has one
    ("ACCESS_TOKEN_EXPIRE_MINUTES=<time>\nALGORITHM=<algorithm>\n", {"ALGORITHM": "<algorithm>"}),
    ("ACCESS_TOKEN_EXPIRE_MINUTES='your-minutes'\nALGORITHM=HS256\n", {"ALGORITHM": "HS256"}),
    # a real value is the project's word, default or not
    ("ACCESS_TOKEN_EXPIRE_MINUTES=30\nALGORITHM=HS256\n", {"ACCESS_TOKEN_EXPIRE_MINUTES": "30", "ALGORITHM": "HS256"}),
])
def test_a_placeholder_leaves_the_codes_default_but_a_required_setting_keeps_it(tmp_path, documented, passed):
    root = write(tmp_path, {"config.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n"
                            "    ALGORITHM: str\n    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24 * 7\n\nsettings = Settings()\n",
                            ".env.example": documented})
    needs = detect_services(root, {"fastapi"}, None, read_app_settings(root))
    assert {s.name: s.example for s in passed_settings(needs, set())} == passed
