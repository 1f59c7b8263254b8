"""verify one image: run it and prove it behaves as a production FastAPI container should.

Ports are published on 127.0.0.1 only. Each check is pass / fail / skip with the reason; the report is the
product, so a skip always says why and a fail says what was seen.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from quayside.engine import docker
from quayside.errors import DockerError, UserInputError
from quayside.inspection import pythonbreaks
from quayside.plan.options import Style
from quayside.plan.shared import database_part
from quayside.verify.report import VerifyOptions, VerifyReport
from quayside.verify.settings import (
    aws_region_cause,
    env_file,
    fixed_address_cause,
    ignored_file_cause,
    mask,
    missing_module_cause,
    missing_service,
    missing_setting,
    multipart_cause,
    read_only_code_cause,
    refused_setting,
    settings_file_cause,
    shadowing_cause,
    template_value_cause,
    variable_of,
)

PROBE_DIR = "/quayside-probe"
SLOW_SECONDS = 1.0
# docker stop's grace period: SIGTERM, then SIGKILL after this long. A stop within it is graceful.
STOP_GRACE_SECONDS = 10
SHUTDOWN_MARKER = "Application shutdown complete"  # uvicorn's, at INFO on uvicorn.error
PROBE_SHUTDOWN_MARKER = "quayside probe: lifespan shutdown complete"  # the probe's, whatever the app's logging
PROBE_SHUTDOWN_FAILED = "quayside probe: lifespan shutdown failed:"


def shutdown_seen(logs: str) -> tuple[bool, str]:
    """(seen, detail): the app's lifespan shutdown completed, by uvicorn's log line or the probe's."""
    if PROBE_SHUTDOWN_MARKER in logs:
        return True, "the app completed its lifespan shutdown (lifespan.shutdown.complete, seen by the probe)"
    if SHUTDOWN_MARKER in logs:
        return True, f"{SHUTDOWN_MARKER!r} in the logs"
    # the probe saw the app say its shutdown failed; else uvicorn logged the handler's traceback, then
    # "Application shutdown failed": either way the exception is the cause
    raised = [line.split(PROBE_SHUTDOWN_FAILED, 1)[1].strip() for line in logs.splitlines() if PROBE_SHUTDOWN_FAILED in line]
    after = logs[logs.rfind(_SHUTDOWN_BEGINS):] if _SHUTDOWN_BEGINS in logs else ""
    raised = [r for r in raised if r] or [m[1] for m in _RAISED.finditer(after)]
    if raised:
        return False, f"the app's lifespan shutdown raised {raised[-1][:200]}: its shutdown handler failed, so its resources were not released"
    return False, f"no lifespan shutdown: {SHUTDOWN_MARKER!r} missing from the logs, and the app never sent lifespan.shutdown.complete"


_SHUTDOWN_BEGINS = "Waiting for application shutdown"  # uvicorn.error, at INFO, as SIGTERM's lifespan shutdown starts
_RAISED = re.compile(r"^(?:\S+ +\| +)?((?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt)\b(?::[^\n]*)?)$",
                     re.MULTILINE)
SHELLS = {"sh", "bash", "dash", "ash", "zsh"}


def _http_get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def safe_get(url: str, timeout: float) -> tuple[int, bytes]:
    """GET for a check: a timeout or a dropped connection is a finding (status 0), never a crash."""
    try:
        return _http_get(url, timeout)
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"no answer: {exc}".encode()


def port_from_image(config: dict[str, Any]) -> int | None:
    exposed = sorted((config.get("ExposedPorts") or {}).keys())
    if len(exposed) == 1:
        return int(exposed[0].split("/")[0])
    argv = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
    for i, arg in enumerate(argv):
        if arg == "--port" and i + 1 < len(argv) and argv[i + 1].isdigit():
            return int(argv[i + 1])
        if m := re.fullmatch(r"--port=(\d+)", arg):
            return int(m[1])
    return None


def _probe_source() -> str:
    return resources.files("quayside.verify").joinpath("probe/sitecustomize.py").read_text(encoding="utf-8")


def fill_probe_volume(volume: str, image: str, helper: str) -> None:
    """A volume holding the probe, filled through a created (never started) helper container of the image:
    works on remote engines and with --read-only, where `docker cp` into the container itself is refused."""
    docker.run(["volume", "create", "--label", "io.quayside.verify=1", volume], timeout=30)
    docker.run(["create", "--name", helper, "-v", f"{volume}:{PROBE_DIR}", "--entrypoint", "true", image], timeout=60)
    try:
        with tempfile.TemporaryDirectory(prefix="quayside-probe-") as tmp:
            probe = Path(tmp) / "probe"
            probe.mkdir(mode=0o755)
            (probe / "sitecustomize.py").write_text(_probe_source(), encoding="utf-8")
            (probe / "sitecustomize.py").chmod(0o644)
            docker.run(["cp", f"{probe}/.", f"{helper}:{PROBE_DIR}"], timeout=60)
    finally:
        docker.run(["rm", "-f", helper], timeout=60, check=False)


class _Container:
    """One verify container: created with the probe copied in, published on 127.0.0.1, always removed."""

    def __init__(self, image: str, port: int, env: list[str]):
        self.image = image
        self.port = port
        self.name = f"quayside-verify-{uuid.uuid4().hex[:10]}"
        self.env = env
        self.volume = f"{self.name}-probe"
        self.host_port: int | None = None

    def create(self, image_env: list[str], *, read_only: bool = False, extra: list[str] | None = None,
               settings: dict[str, str] | None = None) -> None:
        pythonpath = next((e.split("=", 1)[1] for e in image_env if e.startswith("PYTHONPATH=")), "")
        env = ["QUAYSIDE_PROBE=1", f"PYTHONPATH={PROBE_DIR}" + (f":{pythonpath}" if pythonpath else ""), *self.env]
        self._fill_probe_volume()
        args = ["create", "--name", self.name, "--label", "io.quayside.verify=1", "-p", f"127.0.0.1::{self.port}",
                "-v", f"{self.volume}:{PROBE_DIR}:ro"]
        if read_only:
            args += ["--read-only", "--tmpfs", "/tmp"]
        for e in env:
            args += ["-e", e]
        with env_file(settings or {}) as path:  # the app's settings: in a 0600 file, never on the command line
            if path is not None:
                args += ["--env-file", str(path)]
            docker.run([*args, *(extra or []), self.image], timeout=60)

    def _fill_probe_volume(self) -> None:
        fill_probe_volume(self.volume, self.image, f"{self.name}-probe")

    def start(self) -> None:
        docker.run(["start", self.name], timeout=60)
        out = docker.run(["port", self.name, f"{self.port}/tcp"], timeout=20).stdout
        m = re.search(r"127\.0\.0\.1:(\d+)", out)
        if not m:
            raise DockerError(["docker", "port", self.name], 0, f"no 127.0.0.1 mapping in {out!r}")
        self.host_port = int(m[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.host_port}{path}"

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = docker.inspect_container(self.name)["State"]
        return state

    def logs(self) -> str:
        result = docker.run(["logs", self.name], timeout=30, check=False)
        return result.stdout + result.stderr

    def remove(self) -> None:
        docker.run(["rm", "-f", "-v", self.name], timeout=60, check=False)
        docker.run(["volume", "rm", "-f", self.volume], timeout=60, check=False)


def _wait_first_response(container: _Container, path: str, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            status, _ = _http_get(container.url(path), timeout=2)
            if status == 200:
                return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if not container.state().get("Running"):
            return None
        time.sleep(0.05)
    return None


def _wait_healthy(container: _Container, timeout: float) -> tuple[str, float]:
    started = time.monotonic()
    status = "starting"
    while time.monotonic() - started < timeout:
        health = container.state().get("Health") or {}
        status = health.get("Status", "none")
        if status in ("healthy", "unhealthy") or not container.state().get("Running"):
            break
        time.sleep(0.25)
    return status, time.monotonic() - started


def _pid1(container: _Container) -> tuple[int | None, list[str]]:
    code = (
        "import json; s=open('/proc/1/status').read(); "
        "uid=int([l for l in s.splitlines() if l.startswith('Uid:')][0].split()[1]); "
        "argv=open('/proc/1/cmdline','rb').read().split(b'\\0'); "
        "print(json.dumps([uid,[a.decode() for a in argv if a]]))"
    )
    result = docker.run(["exec", "-e", "QUAYSIDE_PROBE=0", container.name, "python", "-c", code], timeout=30, check=False)
    if result.returncode != 0:
        return None, []
    uid, argv = json.loads(result.stdout.strip().splitlines()[-1])
    return uid, argv


def _unset_settings(options: VerifyOptions, image_env: list[str]) -> list[tuple[str, str]]:
    """The settings the code reads with no default that neither the image nor verify's --env gave."""
    given = set(options.env) | {item.split("=", 1)[0] for item in image_env}
    return [(name, where) for name, where in options.settings_without_default if name not in given]


def _missing_cause(name: str) -> str:
    """A setting the app stopped for. A connection URL, or a part of a database's address (USER_DB_PORT), makes
    sense only beside a database: the app is proven beside one (verify --compose)."""
    from quayside.plan.shared import CONNECTION_URL

    if CONNECTION_URL.search(name.upper()):
        return (f"missing setting {name}, which is a connection URL: run the app beside its database (quayside "
                "verify --compose) or pass --env-file FILE; ")
    if (part := database_part(name.upper())) is not None:
        return (f"missing setting {name}, the {part} of its database's address: run the app beside its database "
                "(quayside verify --compose) or pass --env-file FILE; ")
    return f"missing setting {name}: pass --env-file FILE or --env {name}=…; "


def _as_read(field: str | None, options: VerifyOptions) -> str | None:
    return variable_of(field, options.app_reads | {name for name, _ in options.settings_without_default})


def _unset_cause(unset: list[tuple[str, str]], engine_urls: frozenset[str] = frozenset()) -> str:
    """A failed start, when nothing in the logs names a cause but the app reads settings nobody gave it. A
    connection URL is one by its name (DATABASE_URL) or by its use (handed to create_engine)."""
    from quayside.plan.shared import CONNECTION_URL

    urls = [name for name, _ in unset if CONNECTION_URL.search(name) or name in engine_urls]
    shown = ", ".join(f"{name} ({where})" for name, where in unset[:4]) + (f" and {len(unset) - 4} more" if len(unset) > 4 else "")
    if urls:
        return (f"the app reads {shown} with no default, and none was given; {urls[0]} is a connection URL: run the "
                "app beside its database (quayside verify --compose) or pass --env-file FILE; ")
    return f"the app reads {shown} with no default, and none was given: pass --env-file FILE or --env {unset[0][0]}=…; "


def verify_image(image: str, options: VerifyOptions, on_progress: Callable[[str], None] | None = None) -> VerifyReport:
    say = on_progress or (lambda _msg: None)
    docker.engine_version()
    info = docker.inspect_image(image)
    config = info.get("Config") or {}
    report = VerifyReport(image)
    port = options.port or port_from_image(config) or 8000
    production = options.style is Style.PRODUCTION
    if options.placeholders_left:
        report.add("settings", "pass", list(options.placeholders_left),
                   f"the env file gives only a placeholder for {', '.join(options.placeholders_left)}: the app's "
                   "own default stands (pass --env NAME=VALUE to set one)")
    report.add("size_bytes", "pass", int(info.get("Size", 0)), f"{int(info.get('Size', 0)) / 1e6:.1f} MB")

    container = _Container(image, port, [])
    files = tempfile.TemporaryDirectory(prefix="quayside-dotenv-")  # 0700: only this user reaches the files in it
    try:
        say(f"starting {image} (port {port} on 127.0.0.1)")
        mounts = _dotenv_mounts(Path(files.name), options, str(config.get("WorkingDir") or "/code"))
        container.create(config.get("Env") or [], read_only=options.read_only, settings=options.env, extra=mounts)
        container.start()
        ready_path = options.health_path or (options.smoke_paths[0] if options.smoke_paths else "/")
        start_seconds = _wait_first_response(container, ready_path, options.start_timeout)
        if start_seconds is None:
            # causes are read from the logs as the app wrote them (a host named `redis` that is also a value
            # given to it would be masked away); what is shown, the cause too, is masked
            logs = container.logs()
            tail = "\n".join(mask(logs, options.env).splitlines()[-15:])
            cause = ""
            if (name := _as_read(missing_setting(logs), options)) is not None and name in options.env:
                cause = (f"{name} was given, yet the app did not see it: its code reads it from somewhere other than "
                         "its environment (a .env file through dotenv_values, a secrets folder); ")
            elif name is not None:
                cause = _missing_cause(name)
            elif (refused := refused_setting(logs)) is not None and refused[0].upper() not in {k.upper() for k in options.env}:
                # pydantic-settings validates defaults too: `MAIL_FROM: EmailStr = ""` stops the app unless it is set
                cause = (f"nothing gave {refused[0]}, and the app refuses its own default ({refused[1]}): it must be set: "
                         f"pass --env-file FILE or --env {refused[0]}=…; ")
            elif refused is not None:
                cause = f"the app refuses the value of {refused[0]} ({refused[1]}): fix it in the env file or pass --env {refused[0]}=…; "
            elif re.search(r"unable to open database file|attempt to write a readonly database", logs):
                cause = ("the app writes a SQLite database where the app user cannot write (the code is read-only to "
                         "it): point the database URL into a folder of its own ([tool.quayside] writable); ")
            elif (service := missing_service(logs)) is not None and options.fixed_addresses:
                cause = fixed_address_cause(options.fixed_addresses)
            elif service is not None:
                cause = (f"the app could not reach {service} at start: run it beside one (quayside init --target "
                         "compose, then quayside up) or point its settings at one with --env; ")
            elif (shadowed := shadowing_cause(options.shadowing, logs)) is not None:
                cause = shadowed
            elif (unread := settings_file_cause(logs)) is not None:
                cause = unread
            elif (kept_out := ignored_file_cause(options.project_root, logs)) is not None:
                cause = kept_out
            elif (among_code := read_only_code_cause(logs)) is not None:
                cause = among_code
            elif (example := template_value_cause(options.env, logs)) is not None:
                cause = example
            elif (multipart := multipart_cause(logs)) is not None:
                cause = multipart
            elif (fault := pythonbreaks.cause_from_logs(logs)) is not None:
                cause = fault
            elif (module := missing_module_cause(options.project_root, logs)) is not None:
                cause = module
            elif (region := aws_region_cause(options.project_root, logs)) is not None:
                cause = region
            elif unset := _unset_settings(options, config.get("Env") or []):
                cause = _unset_cause(unset, options.engine_urls)
            elif container.state().get("Running"):
                cause = "still starting? raise --start-timeout; "
            report.add("start_seconds", "fail", None,
                       f"{mask(cause, options.env)}no 200 from {ready_path} within {options.start_timeout:g}s; last logs:\n{tail}")
            return report
        report.add("start_seconds", "pass", round(start_seconds, 3), f"start → first 200 from {ready_path}")

        for path in options.smoke_paths:
            status, body = safe_get(container.url(path), timeout=5)
            ok = status == 200 and (path != "/openapi.json" or body.lstrip().startswith(b"{"))
            report.add(f"smoke {path}", "pass" if ok else "fail", status, f"GET {path} → {status}")
        for expectation in options.expectations:
            status, body = safe_get(container.url(expectation.path), timeout=30)
            try:
                got: Any = json.loads(body)
            except json.JSONDecodeError:
                got = body.decode("utf-8", "replace")[:200]
            ok = status == 200 and got == expectation.body
            shown = repr(got) if isinstance(got, str) else json.dumps(got)
            report.add(f"expect {expectation.path}", "pass" if ok else "fail", got, f"GET {expectation.path} → {status} {shown}")

        uid, argv = _pid1(container)
        if uid is None:
            report.add("user_uid", "fail" if production else "skip", None, "could not read /proc/1 with the image's python")
        elif uid == 0:
            report.add("user_uid", "fail" if production else "skip", 0,
                       "the server runs as root" + ("" if production else f" (accepted for style {options.style})"))
        else:
            report.add("user_uid", "pass", uid, "the server runs as a non-root user")
        if argv:
            program = Path(argv[0]).name
            if len(argv) > 1 and program.startswith("python"):
                program = Path(argv[1]).name
            shell = program in SHELLS
            report.add("pid1", "fail" if shell else "pass", " ".join(argv)[:120],
                       "a shell is PID 1: SIGTERM does not reach the server" if shell else "the server itself is PID 1")

        healthcheck = (config.get("Healthcheck") or {}).get("Test") or []
        if healthcheck and healthcheck[0] != "NONE":
            health, waited = _wait_healthy(container, options.health_timeout)
            report.add("healthy", "pass" if health == "healthy" else "fail", health == "healthy",
                       f"HEALTHCHECK reached {health} after {waited:.1f}s")
        else:
            report.add("healthy", "fail" if production else "skip", None,
                       "the image has no HEALTHCHECK" + ("" if production else f" (accepted for style {options.style})"))

        _stop_with_request_in_flight(container, report, say)
    finally:
        container.remove()
        files.cleanup()
    return report


def _dotenv_mounts(folder: Path, options: VerifyOptions, workdir: str) -> list[str]:
    """`-v` options that put the given settings where the code reads them as a file (dotenv_values(".env")):
    the image never holds a .env, so the app's settings reach it at run time, as a mounted secret would. The
    file is readable by the container's user; the folder around it (0700) keeps it from every other user here."""
    if not options.dotenv_files or not options.env:
        return []
    for name, value in options.env.items():
        if "\n" in value or "\r" in value:
            raise UserInputError(f"the value of {name} has a line break, which an env file cannot carry")
        if re.search(r"\$\{[^}]*\}", value):
            raise UserInputError(f"the value of {name} holds ${{…}}, which python-dotenv expands when the app reads "
                                 f"{options.dotenv_files[0]}, in any quotes: it would not get the value as given",
                                 hint="give the app a value without ${…}")
    mounts: list[str] = []
    for index, rel in enumerate(options.dotenv_files):
        path = folder / f"{index}.env"
        path.write_text("".join(_dotenv_line(key, value) for key, value in options.env.items()), encoding="utf-8")
        path.chmod(0o644)
        mounts += ["-v", f"{path}:{workdir.rstrip('/')}/{rel}:ro"]
    return mounts


def _dotenv_line(key: str, value: str) -> str:
    """KEY='value': python-dotenv takes a single-quoted value as written (no escapes); one holding a quote goes
    in double quotes with its backslashes and quotes escaped. (It expands ${...} in both: refused before.)"""
    if "'" not in value:
        return f"{key}='{value}'\n"
    return f"{key}=\"{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}\"\n"


def _stop_with_request_in_flight(container: _Container, report: VerifyReport, say: Callable[[str], None]) -> None:
    outcome: dict[str, Any] = {}

    def slow_request() -> None:
        try:
            outcome["status"], outcome["body"] = _http_get(container.url(f"/__quayside/slow?seconds={SLOW_SECONDS}"), timeout=20)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            outcome["error"] = repr(exc)

    say("stopping with a request in flight (SIGTERM)")
    thread = threading.Thread(target=slow_request, daemon=True)
    thread.start()
    time.sleep(0.3)  # let the request reach the app before SIGTERM
    started = time.monotonic()
    docker.run(["stop", "--time", str(STOP_GRACE_SECONDS), container.name], timeout=60)
    stop_seconds = time.monotonic() - started
    thread.join(timeout=20)
    state = container.state()
    exit_code = state.get("ExitCode")
    graceful = exit_code == 0 and stop_seconds < STOP_GRACE_SECONDS
    report.add("stop_seconds", "pass" if graceful else "fail", round(stop_seconds, 3),
               f"SIGTERM → exit {exit_code} in {stop_seconds:.2f}s" + ("" if graceful else " (killed, or not a clean exit)"))
    completed = outcome.get("status") == 200
    detail = ("the in-flight request finished with 200" if completed
              else f"the in-flight request did not complete: {outcome.get('error') or outcome.get('status')}")
    report.add("inflight_completed", "pass" if completed else "fail", completed, detail)
    logs = container.logs()
    seen, detail = shutdown_seen(logs)
    report.add("lifespan_shutdown", "pass" if seen else "fail", seen, detail)
