"""The table of Debian packages that dependencies need: which stage gets what, and from where it came."""

from __future__ import annotations

import pytest

from quayside.engine import docker
from quayside.init import InitRequest, plan_init
from quayside.plan.systemlibs import TABLE, apt_packages
from support.projects import FIXTURES, copy_project, verified_image, write

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


@pytest.mark.parametrize(("requirement", "built"), [
    # longth-2000/fast-docker: `sqlalchemy[mysql]` brings mysqlclient, which has no Linux wheel
    ("sqlalchemy[mysql]==2.0.30", "default-libmysqlclient-dev"),
    ("sqlalchemy[postgresql]==2.0.30", "libpq-dev"),
    ("sqlalchemy[pymysql]==2.0.30", None),  # pure Python
    ("sqlalchemy==2.0.30", None),
])
def test_a_driver_an_extra_brings_gets_its_libraries(tmp_path, requirement, built):
    root = write(tmp_path / "p", {"requirements.txt": f"fastapi[standard]\n{requirement}\n", "main.py": APP})
    dockerfile = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    builder = dockerfile.split("\nFROM python:3.12-slim\n")[0]
    assert (built in builder) if built else ("apt-get" not in builder)


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
    with verified_image(project, "quayside-test/psycopg2-source:1", '/health={"libpq":true}') as tag:
        compiler = docker.run(["run", "--rm", "--entrypoint", "sh", tag, "-c", "command -v gcc cc || echo none"], timeout=60)
        assert compiler.stdout.strip() == "none"


@pytest.mark.docker
def test_live_mysqlclient_brought_by_an_extra_builds_and_loads(tmp_path):
    """longth-2000/fast-docker's `sqlalchemy[mysql]`: mysqlclient builds in the builder with the MySQL client
    headers, and the runtime holds the shared library it loads (no compiler). Without them the build stops at
    `mysql_config not found`, which the unit table above shows init would have left out."""
    project = write(tmp_path / "mysql-extra", {
        "requirements.txt": "fastapi[standard]>=0.115,<1\nsqlalchemy[mysql]>=2.0,<3\n",
        "main.py": "import MySQLdb\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                   "def health() -> dict[str, bool]:\n    return {'mysqldb': hasattr(MySQLdb, 'connect')}\n",
    })
    with verified_image(project, "quayside-test/mysql-extra:1", '/health={"mysqldb":true}'):
        pass


def test_a_locked_release_with_wheels_for_other_systems_only_gets_a_compiler(tmp_path):
    """pyroomacoustics 0.8.4's shape: wheels for macOS and Windows, none for Linux, so it builds from its sdist;
    a macOS-only package (pyobjc, kept off Linux by a marker), a pure sdist and a manylinux release do not."""
    from quayside.inspection.lockwheels import other_platforms_only
    from quayside.plan.systemlibs import apt_packages

    def package(name: str, *wheels: str) -> str:
        listed = ", ".join(f'{{ url = "https://files.example/{w}" }}' for w in wheels)
        return f'[[package]]\nname = "{name}"\nversion = "1.0"\nsdist = {{ url = "https://files.example/{name}-1.0.tar.gz" }}\nwheels = [{listed}]\n'

    (tmp_path / "uv.lock").write_text("version = 1\n" + "\n".join([
        package("roomacoustics", "roomacoustics-1.0-cp312-cp312-macosx_10_13_universal2.whl", "roomacoustics-1.0-cp312-cp312-win_amd64.whl"),
        package("objc-core", "objc_core-1.0-cp312-cp312-macosx_10_13_universal2.whl"),
        package("puresdist"),
        package("numeric", "numeric-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "numeric-1.0-cp312-cp312-win_amd64.whl"),
    ]))
    found = other_platforms_only(tmp_path)
    assert found == ["roomacoustics 1.0"]
    apt = apt_packages(["fastapi"], source_builds=tuple(found))
    assert apt.build.value == ("g++", "gcc", "libc6-dev", "make") and apt.runtime.value == ()
    assert "roomacoustics 1.0 ships wheels for other platforms only" in apt.build.reason
    assert apt_packages(["fastapi"]).build.value == ()


def test_a_release_without_a_wheel_for_the_image_python_gets_a_compiler(tmp_path):
    """A lock whose release has Linux wheels only up to 3.10: the image's 3.12 builds it from source."""
    from quayside.init import InitRequest, plan_init

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.12"\n'
                                             'dependencies = ["fastapi[standard]", "oldext"]\n')
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (tmp_path / "uv.lock").write_text(
        'version = 1\nrequires-python = ">=3.12"\n[[package]]\nname = "oldext"\nversion = "0.14.0"\n'
        'sdist = { url = "https://files.example/oldext-0.14.0.tar.gz" }\n'
        'wheels = [{ url = "https://files.example/oldext-0.14.0-cp310-cp310-manylinux2010_x86_64.whl" }]\n')
    plan = plan_init(tmp_path, InitRequest())
    dockerfile = next(w for w in plan.writes if w.name == "Dockerfile").content
    assert "apt-get install -y --no-install-recommends g++ gcc libc6-dev make" in dockerfile
    assert "oldext 0.14.0 has no Linux wheel for this Python" in plan.decisions["apt_build"].reason
    assert apt_packages(["fastapi"], no_wheel=()).build.value == ()
