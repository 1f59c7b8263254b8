"""`verify --compose`: bring up the project's compose services and prove the app service as `verify` proves a
lone container: healthy through its health route, non-root, the server as PID 1's child under init, smoke
requests and `--expect`, restarted after `kill -9`, graceful stop with a request in flight, lifespan shutdown.

It runs as a compose project of its own (`quayside-verify-…`): the user's running stack, its containers and its
volumes are never touched, and everything verify started (volumes too) is removed at the end. The probe that
answers the slow request is mounted from a volume through an override file; the app's settings given with
`--env` travel in the environment of the compose process, never in a file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from quayside.engine import docker
from quayside.errors import DockerError, UserInputError
from quayside.inspection import pythonbreaks
from quayside.targets.compose.envfile import env_file_args, env_file_name
from quayside.targets.compose.run import compose_file, ensure_stack_images
from quayside.verify.dbsession import database_url_settings, open_sessions
from quayside.verify.image import PROBE_DIR, SLOW_SECONDS, _http_get, fill_probe_volume, safe_get, shutdown_seen
from quayside.verify.report import VerifyOptions, VerifyReport
from quayside.verify.settings import (
    SECRET_NAME,
    aws_region_cause,
    fixed_address_cause,
    ignored_file_cause,
    mask,
    missing_module_cause,
    missing_service,
    missing_setting,
    multipart_cause,
    parse_env_file,
    read_only_code_cause,
    refused_setting,
    rows_only_cause,
    settings_file_cause,
    shadowing_cause,
    variable_of,
)

LOG_LINES = 15
# what the logs of a service that stopped say, and what it means
_REFUSED = re.compile(r"(?i)password authentication failed for user \"?([\w.-]+)|Access denied for user '([\w.-]+)'"
                      r"|WRONGPASS|NOAUTH Authentication required|invalid username-password pair")


class _Stack:
    def __init__(self, root: Path, options: VerifyOptions):
        self.root = root
        self.file = compose_file(root)
        self.project = f"quayside-verify-{uuid.uuid4().hex[:8]}"
        self.options = options
        self.volume = f"{self.project}-probe"
        self.override: Path | None = None
        data = YAML(typ="safe").load(self.file.read_text(encoding="utf-8")) or {}
        self.services: dict[str, Any] = data.get("services") or {}
        self.app = _app_service(self.services, self.file.name)
        spec = self.services[self.app]
        self.image = str(spec.get("image") or f"{self.project}-{self.app}")
        self.secrets = {**_env_secrets(root / env_file_name(root)), **options.env}  # masked in everything verify shows
        self.port = options.port or _container_port(spec) or 8000

    def args(self) -> list[str]:
        files = ["-f", str(self.file)] + (["-f", str(self.override)] if self.override else [])
        return ["compose", *files, "--project-directory", str(self.root), *env_file_args(self.root), "-p", self.project]

    def env(self) -> dict[str, str]:
        # published on a free port of 127.0.0.1 only; the app's own settings ride in the environment
        return {"APP_BIND": "127.0.0.1", "APP_PORT": "", **self.options.env}

    def compose(self, *args: str, timeout: float = 600, check: bool = True) -> docker.Result:
        return docker.run([*self.args(), *args], timeout=timeout, check=check, env=self.env())

    def project_services(self) -> list[str]:
        """The services that run the project's image (the app, migrate, prestart, a worker)."""
        return [name for name, spec in self.services.items() if isinstance(spec, dict)
                and (spec.get("build") is not None or str(spec.get("image") or "") == self.image)]

    def build(self, on_progress: Callable[[str], None]) -> None:
        """The app's image, built as `quayside build` builds it (a failure names its cause), under the name the
        compose file gives it, so `up` starts it without building again."""
        from quayside.build import build_image

        spec = self.services[self.app]
        build = spec.get("build")
        context = build.get("context", ".") if isinstance(build, dict) else (build or ".")
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        root = (self.root / str(context)).resolve()
        if root != self.root and self.root not in root.parents:
            raise UserInputError(f"the app service builds {context}, outside the project", path=self.file.name)
        build_image(root, tag=self.image, dockerfile=str(dockerfile), secrets=self.options.build_secrets,
                    network=self.options.build_network)

    def write_override(self, tmp: Path) -> None:
        spec = self.services[self.app]
        pythonpath = PROBE_DIR
        image_env = (docker.inspect_image(self.image).get("Config") or {}).get("Env") or []
        existing = next((e.split("=", 1)[1] for e in image_env if e.startswith("PYTHONPATH=")), "")
        if existing:
            pythonpath += ":" + existing
        service: dict[str, Any] = {
            "environment": {"QUAYSIDE_PROBE": "1", "PYTHONPATH": pythonpath, **{k: f"${{{k}}}" for k in self.options.env}},
            "volumes": [f"{self.volume}:{PROBE_DIR}:ro"],
        }
        if "ports" not in spec:  # behind a proxy: publish on loopback for verify's requests only
            service["ports"] = [f"127.0.0.1::{self.port}"]
        services: dict[str, Any] = {self.app: service}
        for name in self.project_services():  # the app's settings reach migrate, prestart and the worker too
            if name != self.app and self.options.env:
                services[name] = {"environment": {k: f"${{{k}}}" for k in self.options.env}}
        override = {"services": services, "volumes": {self.volume: {"external": True, "name": self.volume}}}
        self.override = tmp / "verify.override.yaml"
        with self.override.open("w", encoding="utf-8") as handle:
            YAML(typ="safe").dump(override, handle)

    def fill_probe_volume(self) -> None:
        fill_probe_volume(self.volume, self.image, f"{self.project}-probe-helper")

    def container(self) -> str:
        out = self.compose("ps", "-q", "--all", self.app, timeout=60).stdout.split()
        if not out:
            raise DockerError(["docker", *self.args(), "ps", "-q", self.app], 0, f"no container for service {self.app}")
        return out[0]

    def host_port(self) -> int:
        out = self.compose("port", self.app, str(self.port), timeout=30).stdout
        m = re.search(r"127\.0\.0\.1:(\d+)", out)
        if not m:
            raise DockerError(["docker", "compose", "port", self.app], 0, f"no 127.0.0.1 mapping in {out!r}")
        return int(m[1])

    def logs(self, service: str) -> str:
        result = self.compose("logs", "--no-color", "--no-log-prefix", "--tail", "200", service, timeout=60, check=False)
        return mask(plain_logs(result.stdout + result.stderr), self.secrets)

    def states(self) -> list[dict[str, Any]]:
        text = self.compose("ps", "--all", "--format", "json", timeout=60, check=False).stdout.strip()
        if not text:
            return []
        return json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", timeout=300, check=False)
        docker.run(["volume", "rm", "-f", self.volume], timeout=60, check=False)


def _env_secrets(path: Path) -> dict[str, str]:
    """The secret values of the project's .env (passwords, keys): compose hands them to services, and a
    service's log may print them."""
    if not path.is_file():
        return {}
    try:
        values = parse_env_file(path)
    except UserInputError:
        return {}
    return {k: v for k, v in values.items() if SECRET_NAME.search(k.upper()) and v}


def _app_service(services: dict[str, Any], file: str) -> str:
    """The service that is the app: `app` (quayside's name), else the first that builds the project."""
    if isinstance(services.get("app"), dict):
        return "app"
    built = [name for name, spec in services.items() if isinstance(spec, dict) and spec.get("build") is not None]
    if built:
        return str(built[0])
    raise UserInputError(f"no app service in {file}: none builds the project",
                         path=file, hint="run `quayside init --target compose` to write one")


def _container_port(spec: dict[str, Any]) -> int | None:
    for entry in spec.get("ports") or []:
        m = re.search(r"(\d+)(?:/tcp)?[\"']?$", str(entry))
        if m:
            return int(m[1])
    for entry in spec.get("expose") or []:
        if str(entry).isdigit():
            return int(entry)
    return None


_LOG_PREFIX = re.compile(r"(?m)^(?:\x1b\[[0-9;]*[A-Za-z])*\S+-\d+\s+\|\s?")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain_logs(text: str) -> str:
    """compose's logs without the `service-1  | ` prefixes and terminal escapes."""
    return _ANSI.sub("", _LOG_PREFIX.sub("", text))


def _cause(logs: str, shadowing: tuple[str, ...] = (), fixed: tuple[str, ...] = (), root: Path | None = None,
           reads: frozenset[str] = frozenset()) -> str:
    logs = plain_logs(logs)
    if m := _REFUSED.search(logs):
        user = m.group(1) or m.group(2)
        return (f"the database or cache refused the app's credentials{f' (user {user})' if user else ''}: the "
                "password in .env is not the one the volume was created with, or the URL names another user; ")
    if (name := variable_of(missing_setting(logs), reads)) is not None:
        return f"missing setting {name}: add it to .env and to the service's environment; "
    if (refused := refused_setting(logs)) is not None:
        return f"the app refuses the value of {refused[0]} ({refused[1]}): fix it in .env; "
    if (service := missing_service(logs)) is not None:
        return fixed_address_cause(fixed) if fixed else f"the app could not reach {service}; "
    return (rows_only_cause(logs) or settings_file_cause(logs) or ignored_file_cause(root, logs) or read_only_code_cause(logs)
            or shadowing_cause(shadowing, logs) or multipart_cause(logs) or pythonbreaks.cause_from_logs(logs)
            or missing_module_cause(root, logs) or aws_region_cause(root, logs, compose=True) or "")


def _failed_up(stack: _Stack, exc: DockerError, report: VerifyReport) -> None:
    parts, causes = [], []
    for state in stack.states():
        name = state.get("Service", "")
        bad = state.get("Health") == "unhealthy" or (state.get("State") != "running" and int(state.get("ExitCode") or 0) != 0)
        if bad or (name == stack.app and state.get("State") != "running") or (name == stack.app and state.get("Health") != "healthy"):
            logs = stack.logs(name)
            causes.append(_cause(logs, stack.options.shadowing, stack.options.fixed_addresses if name == stack.app else (),
                                 stack.options.project_root, stack.options.app_reads)
                          # an app that hangs on an address nobody answers at says nothing before it is unhealthy
                          or (fixed_address_cause(stack.options.fixed_addresses)
                              if name == stack.app and stack.options.fixed_addresses else ""))
            tail = "\n".join(logs.splitlines()[-LOG_LINES:])
            parts.append(f"--- {name}: {state.get('State')} {state.get('Health') or ''} exit {state.get('ExitCode')}\n{tail}")
    message = mask(exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else f"exit {exc.returncode}", stack.secrets)
    cause = next((c for c in causes if c), "")
    report.add("stack_up", "fail", None, f"{cause}`docker compose up --wait` failed: {message}\n" + "\n".join(parts))


def verify_compose(root: Path, options: VerifyOptions, on_progress: Callable[[str], None] | None = None) -> VerifyReport:
    say = on_progress or (lambda _msg: None)
    docker.engine_version()
    stack = _Stack(root, options)
    report = VerifyReport(f"{stack.file.name}: {stack.app}")
    if options.placeholders_left:
        report.add("settings", "pass", list(options.placeholders_left),
                   f"the env file gives only a placeholder for {', '.join(options.placeholders_left)}: the app's "
                   "own default stands (pass --env NAME=VALUE to set one)")
    wait = max(180, int(options.start_timeout) + 120)
    with tempfile.TemporaryDirectory(prefix="quayside-verify-") as tmp:
        try:
            say(f"building {stack.app} ({stack.file.name}, project {stack.project})")
            stack.build(say)
            ensure_stack_images(root, stack.project)
            stack.fill_probe_volume()
            stack.write_override(Path(tmp))
            say("starting the services and waiting until they are healthy")
            started = time.monotonic()
            try:
                stack.compose("up", "--detach", "--wait", "--wait-timeout", str(wait), timeout=wait + 300)
            except DockerError as exc:
                _failed_up(stack, exc, report)
                return report
            report.add("stack_up", "pass", round(time.monotonic() - started, 3),
                       f"every service healthy or completed: {', '.join(sorted(stack.services))}")
            _prove_app(stack, report, say)
        finally:
            say("removing what verify started")
            stack.down()
    return report


def _prove_app(stack: _Stack, report: VerifyReport, say: Callable[[str], None]) -> None:
    options = stack.options
    port = stack.host_port()

    def url(path: str) -> str:
        return f"http://127.0.0.1:{port}{path}"

    for path in options.smoke_paths:
        status, body = safe_get(url(path), timeout=10)
        ok = status == 200 and (path != "/openapi.json" or body.lstrip().startswith(b"{"))
        report.add(f"smoke {path}", "pass" if ok else "fail", status, f"GET {path} → {status}")
    if options.ready_path:
        status, body = safe_get(url(options.ready_path), timeout=10)
        detail = f"GET {options.ready_path} → {status}: the app reaches its services"
        if status != 200:
            cause = next((c for c in (_cause(stack.logs(s), options.shadowing, root=options.project_root, reads=options.app_reads)
                                      for s in sorted(stack.services)) if c), "")
            detail = f"{cause}GET {options.ready_path} → {status} {mask(body.decode('utf-8', 'replace')[:200], stack.secrets)}"
        report.add(f"ready {options.ready_path}", "pass" if status == 200 else "fail", status, detail)
    for expectation in options.expectations:
        status, body = safe_get(url(expectation.path), timeout=30)
        try:
            got: Any = json.loads(body)
        except json.JSONDecodeError:
            got = body.decode("utf-8", "replace")[:200]
        ok = status == 200 and got == expectation.body
        report.add(f"expect {expectation.path}", "pass" if ok else "fail", got, f"GET {expectation.path} → {status} {json.dumps(got)}")

    container = stack.container()
    _prove_database_sessions(stack, container, report)
    uid, server = _server_process(container)
    if uid is None:
        report.add("user_uid", "fail", None, "could not read the server's process with the image's python")
    else:
        report.add("user_uid", "pass" if uid != 0 else "fail", uid,
                   "the server runs as a non-root user" if uid else "the server runs as root")
    report.add("pid1", "pass" if server else "fail", server or None,
               "SIGTERM reaches the server: it is PID 1 or the child of the container's init" if server
               else "a shell stands between PID 1 and the server")

    say("kill -9 the server: the restart policy must bring it back")
    restarts = int(docker.inspect_container(container)["RestartCount"])
    killed = docker.run(["exec", "-e", "QUAYSIDE_PROBE=0", container, "python", "-c", _KILL_SERVER], timeout=30, check=False)
    back = _wait_restarted(stack, container, restarts, options.health_path or options.smoke_paths[0], options.start_timeout + 60)
    port = stack.host_port()  # a restarted container may be published on another free port
    report.add("restart_after_kill", "pass" if back else "fail", back,
               "killed with SIGKILL, restarted by `restart:` and answering again" if back
               else f"not back after SIGKILL ({killed.stderr.strip()[:200] or 'no restart'})")

    say("stopping with a request in flight (SIGTERM)")
    outcome: dict[str, Any] = {}

    def slow_request() -> None:
        try:
            outcome["status"], _ = _http_get(url(f"/__quayside/slow?seconds={SLOW_SECONDS}"), timeout=30)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            outcome["error"] = repr(exc)

    thread = threading.Thread(target=slow_request, daemon=True)
    thread.start()
    time.sleep(0.3)
    begun = time.monotonic()
    stack.compose("stop", stack.app, timeout=120)
    stop_seconds = time.monotonic() - begun
    thread.join(timeout=30)
    state = docker.inspect_container(container)["State"]
    grace = 20
    logs = stack.logs(stack.app)
    exit_code = state.get("ExitCode")
    # under `init: true` the server is not PID 1: uvicorn (0.29+) re-raises the SIGTERM it handled once its
    # shutdown is done, and the init reports 143. That is a clean stop when the server said it finished.
    reraised = exit_code == 143 and server_finished(logs)
    graceful = (exit_code == 0 or reraised) and stop_seconds < grace
    report.add("stop_seconds", "pass" if graceful else "fail", round(stop_seconds, 3),
               f"SIGTERM → exit {exit_code} in {stop_seconds:.2f}s"
               + (" (the server finished its shutdown, then re-raised SIGTERM: the init reports 143)" if reraised else ""))
    completed = outcome.get("status") == 200
    report.add("inflight_completed", "pass" if completed else "fail", completed,
               "the in-flight request finished with 200" if completed
               else f"the in-flight request did not complete: {outcome.get('error') or outcome.get('status')}")
    seen, detail = shutdown_seen(logs)
    report.add("lifespan_shutdown", "pass" if seen else "fail", seen, detail)


def server_finished(logs: str) -> bool:
    """uvicorn logged that its last life (a restarted server starts again) ended its shutdown."""
    return re.search(r"Finished server process \[\d+\]", logs.rsplit("Started server process", 1)[-1]) is not None


def _prove_database_sessions(stack: _Stack, container: str, report: VerifyReport) -> None:
    """Each database URL the app holds opens a session (an app that connects on its first query starts healthy
    with a URL the database refuses)."""
    env = (docker.inspect_container(container).get("Config") or {}).get("Env") or []
    # a URL the code never reads (a README's DATABASE_URL beside code that reads DB) is no fault of the app's
    reads = stack.options.app_reads
    for session in open_sessions(container, [n for n in database_url_settings(env) if not reads or n.upper() in reads]):
        detail = mask(session.detail, stack.secrets)
        if session.status == "pass":
            text = f"{session.name} opens a session on its database (SELECT 1 through {detail}, as the app's user)"
        elif session.status == "skip":
            text = f"{session.name} not tested: the image has no client for it ({detail})"
        elif m := _REFUSED.search(detail):
            user = m.group(1) or m.group(2)
            text = (f"the database refused {session.name}'s credentials{f' (user {user})' if user else ''}: the app "
                    f"holds a URL the stack's database does not know (wire it to .env's DB_APP_USER and DB_APP_PASSWORD, "
                    f"or give it with --env); {detail}")
        else:
            text = f"{session.name} does not open a session on its database: {detail}"
        report.add(f"db_session {session.name}", session.status, session.status == "pass", text)


# the server: PID 1 itself, or PID 1's child when compose's `init: true` runs a tiny init as PID 1
_SERVER_PROCESS = r"""
import json, os
def stat(pid):
    s = open(f'/proc/{pid}/status').read()
    uid = int([l for l in s.splitlines() if l.startswith('Uid:')][0].split()[1])
    argv = [a.decode() for a in open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0') if a]
    ppid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
    return uid, argv, ppid
uid, argv, _ = stat(1)
name = os.path.basename(argv[0]) if argv else ''
if name in ('docker-init', 'tini', 'dumb-init', 'init'):
    # processes `docker exec` starts (this one, the health check) have no parent inside the container
    kids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and p != '1' and stat(int(p))[2] == 1)
    uid, argv, _ = stat(kids[0]) if kids else (uid, [], 0)
print(json.dumps([uid, argv]))
"""
_KILL_SERVER = r"""
import os, signal
me = os.getpid()
for p in os.listdir('/proc'):
    if p.isdigit() and int(p) not in (1, me):
        try:
            if int(open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[1]) == 1:
                os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass
"""
SHELLS = {"sh", "bash", "dash", "ash", "zsh"}


def _server_process(container: str) -> tuple[int | None, str]:
    result = docker.run(["exec", "-e", "QUAYSIDE_PROBE=0", container, "python", "-c", _SERVER_PROCESS], timeout=30, check=False)
    if result.returncode != 0:
        return None, ""
    uid, argv = json.loads(result.stdout.strip().splitlines()[-1])
    program = os.path.basename(argv[0]) if argv else ""
    if program in SHELLS:
        return uid, ""
    return uid, " ".join(argv)[:120]


def _wait_restarted(stack: _Stack, container: str, restarts: int, path: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            info = docker.inspect_container(container)
            if (int(info["RestartCount"]) > restarts and info["State"].get("Running")
                    and _http_get(f"http://127.0.0.1:{stack.host_port()}{path}", timeout=3)[0] == 200):
                return True
        except (DockerError, OSError):
            pass
        time.sleep(0.5)
    return False
