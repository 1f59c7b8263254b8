"""`deploy swarm`: build, create missing secrets, `docker stack deploy`, and wait until the stack has converged.

Convergence is read from swarm itself: every replicated service runs its desired number of tasks (a task with
a health check only counts as running once healthy), no update is in progress, and every job has completed.
A rollback, a paused update or the timeout is a failure that carries the failing tasks' errors and logs.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from quayside.build import BuildResult, build_image
from quayside.engine import docker
from quayside.errors import DeployFailed, DockerError, UserInputError

STACK_NAMES = ("stack.yaml", "stack.yml", "docker-stack.yaml", "docker-stack.yml")
STACK_LABEL = "com.docker.stack.namespace"
LOG_LINES = 30
FAILED_UPDATE_STATES = ("rollback_started", "rollback_completed", "rollback_paused", "paused")
_REPLICAS = re.compile(r"^(\d+)/(\d+)(?: \((\d+)/(\d+) completed\))?")


@dataclass
class ServiceStatus:
    name: str
    mode: str  # replicated, global, replicated job, global job
    running: int
    desired: int
    completed: int | None  # jobs only
    update: str  # "" when no update has run, else swarm's UpdateStatus.State
    image: str
    update_started: str = ""

    @property
    def is_job(self) -> bool:
        return "job" in self.mode

    @property
    def converged(self) -> bool:
        if self.update in FAILED_UPDATE_STATES or self.update == "updating":
            return False
        if self.is_job:
            return self.completed is not None and self.completed >= self.desired
        return self.running == self.desired


def stack_file(root: Path) -> Path:
    for name in STACK_NAMES:
        if (root / name).is_file():
            return root / name
    raise UserInputError(f"no stack file in {root}", path=root, hint="run `quayside init --target swarm` first")


def default_stack_name(root: Path) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", root.resolve().name.lower()).strip("-_") or "app"


def _read_stack(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise UserInputError(f"cannot read {path.name}: {exc}", path=path, hint="`quayside check` shows where") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict) or not data["services"]:
        raise UserInputError(f"{path.name} has no services", path=path)
    return data


def require_manager() -> None:
    info = json.loads(docker.run(["info", "--format", "{{json .Swarm}}"], timeout=30).stdout or "{}")
    if info.get("LocalNodeState") != "active":
        raise UserInputError("this Docker engine is not part of a swarm",
                             hint="`docker swarm init` makes it a one-node swarm (add --advertise-addr on a multi-homed host)")
    if not info.get("ControlAvailable"):
        raise UserInputError("this engine is a swarm worker: stacks are deployed from a manager",
                             hint="run quayside on a manager node, or point DOCKER_HOST at one")


def ensure_secrets(data: dict[str, Any], stack: str) -> list[str]:
    """Create the stack's missing external secrets from the x-quayside recipes; returns the names created.
    Values never leave this process except into `docker secret create` on stdin."""
    declared = {str(spec.get("name") or key) for key, spec in (data.get("secrets") or {}).items()
                if isinstance(spec, dict) and spec.get("external")}
    recipes = ((data.get("x-quayside") or {}).get("secrets") or {})
    existing = set(docker.run(["secret", "ls", "--format", "{{.Name}}"], timeout=30).stdout.split())
    missing = sorted(declared - existing)
    if not missing:
        return []
    unknown = [name for name in missing if name not in recipes]
    if unknown:
        raise UserInputError(f"missing swarm secrets: {', '.join(unknown)} (no x-quayside recipe to create them)",
                             hint="create them with `printf %s VALUE | docker secret create NAME -`")
    ref = re.compile(r"\{([A-Za-z0-9_.-]+)\}")
    # swarm cannot read a secret back: a secret and the ones built from it are created together or not at all
    for name, recipe in recipes.items():
        for source in ref.findall(str((recipe or {}).get("template", ""))):
            if (str(name) in missing) != (source in missing):
                have, lack = (source, name) if str(name) in missing else (name, source)
                raise UserInputError(f"secret {have} exists but {lack} is missing, and {name} is built from {source}",
                                     hint=f"remove {have} (`docker secret rm {have}`) to have both created again, or create {lack} yourself")
    values: dict[str, str] = {}
    # generated values first, then the templates built from them: the order in the file does not matter
    for name, recipe in recipes.items():
        recipe = recipe or {}
        if str(name) in missing and "generate" in recipe:
            values[str(name)] = secrets.token_urlsafe(24)
        elif "generate" not in recipe and "template" not in recipe:
            raise UserInputError(f"x-quayside recipe for secret {name} has neither generate nor template")
    for name, recipe in recipes.items():
        name, recipe = str(name), recipe or {}
        if name in missing and "template" in recipe:
            unknown_refs = [n for n in ref.findall(str(recipe["template"])) if n not in values]
            if unknown_refs:
                raise UserInputError(f"x-quayside recipe for secret {name} uses {unknown_refs[0]}, which no recipe generates")
            values[name] = ref.sub(lambda m: values[m.group(1)], str(recipe["template"]))
    plan = [(name, values[name]) for name in sorted(values, key=lambda n: "template" in (recipes.get(n) or {}))]
    for name, value in plan:
        docker.run(["secret", "create", "--label", f"{STACK_LABEL}={stack}", name, "-"], input=value, timeout=30)
    return [name for name, _ in plan]


def statuses(stack: str) -> list[ServiceStatus]:
    listed = docker.run(["service", "ls", "--filter", f"label={STACK_LABEL}={stack}", "--format", "{{json .}}"], timeout=30).stdout
    rows = [json.loads(line) for line in listed.splitlines() if line.strip()]
    if not rows:
        return []
    inspected = json.loads(docker.run(["service", "inspect", *[r["ID"] for r in rows]], timeout=30).stdout)
    updates = {s["Spec"]["Name"]: s.get("UpdateStatus") or {} for s in inspected}
    # running = tasks swarm wants running that run the service's current image (a task with a health check
    # only reaches Running once healthy); during a start-first update old and new tasks both run
    tasks_out = docker.run(["stack", "ps", stack, "--filter", "desired-state=running", "--format", "{{json .}}"],
                           timeout=30, check=False).stdout
    tasks = [json.loads(line) for line in tasks_out.splitlines() if line.strip()]
    out = []
    for row in rows:
        match = _REPLICAS.match(row.get("Replicas", ""))
        desired = int(match.group(2)) if match else 0
        completed = int(match.group(3)) if match and match.group(3) else None
        if match and completed is not None:
            desired = int(match.group(4))
        running = sum(1 for t in tasks if t.get("Name", "").startswith(row["Name"] + ".")
                      and t.get("CurrentState", "").startswith("Running") and t.get("Image") == row.get("Image"))
        update = updates.get(row["Name"], {})
        out.append(ServiceStatus(row["Name"], row.get("Mode", ""), running, desired, completed, update.get("State") or "",
                                 row.get("Image", ""), update.get("StartedAt") or ""))
    return sorted(out, key=lambda s: s.name)


def _failure_report(stack: str, failing: list[ServiceStatus]) -> str:
    parts = []
    for status in failing:
        tasks = docker.run(["service", "ps", "--no-trunc", "--format", "{{json .}}", status.name], timeout=30, check=False).stdout
        errors = sorted({t.get("Error", "") for t in (json.loads(line) for line in tasks.splitlines() if line.strip()) if t.get("Error")})
        logs = docker.run(["service", "logs", "--no-task-ids", "--tail", str(LOG_LINES), status.name], timeout=30, check=False)
        parts.append(f"--- {status.name}: {status.running}/{status.desired} running"
                     f"{', update ' + status.update if status.update else ''}"
                     + "".join(f"\n  task error: {e}" for e in errors[:5])
                     + f"\n  last log lines:\n{(logs.stdout + logs.stderr).strip()}")
    return "\n".join(parts)


def wait_converged(stack: str, *, timeout: float, on_change: Callable[[list[ServiceStatus]], None] | None = None,
                   settle: float = 2.0, baseline: list[ServiceStatus] | None = None) -> list[ServiceStatus]:
    """Poll swarm until every service of the stack has converged (and stayed so for `settle` seconds).
    An update status already there before this deploy (the `baseline`) is history, not this deploy's."""
    deadline = time.monotonic() + timeout
    converged_since: float | None = None
    last: list[ServiceStatus] = []
    old = {(s.name, s.update, s.update_started) for s in baseline or [] if s.update}
    while True:
        current = statuses(stack)
        for s in current:
            if (s.name, s.update, s.update_started) in old:
                s.update = ""
        if on_change and [vars(s) for s in current] != [vars(s) for s in last]:
            on_change(current)
        last = current
        failed = [s for s in current if s.update in FAILED_UPDATE_STATES]
        if failed and all(s.update != "rollback_started" for s in failed):  # report once the old version is back
            raise DeployFailed(f"swarm rolled back the update of {', '.join(s.name for s in failed)}\n{_failure_report(stack, failed)}",
                               hint="fix the new version (its tasks' errors and logs are above); the previous one is serving")
        if current and all(s.converged for s in current):
            converged_since = converged_since or time.monotonic()
            if time.monotonic() - converged_since >= settle:
                return current
        else:
            converged_since = None
        if time.monotonic() > deadline:
            pending = [s for s in current if not s.converged] or current
            raise DeployFailed(f"stack {stack} did not converge within {timeout:g}s\n{_failure_report(stack, pending)}",
                               hint="the tasks' errors and logs are above; `docker stack ps " + stack + " --no-trunc` shows every task")
        time.sleep(1)


def deploy(root: Path, *, stack: str, image: str, timeout: float, resolve_image: str = "never",
           on_change: Callable[[list[ServiceStatus]], None] | None = None) -> tuple[list[ServiceStatus], list[str]]:
    """Deploy stack.yaml with APP_IMAGE=image; returns the converged services and the secrets created."""
    path = stack_file(root)
    data = _read_stack(path)
    docker.engine_version()
    require_manager()
    env = {"APP_IMAGE": image, "STACK_NAME": stack}
    try:
        docker.run(["stack", "config", "-c", str(path)], env=env, timeout=60)
    except DockerError as exc:
        raise UserInputError(f"{path.name} is not a valid stack file: {exc.stderr.strip()}", path=path) from None
    created = ensure_secrets(data, stack)
    baseline = statuses(stack)
    try:
        docker.run(["stack", "deploy", "--detach=true", "--resolve-image", resolve_image, "--with-registry-auth",
                    "-c", str(path), stack], env=env, timeout=300)
    except DockerError as exc:
        raise DeployFailed(f"`docker stack deploy` failed (exit {exc.returncode}): {exc.stderr.strip()}") from None
    return wait_converged(stack, timeout=timeout, on_change=on_change, baseline=baseline), created


def remove(stack: str, *, timeout: float = 120) -> bool:
    """`docker stack rm` and wait until its services and networks are gone (volumes and secrets stay)."""
    docker.engine_version()
    if not statuses(stack):
        return False
    docker.run(["stack", "rm", stack], timeout=120)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services = docker.run(["service", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}"], timeout=30).stdout.strip()
        networks = docker.run(["network", "ls", "-q", "--filter", f"label={STACK_LABEL}={stack}"], timeout=30).stdout.strip()
        if not services and not networks:
            return True
        time.sleep(1)
    raise DeployFailed(f"stack {stack} was removed but its services or networks were still there after {timeout:g}s")


@dataclass
class StackDeployment:
    image: str
    services: list[ServiceStatus]
    created_secrets: list[str]


def deploy_project(root: Path, *, stack: str, image: str | None, timeout: float,
                   build: Callable[..., BuildResult] = build_image,
                   on_start: Callable[[str], None] | None = None,
                   on_change: Callable[[list[ServiceStatus]], None] | None = None) -> StackDeployment:
    """`quayside deploy swarm`: build the image unless one is given, tag it with its content (a change is a new
    version swarm rolls out), deploy, and wait for convergence."""
    stack_file(root)  # before a build: no stack file is a user error, not a build
    resolve = "always"
    if image is None:
        built = build(root, tag=f"{stack}:latest")
        image = f"{stack}:{built.image_id.split(':')[-1][:12]}"
        docker.run(["tag", built.image_id, image], timeout=30)
        resolve = "never"  # a local image: no registry to ask
    if on_start:
        on_start(image)
    services, created = deploy(root, stack=stack, image=image, timeout=timeout, resolve_image=resolve, on_change=on_change)
    return StackDeployment(image, services, created)
