"""`up` and `down`: docker compose through the one docker module."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quayside.engine import docker
from quayside.errors import ComposeUpFailed, DockerError, UserInputError
from quayside.targets.compose.envfile import env_file_args

# quayside's own file beside a project's compose file comes first: `up` never runs the project's by mistake
COMPOSE_FILES = ("compose.quayside.yaml", "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
LOG_LINES = 30


@dataclass
class ServiceState:
    name: str
    state: str  # running, exited, ...
    health: str  # healthy, unhealthy, starting, "" when no health check
    exit_code: int
    urls: list[str] = field(default_factory=list)


def compose_file(root: Path) -> Path:
    for name in COMPOSE_FILES:
        if (root / name).is_file():
            return root / name
    raise UserInputError(f"no compose file in {root}", path=root, hint="run `quayside init --target compose` first")


def _base(root: Path, project: str | None) -> list[str]:
    args = ["compose", "-f", str(compose_file(root)), "--project-directory", str(root), *env_file_args(root)]
    return args + (["-p", project] if project else [])


def services(root: Path, project: str | None = None) -> list[ServiceState]:
    out = docker.run([*_base(root, project), "ps", "--all", "--format", "json"], timeout=60).stdout
    rows = []
    text = out.strip()
    items = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
    for item in items:
        urls = []
        for pub in item.get("Publishers") or []:
            if pub.get("PublishedPort"):
                host = pub.get("URL") or "127.0.0.1"
                host = "127.0.0.1" if host in ("0.0.0.0", "") else host
                if ":" not in host:  # IPv6 publishers repeat the same port
                    urls.append(f"http://{host}:{pub['PublishedPort']}")
        rows.append(ServiceState(item.get("Service", ""), item.get("State", ""), item.get("Health", ""), int(item.get("ExitCode") or 0), sorted(set(urls))))
    return sorted(rows, key=lambda r: r.name)


def logs(root: Path, service: str, project: str | None = None, lines: int = LOG_LINES) -> str:
    result = docker.run([*_base(root, project), "logs", "--no-color", "--tail", str(lines), service], timeout=60, check=False)
    return (result.stdout + result.stderr).strip()


def ensure_stack_images(root: Path, project: str | None = None) -> None:
    """Every image the stack needs, named before `up` if the engine cannot get one: services' `image:`, and the
    bases of the Dockerfiles they build."""
    from quayside.build import ensure_images

    config = json.loads(docker.run([*_base(root, project), "config", "--format", "json"], timeout=60).stdout)
    texts = []
    for service in (config.get("services") or {}).values():
        build = service.get("build")
        if build:
            dockerfile = Path(build.get("context") or root) / (build.get("dockerfile") or "Dockerfile")
            if dockerfile.is_file():
                texts.append(dockerfile.read_text(encoding="utf-8", errors="replace"))
        elif service.get("image"):
            texts.append(f"FROM {service['image']}\n")
    for text in texts:
        ensure_images(text)


def up(root: Path, project: str | None = None, *, on_line: Callable[[str], None] | None = None, wait_timeout: int = 180) -> list[ServiceState]:
    docker.engine_version()
    ensure_stack_images(root, project)
    try:
        docker.stream([*_base(root, project), "up", "--detach", "--build", "--wait", "--wait-timeout", str(wait_timeout)],
                      on_line or (lambda _line: None), timeout=wait_timeout + 900)
    except DockerError as exc:
        if taken := _port_taken(exc.stderr):
            raise ComposeUpFailed(taken[0], hint=taken[1]) from None
        states = services(root, project)
        failing = [s for s in states if s.health == "unhealthy" or (s.state != "running" and s.exit_code != 0)
                   or (s.state not in ("running", "exited"))]
        parts = [f"`docker compose up` failed (exit {exc.returncode})"]
        for s in failing or states:
            parts.append(f"--- {s.name}: {s.state}{' (' + s.health + ')' if s.health else ''}, exit {s.exit_code}; last log lines:\n{logs(root, s.name, project)}")
        raise ComposeUpFailed("\n".join(parts), hint="fix the failing service, then `quayside up` again; `quayside down` stops the rest") from None
    return services(root, project)


_TAKEN = re.compile(r"(?:endpoint\s+(?P<container>[\w.-]+)\s.*?)?(?:Bind for\s+|listen tcp4?\s+)?"
                    r"(?P<bind>[\d.:\[\]a-f]*?:(?P<port>\d+))[^\n]*?(?:port is already allocated|address already in use)", re.S)


def _port_taken(stderr: str) -> tuple[str, str] | None:
    """The engine's "port is already allocated" as the service, the port and the setting that moves it."""
    m = _TAKEN.search(stderr)
    if m is None:
        return None
    container = m["container"] or ""
    service = re.sub(r"-\d+$", "", str(container)).rsplit("-", 1)[-1] if container else "a service"
    setting = "HTTP_PORT or HTTPS_PORT" if service == "proxy" else "APP_PORT (empty: a free port)"
    bind = str(m["bind"]).rsplit(":", 1)[0] or "the host"
    return (f"port {m['port']} on {bind} is already taken: {service} cannot publish on it",
            f"stop what listens there, or set {setting} in .env, then `quayside up` again")


def down(root: Path, project: str | None = None, *, volumes: bool = False) -> None:
    docker.engine_version()
    docker.run([*_base(root, project), "down", "--remove-orphans", *(["--volumes"] if volumes else [])], timeout=300)
