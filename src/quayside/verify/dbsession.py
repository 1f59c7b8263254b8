"""`verify --compose`'s proof that the app's database URLs open a session.

An app that connects only on its first query starts healthy even when its URL names a user, a password or a
database the stack's server does not know (a documented `postgres:postgres@db` left in place, a setting under a
name quayside did not wire). So each setting in the app container's environment whose value is a database
server's URL is opened from inside that container, with the app's own interpreter and driver, and `SELECT 1`
is run: SQLAlchemy when the image has it (sync or async, as the URL's driver is), else asyncpg for a Postgres
URL (Tortoise). Nothing else is tried: a URL the image has no client for is reported as not tested. Only the
driver's error reaches the report, masked; the URL itself never does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, cast

from quayside.engine import docker

# a database server's URL: postgres://, postgresql+asyncpg://, mysql+pymysql://, mariadb+mariadbconnector://
DATABASE_URL_VALUE = re.compile(r"^(?:postgres|postgresql|mysql|mariadb)(?:\+[a-z0-9_]+)?://", re.IGNORECASE)
SESSION_TIMEOUT = 20  # seconds a connection may take inside the container before it counts as failed

# Runs inside the app container: the setting names come as arguments, their values from the environment, so no
# credential is ever on a command line. Prints {name: [status, detail]}.
_OPEN_SESSIONS = r"""
import asyncio, json, os, signal, sys
TIMEOUT = __TIMEOUT__
signal.alarm(TIMEOUT * len(sys.argv[1:]) + 5)

def first_line(exc):
    text = (str(exc).strip().splitlines() or [''])[0]
    return f'{type(exc).__name__}: {text}'[:300]

def with_sqlalchemy(url):
    import sqlalchemy
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    dialect = parsed.get_dialect()
    if getattr(dialect, 'is_async', False):
        from sqlalchemy.ext.asyncio import create_async_engine
        async def go():
            engine = create_async_engine(parsed)
            try:
                async with engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(sqlalchemy.text('SELECT 1')), TIMEOUT)
            finally:
                await engine.dispose()
        asyncio.run(asyncio.wait_for(go(), TIMEOUT))
    else:
        engine = sqlalchemy.create_engine(parsed)
        try:
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text('SELECT 1'))
        finally:
            engine.dispose()
    return 'sqlalchemy'

def with_asyncpg(url):
    import asyncpg
    async def go():
        conn = await asyncpg.connect(url.replace('postgres://', 'postgresql://', 1), timeout=TIMEOUT)
        try:
            await conn.fetchval('SELECT 1')
        finally:
            await conn.close()
    asyncio.run(go())
    return 'asyncpg'

out = {}
for name in sys.argv[1:]:
    url = os.environ.get(name, '')
    tried = []
    for attempt in (with_sqlalchemy, with_asyncpg):
        if attempt is with_asyncpg and not url.lower().startswith(('postgres://', 'postgresql://')):
            continue
        try:
            out[name] = ['pass', attempt(url)]
            break
        except ImportError as exc:  # no such client (or dialect) in the image: the next one may do
            tried.append(first_line(exc))
        except Exception as exc:
            if type(exc).__name__ == 'NoSuchModuleError':  # SQLAlchemy has no dialect for this scheme
                tried.append(first_line(exc))
                continue
            out[name] = ['fail', first_line(exc)]
            break
    else:
        out[name] = ['skip', '; '.join(tried) or 'no client for it in the image']
print(json.dumps(out))
""".replace("__TIMEOUT__", str(SESSION_TIMEOUT))


@dataclass(frozen=True)
class SessionResult:
    name: str
    status: Literal["pass", "fail", "skip"]
    detail: str  # the client used, or the driver's first error line


def database_url_settings(container_env: list[str]) -> list[str]:
    """The names, in the container's environment, whose value is a database server's URL."""
    found = []
    for item in container_env:
        name, _, value = item.partition("=")
        if DATABASE_URL_VALUE.match(value) and not name.startswith("QUAYSIDE_"):
            found.append(name)
    return sorted(found)


def parse_results(stdout: str) -> dict[str, tuple[Literal["pass", "fail", "skip"], str]]:
    """The probe's last line, {name: [status, detail]}; anything else is no result."""
    lines = stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): (cast(Literal["pass", "fail", "skip"], v[0]), str(v[1])) for k, v in data.items()
            if isinstance(v, list) and len(v) == 2 and v[0] in ("pass", "fail", "skip")}


def open_sessions(container: str, names: list[str]) -> list[SessionResult]:
    """Open each named URL from inside the running container, as the app's user, with the app's driver."""
    if not names:
        return []
    result = docker.run(["exec", "-e", "QUAYSIDE_PROBE=0", container, "python", "-c", _OPEN_SESSIONS, *names],
                        timeout=SESSION_TIMEOUT * len(names) + 30, check=False)
    found = parse_results(result.stdout)
    error = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1][:300]
    return [SessionResult(name, *found[name]) if name in found else SessionResult(name, "fail", f"the probe failed: {error}")
            for name in names]
