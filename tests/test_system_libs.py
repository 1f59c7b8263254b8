"""The table of Debian packages that dependencies need: which stage gets what, and from where it came."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quayside.engine import docker
from quayside.init import InitRequest, plan_init
from quayside.plan.systemlibs import TABLE, apt_packages
from support.projects import FIXTURES, copy_project, write

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"

# (dependencies, builder packages, runtime packages)
ROWS = [
    (["fastapi"], (), ()),
    (["psycopg2-binary"], (), ()),
    (["psycopg2"], ("libpq-dev", "gcc", "libc6-dev"), ("libpq5",)),
    (["Psycopg2"], ("libpq-dev", "gcc", "libc6-dev"), ("libpq5",)),  # names compare canonicalised
    (["pyodbc"], (), ("libodbc2",)),  # ships wheels: only the library it loads
    (["mysqlclient", "psycopg2"], ("default-libmysqlclient-dev", "pkg-config", "gcc", "libc6-dev", "libpq-dev"),
     ("libmariadb3", "libpq5")),
]


@pytest.mark.parametrize(("dependencies", "build", "runtime"), ROWS)
def test_table(dependencies, build, runtime):
    apt = apt_packages(dependencies)
    assert apt.build.value == build
    assert apt.runtime.value == runtime


def test_project_and_command_line_add_to_the_table():
    apt = apt_packages(["psycopg2"], project_build=("libxml2-dev",), given_runtime=("libxml2", "libpq5"))
    assert apt.build.value == ("libpq-dev", "gcc", "libc6-dev", "libxml2-dev")
    assert apt.runtime.value == ("libpq5", "libxml2")
    assert apt.build.source == "psycopg2 + [tool.quayside] + --apt-build/--apt-runtime"


def test_init_writes_apt_only_where_it_belongs(tmp_path):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\npsycopg2==2.9.10\n", "main.py": APP})
    dockerfile = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    builder, runtime = dockerfile.split("\nFROM python:3.12-slim\n")
    assert "libpq-dev gcc libc6-dev" in builder and "libpq5" not in builder
    assert "install -y --no-install-recommends libpq5" in runtime and "gcc" not in runtime


@pytest.mark.docker
def test_every_table_name_is_a_package_of_the_base_image():
    """The names are Debian bookworm's (the python:3.x-slim base): apt knows each one."""
    names = sorted({n for libs in TABLE.values() for n in (*libs.build, *libs.runtime)})
    result = docker.run(["run", "--rm", "python:3.12-slim", "sh", "-c",
                         "apt-get update -qq >/dev/null && apt-cache show --no-all-versions \"$@\" | grep '^Package:'",
                         "sh", *names], timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(line.split()[1] for line in result.stdout.splitlines()) == names


@pytest.mark.docker
def test_live_psycopg2_from_source_builds_and_runs_without_a_compiler(tmp_path):
    project = copy_project(FIXTURES / "psycopg2-source", tmp_path)
    run = [sys.executable, "-m", "quayside"]
    assert subprocess.run([*run, "init", str(project)], capture_output=True, check=False, timeout=120).returncode == 0
    tag = "quayside-test/psycopg2-source:1"
    try:
        proc = subprocess.run([*run, "verify", str(project), "-t", tag, "--expect", '/health={"libpq":true}'],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        compiler = docker.run(["run", "--rm", "--entrypoint", "sh", tag, "-c", "command -v gcc cc || echo none"], timeout=60)
        assert compiler.stdout.strip() == "none"
    finally:
        docker.run(["rmi", "-f", tag], check=False)
