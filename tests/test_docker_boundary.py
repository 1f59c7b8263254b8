"""The docker choke point, with a fake `docker` binary: errors carry command, exit code and stderr."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from quayside.build import _ProgressParser
from quayside.engine import docker
from quayside.errors import DockerError, EngineUnavailable, ImageNotFound, UserInputError
from quayside.verify import Expectation, port_from_image, style_of_dockerfile


def _fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")


def test_no_cli(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EngineUnavailable, match="docker CLI is not installed"):
        docker.engine_version()


def test_engine_down(tmp_path, monkeypatch):
    _fake_docker(tmp_path, monkeypatch, 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1\n')
    with pytest.raises(EngineUnavailable) as caught:
        docker.engine_version()
    assert "no Docker engine answers" in caught.value.message and "DOCKER_HOST" in caught.value.hint


def test_buildx_missing(tmp_path, monkeypatch):
    _fake_docker(tmp_path, monkeypatch, 'if [ "$1" = buildx ]; then echo "docker: \'buildx\' is not a docker command." >&2; exit 1; fi\necho 26.1.5\n')
    assert docker.engine_version() == "26.1.5"
    with pytest.raises(EngineUnavailable, match="buildx plugin is missing"):
        docker.require_buildx()


def test_failure_carries_command_code_and_stderr(tmp_path, monkeypatch):
    _fake_docker(tmp_path, monkeypatch, 'echo "boom: disk full" >&2; exit 17\n')
    with pytest.raises(DockerError) as caught:
        docker.run(["image", "ls"])
    assert caught.value.command == ["docker", "image", "ls"]
    assert caught.value.returncode == 17 and "boom: disk full" in caught.value.stderr
    assert "exit code 17" in str(caught.value)


def test_stream_hands_over_each_line(tmp_path, monkeypatch):
    _fake_docker(tmp_path, monkeypatch, 'echo one; echo two >&2; echo three\n')
    seen: list[str] = []
    result = docker.stream(["build"], seen.append)
    assert seen == ["one", "two", "three"] and result.returncode == 0


def test_missing_image_is_explained(tmp_path, monkeypatch):
    _fake_docker(tmp_path, monkeypatch, 'echo "Error: No such image: nope:latest" >&2; exit 1\n')
    with pytest.raises(ImageNotFound, match="no image nope:latest"):
        docker.inspect_image("nope:latest")


BUILDKIT_LINES = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#4 [builder 1/4] FROM docker.io/library/python:3.12-slim
#4 CACHED
#9 [builder 4/4] RUN --mount=type=cache,target=/root/.cache/pip     --mount=type=bind,source=requirements.txt,target=requirements.txt     pip install --upgrade -r requirements.txt
#9 CACHED
#12 [stage-1 5/5] COPY ./app /code/app
#12 DONE 0.1s
#13 exporting to image
#13 DONE 0.2s
""".splitlines()


def test_progress_parser():
    events: list[tuple[int, str]] = []
    parser = _ProgressParser(lambda step, event: events.append((step.id, event)))
    for line in BUILDKIT_LINES:
        parser.feed(line)
    steps = parser.steps
    assert sorted(steps) == [4, 9, 12]  # internal and exporting lines are not steps
    assert steps[9].installs_dependencies and steps[9].cached and steps[9].stage == "builder"
    assert not steps[12].cached and steps[12].seconds == 0.1
    assert (12, "done") in events and (9, "cached") in events


@pytest.mark.parametrize(
    ("name", "installs"),
    [
        ("RUN pip install --no-cache-dir --upgrade -r /code/requirements.txt", True),
        ("RUN --mount=type=cache,target=/root/.cache/pip     pip --python /opt/venv/bin/python install -r requirements.txt", True),
        ("RUN --mount=type=cache,target=/root/.cache/uv     uv sync --locked --no-install-project --no-dev", True),
        ("RUN uv venv /opt/venv && uv pip install --python /opt/venv/bin/python -r requirements.txt", True),
        ("RUN poetry install --only main --no-root", True),
        ("RUN pdm export --prod -o /tmp/r.txt && pip install -r /tmp/r.txt", True),
        ("RUN python -m venv --without-pip /opt/venv", False),
        ("RUN groupadd --system app && useradd --system app", False),
        ("COPY ./requirements.txt /code/requirements.txt", False),
    ],
)
def test_dependency_step_detection(name, installs):
    from quayside.build import Step

    assert Step(1, None, 1, 1, name).installs_dependencies is installs


@pytest.mark.parametrize(
    ("text", "path", "body"),
    [
        ('/items/5?q=test={"item_id":5,"q":"test"}', "/items/5?q=test", {"item_id": 5, "q": "test"}),
        ('/={"Hello":"World"}', "/", {"Hello": "World"}),
        ("/a?x=1&y=2=[1,2]", "/a?x=1&y=2", [1, 2]),
    ],
)
def test_expectation_parse(text, path, body):
    parsed = Expectation.parse(text)
    assert (parsed.path, parsed.body) == (path, body)


@pytest.mark.parametrize("text", ["items=1", "/items", "/items={nope"])
def test_expectation_rejects(text):
    with pytest.raises(UserInputError):
        Expectation.parse(text)


@pytest.mark.parametrize(
    ("config", "port"),
    [
        ({"ExposedPorts": {"8000/tcp": {}}}, 8000),
        ({"Cmd": ["fastapi", "run", "app/main.py", "--port", "80"]}, 80),
        ({"Cmd": ["uvicorn", "main:app", "--port=8080"]}, 8080),
        ({"Cmd": ["python", "-m", "app"]}, None),
    ],
)
def test_port_from_image(config, port):
    assert port_from_image(config) == port


def test_style_header(tmp_path):
    (tmp_path / "Dockerfile").write_text("# Generated by quayside (style: guide): ...\nFROM python:3.12\n")
    assert style_of_dockerfile(tmp_path / "Dockerfile") == "guide"
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    assert style_of_dockerfile(tmp_path / "Dockerfile") is None


def test_debug_traces_every_command_with_its_exit_code(tmp_path, monkeypatch):
    """--debug (or QUAYSIDE_DEBUG=1) shows what the engine runs; without it nothing is printed."""
    from typer.testing import CliRunner

    from quayside.cli import app

    _fake_docker(tmp_path, monkeypatch, 'echo "Cannot connect to the Docker daemon" >&2; exit 1\n')
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    quiet = CliRunner().invoke(app, ["build", str(tmp_path)])
    assert quiet.exit_code == 3
    assert "debug:" not in quiet.output
    traced = CliRunner().invoke(app, ["--debug", "build", str(tmp_path)])
    assert traced.exit_code == 3
    assert "debug: $ docker version --format {{.Server.Version}}" in traced.output
    assert "debug:   exit 1 in" in traced.output


def test_kubectl_errors_are_not_docker_errors():
    from quayside.errors import CommandFailed, KubectlError

    assert issubclass(KubectlError, CommandFailed)
    assert not issubclass(KubectlError, DockerError)
