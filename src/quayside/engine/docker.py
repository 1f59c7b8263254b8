"""docker through the one runner. The Docker SDK for Python cannot drive BuildKit, so quayside uses the CLI (as
python-on-whales does): failures become DockerError with the command, exit code and stderr; a missing CLI, engine
or plugin becomes EngineUnavailable, a missing image ImageNotFound, each with what to do about it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, NoReturn

from quayside.engine import runner
from quayside.engine.runner import Result
from quayside.errors import DockerError, EngineUnavailable, ImageNotFound

__all__ = ["Result", "engine_version", "has_image", "image_tags", "inspect_container", "inspect_image", "pull", "require_buildx",
           "run", "stream"]

_ENGINE_DOWN_MARKERS = (
    "Cannot connect to the Docker daemon",
    "Is the docker daemon running",
    "error during connect",
    "permission denied while trying to connect",
)
_NO_IMAGE_MARKERS = ("No such image", "No such object")


def _missing() -> NoReturn:
    raise EngineUnavailable("the docker CLI is not installed",
                            hint="install Docker (the engine and its CLI), or put `docker` on PATH")


def _fail(command: list[str], returncode: int, stderr: str) -> NoReturn:
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


def _timed_out(command: list[str], timeout: float, stderr: str) -> NoReturn:
    raise DockerError(command, -1, f"timed out after {timeout:g}s\n{stderr}")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DOCKER_BUILDKIT", "1")
    env.setdefault("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
    return env


DOCKER = runner.Program("docker", _missing, _fail, _timed_out, _env)


def run(args: list[str], *, timeout: float = 120, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> Result:
    return runner.run(DOCKER, args, timeout=timeout, check=check, input=input, env=env)


def stream(args: list[str], on_line: Callable[[str], None], *, timeout: float = 3600) -> Result:
    return runner.stream(DOCKER, args, on_line, timeout=timeout)


def engine_version() -> str:
    """Raises EngineUnavailable when no engine answers; returns the server version."""
    result = run(["version", "--format", "{{.Server.Version}}"], timeout=20, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        _fail(result.command, result.returncode or 1, result.stderr or "Cannot connect to the Docker daemon")
    return result.stdout.strip()


def require_buildx() -> str:
    result = run(["buildx", "version"], timeout=20, check=False)
    if result.returncode != 0:
        _fail(result.command, result.returncode, result.stderr or "'buildx' is not a docker command")
    return result.stdout.strip()


def inspect_image(ref: str) -> dict[str, Any]:
    result = run(["image", "inspect", ref], timeout=30, check=False)
    if result.returncode != 0:
        if any(marker in result.stderr for marker in _NO_IMAGE_MARKERS):
            raise ImageNotFound(f"no image {ref} in the engine", hint="build it first (`quayside build`) or check the name")
        _fail(result.command, result.returncode, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)[0]
    return data


def has_image(ref: str) -> bool:
    """Whether the engine holds this image now (no pull)."""
    result = run(["image", "inspect", "--format", "{{.Id}}", ref], timeout=30, check=False)
    if result.returncode == 0:
        return True
    if any(marker in result.stderr for marker in _NO_IMAGE_MARKERS):
        return False
    _fail(result.command, result.returncode, result.stderr)


def pull(ref: str, *, timeout: float = 900) -> None:
    """Pull through the engine (its registry mirrors and credentials apply); DockerError when it cannot."""
    run(["pull", "--quiet", ref], timeout=timeout)


def image_tags(repository: str) -> list[str]:
    """The tags the engine holds for a repository (`docker images REPO`)."""
    result = run(["images", repository, "--format", "{{.Tag}}"], timeout=30, check=False)
    return sorted({tag for tag in result.stdout.split() if tag and tag != "<none>"}) if result.returncode == 0 else []


def inspect_container(ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(["container", "inspect", ref], timeout=30).stdout)[0]
    return data
