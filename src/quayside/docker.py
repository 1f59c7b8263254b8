"""The one place that runs the docker CLI. Every call goes through `run` or `stream`.

The Docker SDK for Python cannot drive BuildKit, so quayside uses the CLI (as python-on-whales does):
failures become DockerError carrying the command, exit code and stderr; a missing CLI, engine or
plugin becomes EngineUnavailable with what to do about it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from quayside.errors import DockerError, EngineUnavailable

_ENGINE_DOWN_MARKERS = (
    "Cannot connect to the Docker daemon",
    "Is the docker daemon running",
    "error during connect",
    "permission denied while trying to connect",
)


@dataclass(frozen=True)
class Result:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str


def docker_binary() -> str:
    found = shutil.which("docker")
    if not found:
        raise EngineUnavailable(
            "the docker CLI is not installed",
            hint="install Docker (the engine and its CLI), or put `docker` on PATH",
        )
    return found


def _raise_for(command: list[str], returncode: int, stderr: str) -> None:
    if any(marker in stderr for marker in _ENGINE_DOWN_MARKERS):
        raise EngineUnavailable(
            f"no Docker engine answers ({stderr.strip().splitlines()[0] if stderr.strip() else 'no output'})",
            hint="start the engine (e.g. `sudo systemctl start docker`), or set DOCKER_HOST to one that runs",
        )
    if "is not a docker command" in stderr and len(command) > 1 and command[1] == "buildx":
        raise EngineUnavailable(
            "the docker buildx plugin is missing: quayside builds with BuildKit through buildx",
            hint="install the docker-buildx plugin (package docker-buildx or docker-buildx-plugin)",
        )
    raise DockerError(command, returncode, stderr)


def run(args: list[str], *, timeout: float = 120, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> Result:
    command = [docker_binary(), *args]
    shown = ["docker", *args]
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, input=input,
            env={**_env(), **(env or {})}, stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise DockerError(shown, -1, f"timed out after {timeout:g}s\n{exc.stderr or ''}") from None
    if check and proc.returncode != 0:
        _raise_for(shown, proc.returncode, proc.stderr)
    return Result(shown, proc.returncode, proc.stdout, proc.stderr)


def stream(args: list[str], on_line: Callable[[str], None], *, timeout: float = 3600) -> Result:
    """Run a long command (a build), handing each output line (stdout and stderr merged) to on_line."""
    command = [docker_binary(), *args]
    shown = ["docker", *args]
    lines: list[str] = []
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, bufsize=1, env=_env(),
    )
    assert proc.stdout is not None
    try:
        for line in _lines(proc.stdout):
            lines.append(line)
            on_line(line)
        returncode = proc.wait(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    output = "\n".join(lines)
    if returncode != 0:
        _raise_for(shown, returncode, output)
    return Result(shown, returncode, output, output)


def _lines(handle: Any) -> Iterator[str]:
    for raw in handle:
        yield raw.rstrip("\n")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DOCKER_BUILDKIT", "1")
    env.setdefault("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
    return env


def engine_version() -> str:
    """Raises EngineUnavailable when no engine answers; returns the server version."""
    result = run(["version", "--format", "{{.Server.Version}}"], timeout=20, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        _raise_for(result.command, result.returncode or 1, result.stderr or "Cannot connect to the Docker daemon")
    return result.stdout.strip()


def require_buildx() -> str:
    result = run(["buildx", "version"], timeout=20, check=False)
    if result.returncode != 0:
        _raise_for(result.command, result.returncode, result.stderr or "'buildx' is not a docker command")
    return result.stdout.strip()


def inspect_image(ref: str) -> dict[str, Any]:
    result = run(["image", "inspect", ref], timeout=30, check=False)
    if result.returncode != 0:
        if "No such image" in result.stderr or "No such object" in result.stderr:
            raise EngineUnavailable(f"no image {ref} in the engine", hint="build it first (`quayside build`) or check the name")
        _raise_for(result.command, result.returncode, result.stderr)
    return json.loads(result.stdout)[0]


def inspect_container(ref: str) -> dict[str, Any]:
    return json.loads(run(["container", "inspect", ref], timeout=30).stdout)[0]
