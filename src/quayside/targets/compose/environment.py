"""Each compose service's environment under the names the app itself reads.

An app reads `DATABASE_URL`, or `SQLALCHEMY_DATABASE_URI`, or `POSTGRES_SERVER` + `POSTGRES_USER` + … (the
full-stack template), or `DB_HOST`, or `REDIS_URL`/`CELERY_BROKER_URL`: each name is matched to a part of the
service it means and given a compose expression filled in from `.env`. The app gets the role that reads and
writes rows; the migrate and prestart services the role that owns the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from quayside.inspection.appsettings import default_stands
from quayside.inspection.services import ServiceNeeds, _url_settings
from quayside.plan.shared import database_part
from quayside.verify.settings import SECRET_NAME as _SECRET_LIKE  # one definition of "a secret"

Role = Literal["app", "owner"]
NEED = "is not set, see .env.example"  # no ": " in it: the value stays a plain YAML scalar
_REDIS_URL = re.compile(r"(?:REDIS|BROKER|CACHE|ARQ|RQ|CELERY)[A-Z_]*_(?:URL|URI|DSN)$|(?:CELERY_)?RESULT_BACKEND$")
_REDIS_PARTS = (
    ("host", re.compile(r"REDIS_(?:HOST|SERVER|HOSTNAME)$")),
    ("port", re.compile(r"REDIS_PORT$")),
    ("password", re.compile(r"REDIS_PASSWORD$")),
    ("db", re.compile(r"REDIS_DB$")),
)
_MONGO = r"MONGO(?:DB)?"
_MONGO_URL = re.compile(rf"{_MONGO}_?[A-Z_]*(?:URL|URI|DSN)$")
_MONGO_PARTS = (
    ("host", re.compile(rf"{_MONGO}_?(?:HOST|SERVER|HOSTNAME)$")),
    ("port", re.compile(rf"{_MONGO}_?PORT$")),
    ("user", re.compile(rf"{_MONGO}_?(?:USER|USERNAME|LOGIN)$")),
    ("password", re.compile(rf"{_MONGO}_?(?:PASSWORD|PASS|PWD)$")),
    ("name", re.compile(rf"{_MONGO}_?(?:DB|DATABASE|DB_NAME|DATABASE_NAME|NAME)$|^(?:DB_NAME|DATABASE_NAME)$")),
)
DB_PORTS = {"postgres": 5432, "mysql": 3306, "mongodb": 27017}
REDIS_PASSWORD = "REDIS_PASSWORD"


@dataclass(frozen=True)
class DatabaseVars:
    """The .env names a database service is configured from."""

    kind: str  # postgres | mysql
    name_var: str  # POSTGRES_DB | MARIADB_DATABASE

    def user_var(self, role: Role) -> str:
        return "DB_APP_USER" if role == "app" else "DB_OWNER"

    def password_var(self, role: Role) -> str:
        return "DB_APP_PASSWORD" if role == "app" else "DB_OWNER_PASSWORD"


def ref(name: str) -> str:
    """`${NAME:?…}`: compose fills it in from .env and stops `up` with the name when .env lacks it."""
    return f"${{{name}:?{name} {NEED}}}"


def database_vars(needs: ServiceNeeds) -> DatabaseVars | None:
    kind = needs.database.value
    if kind == "postgres":
        return DatabaseVars("postgres", "POSTGRES_DB")
    if kind == "mysql":
        return DatabaseVars("mysql", "MARIADB_DATABASE")
    if kind == "mongodb":
        return DatabaseVars("mongodb", "MONGO_INITDB_DATABASE")
    return None


def _redis_part(name: str) -> str | None:
    if _REDIS_URL.search(name):
        return "url"
    return next((part for part, pattern in _REDIS_PARTS if pattern.search(name)), None)


def redis_settings(needs: ServiceNeeds) -> dict[str, str]:
    """The Redis settings the app reads (name -> part). None read: its Redis URL is written in its code, and a
    password it cannot send would lock it out, so that Redis asks for none (it is reachable only on the
    project's network)."""
    return {n: p for n in sorted(needs.settings.names) if (p := _redis_part(n)) is not None}


def reads_database_setting(needs: ServiceNeeds) -> bool:
    """Whether the app's code reads its database's URL or parts from a setting (else quayside cannot tell it
    where). A name only the project's own compose file sets (hikaruk86's DATABASE_URL) is not read by the code."""
    own_file = needs.user_compose.file if needs.user_compose is not None else None
    code = {s.name for s in needs.settings.settings if s.source != own_file}
    return any(n in code for n in _url_settings(needs.settings)) or any(
        database_part(n) is not None and not n.startswith("TEST") for n in code)


def redis_takes_password(needs: ServiceNeeds) -> bool:
    """Whether the app can send Redis a password: it reads a Redis URL or a REDIS_PASSWORD. An app that reads
    only REDIS_HOST and REDIS_PORT (omeraen/Redis_FastAPI_PostgreSQL) would be locked out by one."""
    return any(part in ("url", "password") for part in redis_settings(needs).values())


def service_environment(needs: ServiceNeeds, role: Role) -> list[tuple[str, str]]:
    """(name, compose value) for every setting the app reads that a service of this compose project answers."""
    env: dict[str, str] = {}
    names = needs.settings.names
    db = database_vars(needs)
    if db is not None and db.kind == "mongodb":
        env.update(_mongo_environment(needs, db, role))
    elif db is not None:
        user, password = ref(db.user_var(role)), ref(db.password_var(role))
        port = DB_PORTS[db.kind]
        url_names = _url_settings(needs.settings)
        parts = {n: p for n in sorted(names) if (p := database_part(n)) is not None and not n.startswith("TEST")}
        if not url_names and not parts:
            url_names = ["DATABASE_URL"]  # nothing read we recognise: the common name
        for name in url_names:
            env[name] = f"{needs.url_scheme(name)}://{user}:{password}@db:{port}/{ref(db.name_var)}"
        values = {"host": "db", "port": str(port), "user": user, "password": password, "name": ref(db.name_var)}
        for name, part in parts.items():
            env.setdefault(name, values[part])
    if needs.redis.value:
        read = redis_settings(needs)
        if read:  # else the app's code names its Redis: nothing to give it
            redis_values = {"url": f"redis://:{ref(REDIS_PASSWORD)}@redis:6379/0", "host": "redis", "port": "6379",
                            "password": ref(REDIS_PASSWORD), "db": "0"}
            for name, part in read.items():
                env.setdefault(name, redis_values[part])
    return sorted(env.items())


def _mongo_environment(needs: ServiceNeeds, db: DatabaseVars, role: Role) -> dict[str, str]:
    """MongoDB's: the app's user lives in the app's database (readWrite there only); the owner is the image's
    root user, which authenticates against admin."""
    names = needs.settings.names
    user, password, name = ref(db.user_var(role)), ref(db.password_var(role)), ref(db.name_var)
    auth = name if role == "app" else "admin"
    urls = [n for n in sorted(names) if _MONGO_URL.search(n) and not n.startswith("TEST")]
    urls += [n for n in _url_settings(needs.settings) if n not in urls
             and (needs.settings.documented.get(n) or needs.settings.default(n) or "").startswith(("mongodb://", "mongodb+srv://"))]
    parts = {n: p for n in sorted(names) if (p := next((part for part, pattern in _MONGO_PARTS if pattern.search(n)), None))
             and not n.startswith("TEST")}
    if not urls and not parts:
        urls = ["MONGODB_URL"]  # nothing read we recognise: the common name
    env = dict.fromkeys(urls, f"mongodb://{user}:{password}@db:27017/{name}?authSource={auth}")
    values = {"host": "db", "port": "27017", "user": user, "password": password, "name": name}
    for n, part in parts.items():
        env.setdefault(n, values[part])
    return env


@dataclass(frozen=True)
class PassedSetting:
    """A setting the app reads that no service answers, passed from .env: the project's documented value, a
    random one for a secret, or nothing (compose then stops with the name)."""

    name: str
    example: str  # the .env.example line's value
    secret: bool  # .env gets a random value, never the documented example
    required: bool


def passed_settings(needs: ServiceNeeds, answered: set[str]) -> list[PassedSetting]:
    settings = needs.settings
    code = {s.name: s for s in settings.settings}
    passed = []
    for name in sorted(code):
        if name in answered or name.startswith("TEST"):
            continue
        documented = bool(settings.documented.get(name))
        secret = bool(_SECRET_LIKE.search(name)) and not code[name].scalar
        if not documented and not (code[name].required and secret):
            # the code's default stands; a required one with no documented value may come from an env file of
            # the app's own (pydantic's env_file), else verify names it as the missing setting
            continue
        value = settings.documented.get(name, "")
        if default_stands(value, code[name]):
            # `ACCESS_TOKEN_EXPIRE_MINUTES=<time>` asks the reader for a value; the code has one: it stands
            continue
        passed.append(PassedSetting(name, value, secret, code[name].required))
    return passed

