"""The items service example runs its own test suite: on SQLite here, and on a real Postgres in the lab."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from quayside.engine import docker
from support.projects import EXAMPLES

SERVICE = EXAMPLES / "items-service"


def run_service_tests(database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(SERVICE)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=SERVICE, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_items_service_on_sqlite():
    proc = run_service_tests(None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout


def postgres_image() -> str:
    for tag in ("postgres:17", "postgres:15"):
        if docker.run(["image", "inspect", tag], check=False).returncode == 0:
            return tag
    pytest.fail("no postgres image in the engine (the lab builds postgres:15; `up --with postgres17` adds 17)")


@pytest.mark.docker
def test_items_service_on_postgres():
    name = f"quayside-test-pg-{uuid.uuid4().hex[:8]}"
    docker.run(["run", "-d", "--name", name, "-e", "POSTGRES_USER=items", "-e", "POSTGRES_PASSWORD=items-test",
                "-e", "POSTGRES_DB=items", "-p", "127.0.0.1::5432", postgres_image()])
    try:
        port = docker.run(["port", name, "5432/tcp"]).stdout.split(":")[-1].strip()
        deadline = time.monotonic() + 60
        while docker.run(["exec", name, "pg_isready", "-U", "items", "-d", "items", "-h", "127.0.0.1"], check=False).returncode != 0:
            assert time.monotonic() < deadline, "postgres did not become ready in 60 s"
            time.sleep(0.5)
        proc = run_service_tests(f"postgresql://items:items-test@127.0.0.1:{port}/items")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert " passed" in proc.stdout
    finally:
        docker.run(["rm", "-f", "-v", name], check=False)
