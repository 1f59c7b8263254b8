"""A failed build shows its cause: the failing step, that step's own last lines (not pip's closing "This error
originates from a subprocess"), and what fixes the common source builds. Exit 1, not the engine's 3."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quayside.buildfailure import explain

# BuildKit's plain progress, as it interleaves two steps (shape of a real psycopg2 build on a slim image)
OUTPUT = """#7 [builder 4/6] RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
#8 [runtime 2/4] RUN useradd app
#7 1.204 Collecting psycopg2==2.9.10
#8 DONE 0.3s
#7 2.311   Downloading psycopg2-2.9.10.tar.gz (385 kB)
#7 3.102   error: subprocess-exited-with-error
#7 3.103   Error: pg_config executable not found.
#7 3.104   pg_config is required to build psycopg2 from source.
#7 3.410 note: This error originates from a subprocess, and is likely not a problem with pip.
#7 ERROR: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
------
ERROR: failed to solve: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
"""


def test_the_failing_step_and_its_own_lines():
    cause, hint = explain(OUTPUT)
    assert cause.startswith("RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt failed")
    assert "Error: pg_config executable not found." in cause
    assert "useradd" not in cause and "#8" not in cause  # the other step's lines are not this step's
    assert hint is not None and "psycopg2-binary" in hint


@pytest.mark.parametrize(("line", "needle"), [
    ("fatal error: lber.h: No such file or directory", "python-ldap"),
    ("/bin/sh: 1: mysql_config: not found", "mysqlclient"),
    ("ERROR: No matching distribution found for numpy==1.19.0", "no versions that fit"),
    ("error: command 'gcc' failed: No such file or directory", "compiler"),
    ("RuntimeError: Unsupported compiler -- at least C++11 support is needed!", "--apt-build g++"),
    ('ERROR: failed to solve: python:3.10-slim: failed to resolve source metadata for docker.io/library/python:3.10-slim',
     "no such base image"),
    # Muthukamalan/MLOps: torch from PyTorch's own index, which the build cannot reach
    ("  cause: Failed to fetch: https://download.pytorch.org/whl/cpu/uvicorn/", "could not reach a package index"),
    ("WARNING: Retrying ... Failed to establish a new connection: [Errno -3] Temporary failure in name resolution",
     "--network host"),
])
def test_hints_for_the_common_causes(line, needle):
    _, hint = explain(f"#5 [2/3] RUN pip install x\n#5 1.0 {line}\n#5 ERROR: process did not complete successfully: exit code: 1\n")
    assert hint is not None and needle in hint


def test_unknown_cause_has_no_made_up_hint():
    _, hint = explain("#5 [2/3] RUN make\n#5 1.0 something odd\n#5 ERROR: process did not complete successfully: exit code: 2\n")
    assert hint is None


def _build(project, dockerfile: str, requirements: str | None = None) -> subprocess.CompletedProcess[str]:
    """`quayside build` of a one-file app with the user's own Dockerfile."""
    project.mkdir()
    (project / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    if requirements is not None:
        (project / "requirements.txt").write_text(requirements)
    (project / "Dockerfile").write_text(dockerfile)
    return subprocess.run([sys.executable, "-m", "quayside", "build", str(project), "-t", f"quayside-test/{project.name}:1"],
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.docker
def test_live_psycopg2_from_source_shows_pg_config_and_the_fix(tmp_path):
    """The user's own Dockerfile (init would add libpq-dev: tests/test_live_system_libs.py) on a slim image."""
    proc = _build(tmp_path / "needs-libpq", "FROM python:3.12-slim\nWORKDIR /code\nCOPY requirements.txt .\n"
                  "RUN pip install --no-cache-dir -r requirements.txt\nCOPY main.py .\nCMD [\"fastapi\", \"run\", \"main.py\"]\n",
                  requirements="fastapi[standard]>=0.115\npsycopg2==2.9.10\n")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pg_config" in proc.stderr
    assert "psycopg2-binary" in proc.stderr and "--apt-build libpq-dev" in proc.stderr  # the hint
    assert "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("error:")] == proc.stderr.splitlines()[:1]


@pytest.mark.parametrize(("dockerfile", "needed"), [
    ("FROM python:3.12-slim\n", ["python:3.12-slim"]),
    ("ARG PY=3.13\nFROM python:${PY}-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\n"
     "FROM builder AS project\nFROM python:${PY}-slim\nCOPY --from=project /code /code\nCOPY --from=0 /x /x\n",
     ["python:3.13-slim", "ghcr.io/astral-sh/uv:0.5"]),
    ("FROM scratch\nCOPY --from=Builder /a /a\nFROM python:3.12 AS builder\n", ["python:3.12"]),
    ("FROM $UNSET_BASE\n", []),
], ids=["one", "stages-args-copy-from", "scratch-and-case", "unresolved"])
def test_the_images_a_build_needs(dockerfile, needed):
    from quayside.build import needed_images

    assert needed_images(dockerfile) == needed


def test_a_base_image_the_engine_cannot_get_is_named_before_building(monkeypatch):
    """Unit side of the live test below: the engine lacks the image, the pull fails, and the hint lists the
    Pythons it holds with the same variant; an image it holds is not pulled."""
    from quayside import build
    from quayside.errors import DockerError, ImageNotFound

    pulled: list[str] = []

    def pull(ref: str) -> None:
        pulled.append(ref)
        raise DockerError(["docker", "pull", ref], 1, "Error response from daemon: manifest for python:3.9-slim not found")

    monkeypatch.setattr(build.docker, "has_image", lambda ref: ref == "ghcr.io/astral-sh/uv:0.5")
    monkeypatch.setattr(build.docker, "pull", pull)
    monkeypatch.setattr(build.docker, "image_tags", lambda repo: ["3.11-slim", "3.12", "3.12-slim", "3.13.1-slim", "latest"])
    with pytest.raises(ImageNotFound) as caught:
        build.ensure_images("FROM python:3.9-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\n")
    assert pulled == ["python:3.9-slim"]
    assert "the engine has no python:3.9-slim and cannot pull it (Error response from daemon: manifest" in str(caught.value)
    assert caught.value.hint is not None and "(3.11, 3.12, 3.13)" in caught.value.hint and "--python 3.13" in caught.value.hint
    assert caught.value.exit_code == 3


@pytest.mark.docker
def test_live_a_missing_base_image_is_reported_before_any_step(tmp_path):
    """python:3.0-slim exists in no registry, so the pull fails everywhere (here: no registry at all)."""
    proc = _build(tmp_path / "old-python", "FROM python:3.0-slim\nCOPY main.py .\nCMD [\"fastapi\", \"run\", \"main.py\"]\n")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "the engine has no python:3.0-slim and cannot pull it" in proc.stderr
    assert "--python 3." in proc.stderr  # the lab holds python:3.1x-slim images
    assert "#1 " not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr  # BuildKit never started


@pytest.mark.docker
def test_live_up_names_a_service_image_the_engine_cannot_get(tmp_path):
    project = tmp_path / "stack"
    project.mkdir()
    (project / "compose.yaml").write_text("services:\n  db:\n    image: postgres:1.0-no-such-tag\n")
    proc = subprocess.run([sys.executable, "-m", "quayside", "up", str(project)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "the engine has no postgres:1.0-no-such-tag and cannot pull it" in proc.stderr
    assert "postgres:17" in proc.stderr or "postgres:15" in proc.stderr  # the tags the engine holds
    assert "Traceback" not in proc.stderr
    containers = subprocess.run(["docker", "ps", "-a", "--filter", "label=com.docker.compose.project=stack", "-q"],
                                capture_output=True, text=True, timeout=60, check=False).stdout
    assert containers.strip() == ""  # nothing was started


@pytest.mark.docker
def test_live_an_index_the_build_cannot_reach_is_named(tmp_path):
    """requirements.txt names an extra index the build cannot reach (loopback of the build's own container,
    where nothing listens): the failing step's lines and the hint say so."""
    project = tmp_path / "unreachable-index"
    project.mkdir()
    (project / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (project / "requirements.txt").write_text("--extra-index-url http://127.0.0.1:9/simple\nfastapi[standard]\n")
    assert subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, timeout=120, check=False).returncode == 0
    proc = subprocess.run([sys.executable, "-m", "quayside", "build", str(project), "-t", "quayside-test/unreachable-index:1"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode != 0
    assert "127.0.0.1:9" in proc.stderr and "could not reach a package index" in proc.stderr, proc.stderr


@pytest.mark.parametrize(("requirements", "named"), [
    # hectoresen/FastAPI_example: an Ubuntu system Python's pip freeze
    ("awscli==1.22.34\ncommand-not-found==0.3\ndistro-info==1.1+ubuntu0.2\nfastapi==0.115.2\nrsa==4.8\n",
     "command-not-found==0.3, distro-info==1.1+ubuntu0.2"),
    ("fastapi==0.115.2\npython-apt==2.4.0+ubuntu4\n", "python-apt==2.4.0+ubuntu4"),
    ("fastapi==0.115.2\nuvicorn==0.30.0\n", None),  # an ordinary freeze
    ("fastapi\ndistro-info\n", None),  # a name without a pin is a choice, not a freeze
])
def test_a_system_python_freeze_is_named(tmp_path, requirements, named):
    from quayside.buildfailure import system_freeze_hint

    (tmp_path / "requirements.txt").write_text(requirements)
    hint = system_freeze_hint(tmp_path)
    assert (hint is None) if named is None else (hint is not None and f"({named})" in hint and "pip freeze" in hint)


def test_a_system_python_freeze_saved_as_utf16_is_read(tmp_path):
    import codecs

    from quayside.buildfailure import system_freeze_hint

    (tmp_path / "requirements.txt").write_bytes(codecs.BOM_UTF16_LE + "command-not-found==0.3\r\n".encode("utf-16-le"))
    assert system_freeze_hint(tmp_path) is not None
    assert system_freeze_hint(tmp_path / "nowhere") is None
