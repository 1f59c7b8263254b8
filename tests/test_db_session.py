"""verify --compose's database session probe: which settings it opens, and the probe itself run here against a
closed port and a driver this interpreter lacks (the live proof is in test_live_compose_services)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from quayside.verify.dbsession import _OPEN_SESSIONS, database_url_settings, parse_results


@pytest.mark.parametrize(("env", "names"), [
    (["DB_CONNECTION=postgresql://u:p@db:5432/x", "PATH=/usr/bin"], ["DB_CONNECTION"]),
    (["A=postgres://u@db/x", "B=mysql+pymysql://u:p@db/x", "C=mariadb+mariadbconnector://u:p@db/x"], ["A", "B", "C"]),
    (["DATABASE_URL=postgresql+asyncpg://u:p@db/x"], ["DATABASE_URL"]),
    # not a database server's URL: files, caches, other schemes, a URL inside another value
    (["DATABASE_URL=sqlite:///./x.db", "REDIS_URL=redis://redis:6379/0", "MONGO_URL=mongodb://db/x",
      "NOTE=see postgresql://u@db/x", "HOME=/home/app"], []),
    (["QUAYSIDE_PROBE_URL=postgresql://u@db/x"], []),
])
def test_which_settings_are_database_urls(env, names):
    assert database_url_settings(env) == names


@pytest.mark.parametrize(("stdout", "parsed"), [
    ('{"A": ["pass", "sqlalchemy"]}\n', {"A": ("pass", "sqlalchemy")}),
    ('noise\n{"A": ["fail", "OperationalError: x"], "B": ["skip", "no client"]}', {"A": ("fail", "OperationalError: x"), "B": ("skip", "no client")}),
    ('{"A": ["maybe", "x"]}', {}),
    ("Traceback (most recent call last):", {}),
    ("", {}),
    ("[1, 2]", {}),
])
def test_probe_output(stdout, parsed):
    assert parse_results(stdout) == parsed


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_probe_reports_a_refused_connection_and_a_missing_client():
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    port = _closed_port()
    env = {**os.environ, "GOOD_NAME": f"postgresql+psycopg://u:secret-pw@127.0.0.1:{port}/x",
           "NO_CLIENT": "mysql+nosuchdriver://u:p@127.0.0.1/x"}
    result = subprocess.run([sys.executable, "-c", _OPEN_SESSIONS, "GOOD_NAME", "NO_CLIENT"], capture_output=True,
                            text=True, timeout=60, env=env, check=False)
    found = parse_results(result.stdout)
    assert found["GOOD_NAME"][0] == "fail" and "OperationalError" in found["GOOD_NAME"][1], result.stderr
    assert "secret-pw" not in result.stdout  # the URL itself never leaves the container
    assert found["NO_CLIENT"][0] == "skip"
