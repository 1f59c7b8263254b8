"""The Dockerfile plan: what the image needs (base, installer, copied paths, command, health check, user).

Built from ProjectInfo plus the user's options; every choice is a Decided with its source.
"""

from __future__ import annotations

import ipaddress
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from quayside.errors import UserInputError
from quayside.inspection import (
    dockerenv,
    indexwheels,
    lockwheels,
    pipfilelock,
    privateindex,
    projectcompose,
    pyversion,
    startcommand,
    uvworkspace,
)
from quayside.inspection.appsettings import read_app_settings
from quayside.inspection.content import DATA_FOLDER
from quayside.inspection.services import declared_with_extras
from quayside.inspection.source import read_requirements_text
from quayside.plan import names, systemlibs
from quayside.plan.options import InitOptions, Proxy, Style
from quayside.plan.shared import build_command, health_target
from quayside.provenance import Decided

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.inspection.content import RuntimeContent
    from quayside.inspection.dependencies import Installer, SourceKind

UV_IMAGE = "ghcr.io/astral-sh/uv:0.13.9"
DEFAULT_START_PERIOD = 30
VENV = "/opt/venv"
PROJECT_DIR = "/opt/project"  # a package project's own installed files, apart from the dependencies in VENV
WORKDIR = "/code"
APP_USER = "app"
APP_UID = 10001
# Private and loopback ranges: a proxy on a Docker/Kubernetes network has such an address, and a client on the
# internet cannot appear with one. Trusting them (not "*") keeps X-Forwarded-For unspoofable from outside.
PRIVATE_NETWORKS = "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
# Runtime files many FastAPI projects read besides the app package (Alembic, Jinja templates, static files).
RUNTIME_EXTRAS = ("alembic.ini", "alembic", "migrations", "templates", "static", "prestart.sh", "scripts/prestart.sh")


@dataclass(frozen=True)
class DockerfilePlan:
    style: Style
    python_version: str
    base_image: str
    builder_image: str | None
    uv_image: str
    installer: Installer
    source_kind: SourceKind
    dependency_files: tuple[str, ...]
    package_project: bool
    copy_paths: tuple[tuple[str, bool], ...]  # (project-relative path, is a directory)
    ignore_lines: tuple[str, ...]  # excluded paths inside copied folders (.dockerignore)
    apt_build: tuple[str, ...]  # Debian packages of the builder stage (headers, compiler)
    apt_runtime: tuple[str, ...]  # Debian packages of the runtime (shared libraries)
    apt_why: str  # one line: which dependencies need them
    writable: tuple[str, ...]  # folders under the workdir the app writes to: made and owned by the app user
    linked_files: tuple[str, ...]  # files the app writes in the workdir: links into the data folder (content.DATA_FOLDER)
    start_period: int  # HEALTHCHECK --start-period: how long the app may take to start
    requirements_tool: str  # "uv", or "pip" for requirements files in a syntax only pip reads
    port: int
    workers: int
    command: tuple[str, ...]
    healthcheck: tuple[str, ...] | None
    health_target: str  # what the health check asks for: a path, or "tcp"
    user: str | None
    uid: int
    venv: str = VENV
    project_dir: str = PROJECT_DIR
    workdir: str = WORKDIR
    import_root: str = "."  # where the app's packages are, under the workdir (src/ in a src layout)
    private_indexes: tuple[str, ...] = ()  # indexes other than PyPI: the install step mounts the netrc secret
    warm_imports: tuple[str, ...] = ()  # modules the server and health check import at start: compiled at build
    data_folder: str = DATA_FOLDER
    workspace_requirements: str | None = None  # a uv workspace member's locked packages (written beside the Dockerfile)
    exported_lock: str | None = None  # what dependency_files[0] holds when it is a lock's export: installed with its hashes, no resolver
    written_requirements: str | None = None  # the requirements file init writes: the old Dockerfile's names, Poetry's ranges
    base_image_requirements: tuple[str, ...] = ()  # what the old Dockerfile's base image installed (fastapi[all])
    replaced_base: str | None = None  # that base image, named in the install step's comment
    kept_python: str | None = None  # the Python the old Dockerfile ran the app on, when that is what decided the image's
    named_requirements: tuple[str, ...] = ()  # what the old Dockerfile installed by name beside the dependency file
    lock_groups: tuple[str, ...] = ()  # the lock's groups beside the main one that the old Dockerfile installed
    system_site_packages: bool = False  # Python < 3.12: the venv sees the image's setuptools, as pip's install would
    resolve_before: str | None = None  # uv's --exclude-newer: what requirements pull in resolves as of then
    carried_env: tuple[tuple[str, str], ...] = ()
    port_read_at: str | None = None  # where the code reads PORT: the image sets it to the port the server listens on
    prestart_marker: str | None = None  # a pre-start step read from the Dockerfile this one replaces (shell words)
    # the linked files that are SQLite databases: beside a database server they go unused (no volume needed)
    linked_databases: tuple[str, ...] = ()  # the project's own Dockerfile's ENV settings the app reads
    decisions: dict[str, Decided[Any]] = field(default_factory=dict, compare=False)

    @property
    def python_path(self) -> str:
        """The runtime's PYTHONPATH: the installed project (a package project), then the code's folder, so a
        migration tool, a worker or a prestart script imports the app as the server does."""
        # the import root first, then the workdir: runtime_content resolves the app's imports against both (a
        # top-level package beside app/ is copied, so it must be importable too)
        code = self.workdir if self.import_root == "." else f"{self.workdir}/{self.import_root}:{self.workdir}"
        return f"{self.project_dir}:{code}" if self.package_project else code


# python:3.12, python:3.12-slim, docker.io/library/python:3.12.1-slim-bookworm: the minor version it names
_IMAGE_PYTHON = re.compile(r"^(?:[\w.-]+(?::\d+)?/)*python:(3\.\d+)(?:[.-]|$)")


def _validate_python(value: str) -> str:
    parts = value.split(".")
    if len(parts) != 2 or parts[0] != "3" or not parts[1].isdigit():
        raise UserInputError(f"--python {value!r} is not a version like 3.12", hint="pass major.minor, e.g. --python 3.12")
    return value


def _validate_ips(value: str) -> str:
    for item in (v.strip() for v in value.split(",")):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise UserInputError(
                f"--forwarded-allow-ips: {item!r} is not an IP address or network",
                hint='use comma-separated addresses or CIDR networks, e.g. "172.16.0.0/12"',
            ) from None
    return value


def _healthcheck(project: ProjectInfo, port: int) -> tuple[tuple[str, ...], Decided[str]]:
    target = health_target(project)
    if target.value == "tcp":
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3).close()"
    else:
        # exec form with the image's own Python: slim images have no curl or wget
        code = (
            "import sys, urllib.request; "
            f"sys.exit(0 if urllib.request.urlopen({f'http://127.0.0.1:{port}{target.value}'!r}, timeout=3).status < 400 else 1)"
        )
    return ("python", "-c", code), target


def _resolve_before(project: ProjectInfo, requirements_tool: str, private: bool) -> Decided[str | None] | None:
    """uv's --exclude-newer for a requirements install (inspection.resolved_as_of says when and why). Pins fix
    what the project names, not what those pull in: a file of 2024 pins (tortoise-orm==0.20.0) installed today
    gets today's pydantic, which that tortoise-orm fails on at import. Resolved as of the pins' day, it gets what
    its authors ran. None when it does not apply (a lock already fixes everything; pip has no such option; a
    private index may not say when its files were uploaded)."""
    from quayside.inspection import resolved_as_of

    deps, configured = project.dependencies, project.config.resolve_before
    if deps.installer.value != "pip" or requirements_tool != "uv" or private:
        return None
    source = "[tool.quayside] resolve-before"
    if configured is False:
        return Decided(None, source, "the project asks for today's releases of what its requirements pull in")
    found = resolved_as_of(project.root, deps, project.config)
    if found is None:
        return None
    day, why, found_in = found
    if isinstance(configured, str):
        return Decided(day, source, f"the project resolves its requirements as of {configured}")
    if found_in == deps.files[0]:
        return Decided(day, found_in, f"every requirement is an exact pin, but what they pull in is not: it "
                       f"resolves with releases uploaded before {day[:10]}, {why}, as when the pins were written "
                       "(`[tool.quayside] resolve-before = false` takes today's)")
    return Decided(day, found_in, f"the requirements are not all exact pins: they resolve with releases uploaded "
                   f"before {day[:10]}, {why}, as when its authors last ran them "
                   "(`[tool.quayside] resolve-before = false` takes today's)")


def _requirements_tool(root: Path, files: tuple[str, ...]) -> Decided[str]:
    """uv installs requirements several times faster than pip; but a continuation line that carries on with
    anything but an option (`httpx \\` then `; python_version >= "3.9"`) is pip's syntax alone."""
    for name in files:
        try:
            lines = read_requirements_text(root / name).splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines[:-1], start=1):
            following = lines[number].strip()
            if line.rstrip().endswith("\\") and following and not following.startswith("-"):
                return Decided("pip", f"{name}:{number}", f"{name}:{number} continues a requirement onto the next "
                               "line, which only pip reads: pip installs it")
    return Decided("uv", "default", "uv installs the requirements (pip's format, several times faster)")


def _copy_paths(project: ProjectInfo, options: InitOptions, step_files: tuple[str, ...] = ()
                ) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...], Decided[str], Decided[tuple[str, ...]], RuntimeContent]:
    """(paths to copy, .dockerignore lines for excluded paths inside them, the decision, the writable folders,
    the runtime content they came from)."""
    extras: tuple[str, ...] = RUNTIME_EXTRAS + step_files if options.style is not Style.GUIDE else ()
    if extras and isinstance((project.pyproject or {}).get("tool", {}).get("aerich"), dict):
        extras += ("pyproject.toml",)  # aerich reads its [tool.aerich] config from it at run time
    from quayside.inspection.services import alembic_ini

    if extras and (ini := alembic_ini(project.root)) is not None and "/" in ini:
        # migrate runs `alembic -c migration/alembic.ini`: its folder (ini and scripts) must be in the image
        extras += (ini.rsplit("/", 1)[0],)
    content = project.runtime_content(include=options.include, exclude=options.exclude, extras=extras)
    sources = [s for s, given in (("--include", options.include), ("--exclude", options.exclude)) if given]
    if project.config.include or project.config.exclude:
        sources.append("[tool.quayside]")
    source = ", ".join(sources) or project.app.value.file
    decided = Decided(", ".join(content.paths), source, "the app's import closure and the data it reads: " + content.explain())
    folders = tuple(path for path, _ in content.writable)
    for folder in folders:
        if not names.is_bare(folder):
            raise UserInputError(f"the writable folder {folder!r} has a character a RUN line would misread",
                                 hint="letters, digits and . _ - / @ + are safe")
    writable = Decided(folders, "code" if folders else "project",
                       "; ".join(f"{path} ({why})" for path, why in content.writable) or "the code writes to no folder of its own")
    return tuple((e.path, e.is_dir) for e in content.entries), content.ignore_lines, decided, writable, content


def _no_wheel_for(project: ProjectInfo, requirements: tuple[str, ...], python: str) -> tuple[str, ...]:
    """Locked or pinned releases with Linux wheels for other Pythons but not this one: they build from source
    (the pins' files come from the index, asked once per process: inspection already did)."""
    minor = int(python.split(".")[1])
    locked = lockwheels.sdist_only(project.root, minor)
    if locked is not None:
        return tuple(locked)
    releases = indexwheels.release_wheels(project.root, requirements) if requirements else None
    return tuple(indexwheels.sdist_only(releases, minor)) if releases else ()


def build_plan(project: ProjectInfo, options: InitOptions) -> DockerfilePlan:
    style = options.style
    deps = project.dependencies
    installer = deps.installer.value
    decisions: dict[str, Decided[Any]] = dict(project.decisions())

    if style in (Style.GUIDE, Style.MULTISTAGE) and deps.source_kind != "requirements":
        raise UserInputError(
            f"--style {style} installs requirements.txt as the guide does, but this project installs from "
            f"{', '.join(deps.files)} ({installer})",
            hint="use --style production (or --style uv for a uv.lock)",
        )
    if style is Style.UV and installer not in ("uv", "pip"):
        raise UserInputError(f"--style uv needs uv.lock or requirements.txt; this project uses {installer}", hint="use --style production")
    if style is Style.UV and installer == "pip" and deps.source_kind != "requirements":
        raise UserInputError("--style uv needs uv.lock or requirements.txt", hint="run `uv lock`, or use --style production")

    if options.python:
        python = Decided(_validate_python(options.python), "--python", "given on the command line")
        if (why := pyversion.refuses(project.pyproject, options.python)) is not None:
            raise UserInputError(f"--python {options.python} contradicts the project: {why}",
                                 hint="pass a version the project allows, or change its constraint")
    else:
        python = project.python_version
    v = python.value
    decisions["python_version"] = python

    if options.port is not None:
        if not 1 <= options.port <= 65535:
            raise UserInputError(f"--port {options.port} is not a TCP port (1-65535)")
        port = Decided(options.port, "--port", "given on the command line")
    elif style is Style.GUIDE:
        port = Decided(80, "guide", "the guide's Dockerfile serves on port 80")
    else:
        port = Decided(8000, "default", "8000 is fastapi run's default; a non-root user needs no privileged port")
    decisions["port"] = port

    if options.workers is not None:
        if options.workers < 1:
            raise UserInputError(f"--workers {options.workers} must be at least 1")
        workers = Decided(options.workers, "--workers", "given on the command line (for one host; replicas elsewhere)")
    else:
        workers = Decided(1, "default", "one process per container: replicate containers, not processes (the guide)")
    decisions["workers"] = workers

    allow_ips: str | None = None
    if options.proxy is not Proxy.NONE or options.forwarded_allow_ips:
        if options.forwarded_allow_ips:
            allow_ips = _validate_ips(options.forwarded_allow_ips)
            decisions["forwarded_allow_ips"] = Decided(allow_ips, "--forwarded-allow-ips", "given on the command line")
        else:
            allow_ips = PRIVATE_NETWORKS
            decisions["forwarded_allow_ips"] = Decided(
                allow_ips, f"--proxy {options.proxy}", "trust proxy headers from private networks only, where a reverse proxy lives"
            )
    elif (fronted := projectcompose.proxy_in_front(project.root)) is not None:
        allow_ips = PRIVATE_NETWORKS
        decisions["forwarded_allow_ips"] = Decided(
            allow_ips, fronted.split(" ")[0], f"the project's own compose file runs a reverse proxy in front of the app, "
            f"{fronted}: trust its headers from private networks only (--forwarded-allow-ips narrows it)")

    if options.base_image:
        base = Decided(options.base_image, "--base-image", "given on the command line")
    elif style is Style.GUIDE:
        base = Decided(f"python:{v}", "guide", "the guide's base: the full official image, pinned to the minor version")
    else:
        base = Decided(f"python:{v}-slim", "default", "slim runtime: Debian with Python only, several times smaller than the full image")
    decisions["base_image"] = base

    builder: str | None
    if style is Style.GUIDE:
        builder = None
    elif options.builder_image:
        builder = options.builder_image
    elif style is Style.MULTISTAGE:
        builder = f"python:{v}"  # the guide's requirements stage uses the full image (compilers for sdists)
    else:
        # same image as the runtime: the virtualenv's interpreter path and version match by construction
        builder = base.value
    for given, image in (("--base-image", options.base_image), ("--builder-image", options.builder_image)):
        named = _IMAGE_PYTHON.match(image or "")
        if named and named[1] != v:
            raise UserInputError(f"{given} {image} is Python {named[1]}, but the image is planned for Python {v}: "
                                 "the virtualenv built in one would not run in the other",
                                 hint=f"use python:{v} images (or pass --python {named[1]})")
    if builder is not None:
        decisions["builder_image"] = Decided(builder, "--builder-image" if options.builder_image else "default",
                                             "the stage that installs dependencies into the virtualenv")

    command = build_command(project, port.value, workers.value, allow_ips)
    healthcheck: tuple[str, ...] | None = None
    health_target = "none"
    if style is Style.PRODUCTION:
        healthcheck, target = _healthcheck(project, port.value)
        health_target = target.value
        decisions["healthcheck"] = target
    if options.start_timeout is not None:
        start_period = Decided(math.ceil(options.start_timeout), "--start-timeout", "given on the command line")
    elif project.config.start_timeout is not None:
        start_period = Decided(math.ceil(project.config.start_timeout), "[tool.quayside] start-timeout",
                               "the project says how long it may take to start")
    else:
        start_period = Decided(DEFAULT_START_PERIOD, "default", "a FastAPI app answers within seconds; failures in the "
                               "first 30 s do not count against it")
    decisions["start_period"] = start_period
    requirements_tool = _requirements_tool(project.root, deps.files) if installer == "pip" else Decided("uv", installer, "")
    if installer == "pip":
        decisions["requirements_tool"] = requirements_tool
    # a step the project's own start command ran before its server: a one-off service runs it (compose), and the
    # image carries its file; one read from the Dockerfile this replaces is named in it, for the next init
    from quayside.inspection.services import read_user_compose

    start_step = startcommand.project_prestart_of(project.root, read_user_compose(project.root))
    step_files = startcommand.step_files(project.root, start_step.argv) if start_step is not None else ()
    prestart_marker = (shlex.join(start_step.argv) if start_step is not None and start_step.source.startswith("Dockerfile")
                       else None)
    if start_step is not None:
        decisions["start_command_step"] = Decided(start_step.argv, start_step.source,
                                                  "run once before the app, never in this image's CMD (one process per "
                                                  "container): compose runs it as its `prestart` service")
    copy_paths, ignore_lines, copy_decision, writable, content = _copy_paths(project, options, step_files)
    linked_files = content.linked_files
    if writable.value:
        decisions["writable"] = writable
    # a driver an extra brings (`sqlalchemy[mysql]` → mysqlclient, built from source) needs its libraries too
    with_drivers = sorted(declared_with_extras([(d.name, d.extras) for d in deps.declared]))
    apt = systemlibs.apt_packages(with_drivers, project_build=project.config.apt_build,
                                  project_runtime=project.config.apt_runtime, given_build=options.apt_build,
                                  given_runtime=options.apt_runtime,
                                  source_builds=tuple(lockwheels.other_platforms_only(project.root)),
                                  no_wheel=_no_wheel_for(project, deps.files if deps.source_kind == "requirements" else (), v))
    if apt.build.value or apt.runtime.value:
        decisions["apt_build"], decisions["apt_runtime"] = apt.build, apt.runtime
    apt_why = apt.build.source
    for package in (*apt.build.value, *apt.runtime.value):
        names.project_path(package, "the Debian package")
    decisions["copy_paths"] = copy_decision
    # names are data: each one lands in a Dockerfile line, so each is checked for what that line can carry
    for path, _ in copy_paths:
        names.project_path(path, "the folder or file")
    for dependency_file in deps.files:
        names.project_path(dependency_file, "the dependency file")
        if not names.is_bare(dependency_file):
            raise UserInputError(f"the dependency file {dependency_file!r} has a character a BuildKit mount option cannot carry",
                                 path=dependency_file, hint="rename it: letters, digits and . _ - / @ + are safe")

    indexes = privateindex.detect(project.root, project.pyproject, deps.files)
    if indexes:
        inline = [i.origin for i in indexes if i.inline_credentials]
        decisions["private_indexes"] = Decided(
            tuple(i.url for i in indexes), ", ".join(i.origin for i in indexes),
            "the dependency step mounts a BuildKit secret for their credentials: `quayside build --secret netrc=~/.netrc`"
            + (f"; {', '.join(inline)} also writes them into the URL: the build reads that file from a bind mount and the "
               "image does not hold it, but your repository does (move them to ~/.netrc)" if inline else ""))
        for index in indexes:
            if not privateindex.SHELL_SAFE_URL.fullmatch(index.url):
                raise UserInputError(f"the package index URL {index.url!r} has a character a Dockerfile line cannot carry safely",
                                     path=index.origin.split(" ")[0].split(":")[0])

    resolve_before = _resolve_before(project, requirements_tool.value, bool(indexes))
    app_settings = read_app_settings(project.root)
    carried = dockerenv.carried_settings(project.root, app_settings)
    port_read_at = next((setting.source for setting in app_settings.settings if setting.name == "PORT"), None)
    if port_read_at is not None:
        decisions["port_env"] = Decided(port.value, port_read_at, f"the code reads PORT ({port_read_at}), as platforms that "
                                        f"set it expect: the image sets it to {port.value}, the port the server listens on")
    if carried:
        decisions["carried_env"] = Decided(
            tuple((c.name, c.value) for c in carried), ", ".join(sorted({c.dockerfile for c in carried})),
            "the project's own Dockerfile sets them and the code reads them ("
            + ", ".join(f"{c.name} at {c.read_at}" for c in carried) + "): kept in the image")
    if resolve_before is not None:
        decisions["resolve_before"] = resolve_before
    if deps.installed_beside is not None:
        decisions["installed_beside"] = Decided(
            deps.installed_beside.requirements, deps.installed_beside.where,
            f"the project's Dockerfile installs {' '.join(deps.installed_beside.requirements)} by name beside "
            f"{deps.files[0] if deps.files else 'its dependency file'}, which does not declare them: the image "
            "installs them too")
    if deps.lock_groups is not None:
        decisions["lock_groups"] = Decided(
            deps.lock_groups.groups, deps.lock_groups.where,
            f"the project's Dockerfile installs the lock's {', '.join(deps.lock_groups.groups)} group"
            f"{'s' if len(deps.lock_groups.groups) > 1 else ''} beside the main one: the image does too")
    if deps.base_image is not None:
        decisions["base_image_packages"] = Decided(
            deps.base_image.requirements, f"{deps.base_image.where} FROM {deps.base_image.image}",
            f"the project's Dockerfile starts from {deps.base_image.image}, which installed packages the app needs "
            f"and does not declare ({'; '.join(deps.base_image.why)}); this image starts from python, so they are "
            "installed beside the project's dependencies, resolved with its pins (the image's gunicorn is not: "
            "uvicorn runs the app)")

    # A base image may ship its standard library without bytecode (this lab's python images do) and the app user
    # cannot write any, so each start compiled the modules the server imports: 1.6 s to the first 200 against the
    # guide image's 1.0 s (whose `RUN pip install` wrote them as a side effect). Importing them once at build,
    # as root, writes their bytecode into the image: +4 MB. Only library modules are imported, never the app.
    warm = (*(("fastapi_cli.cli",) if project.server.value == "fastapi" else ()), "uvicorn.main",
            "socket" if health_target == "tcp" else "urllib.request")
    return DockerfilePlan(
        import_root=project.app.value.import_root,
        # the uv style too: its runtime is the same slim base, and its root user would compile them on every
        # start into a container layer that is thrown away (2.0x the guide image's start, bench/spine.py)
        warm_imports=warm if style is Style.PRODUCTION else warm[:-1] if style is Style.UV else (),  # uv: no health check
        private_indexes=tuple(i.url for i in indexes),
        style=style,
        python_version=v,
        base_image=base.value,
        builder_image=builder,
        uv_image=UV_IMAGE,
        installer=installer,
        source_kind=deps.source_kind,
        dependency_files=deps.files,
        package_project=deps.package_project,
        copy_paths=copy_paths,
        ignore_lines=ignore_lines,
        apt_build=apt.build.value,
        apt_runtime=apt.runtime.value,
        apt_why=apt_why,
        writable=writable.value if style is Style.PRODUCTION else (),
        linked_files=linked_files if style is Style.PRODUCTION else (),
        linked_databases=content.linked_databases if style is Style.PRODUCTION else (),
        system_site_packages=Version(v) < Version("3.12"),
        workspace_requirements=(uvworkspace.export(project.root, project.root / deps.workspace, project.pyproject)
                                if deps.workspace is not None else None),
        written_requirements=deps.written_requirements,
        exported_lock=("the workspace lock's part for this member" if deps.workspace is not None
                       else "Pipfile.lock's default packages" if deps.installer.source == pipfilelock.LOCK else None),
        base_image_requirements=deps.base_image.requirements if deps.base_image is not None else (),
        replaced_base=deps.base_image.image if deps.base_image is not None else None,
        kept_python=v if (ran := pyversion.dockerfile_python(project.root)) is not None and (ran.value, ran.source) == (v, python.source) else None,
        named_requirements=deps.installed_beside.requirements if deps.installed_beside is not None else (),
        lock_groups=deps.lock_groups.groups if deps.lock_groups is not None else (),
        start_period=start_period.value,
        requirements_tool=requirements_tool.value,
        resolve_before=resolve_before.value if resolve_before is not None else None,
        carried_env=tuple((c.name, c.value) for c in carried) if style is Style.PRODUCTION else (),
        port_read_at=port_read_at if style is Style.PRODUCTION else None,
        prestart_marker=prestart_marker,
        port=port.value,
        workers=workers.value,
        command=command,
        healthcheck=healthcheck,
        health_target=health_target,
        user=APP_USER if style is Style.PRODUCTION else None,
        uid=APP_UID,
        decisions=decisions,
    )
