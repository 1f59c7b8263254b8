"""`inspect`: everything quayside knows about a project, read statically, each fact with its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quayside.errors import UserInputError
from quayside.inspection.projectconfig import ProjectConfig, read_config
from quayside.inspection.source import load_toml

if TYPE_CHECKING:
    from quayside.inspection.content import RuntimeContent
    from quayside.inspection.dependencies import Dependencies, Server
    from quayside.inspection.discovery import AppLocation, Route
    from quayside.provenance import Decided

__all__ = ["AppLocation", "ProjectInfo", "Route", "inspect_project"]


def __getattr__(name: str) -> Any:
    """AppLocation and Route, re-exported on first use: importing the package (for `source`, say) stays cheap."""
    if name in ("AppLocation", "Route"):
        from quayside.inspection import discovery

        return getattr(discovery, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ProjectInfo:
    root: Path
    app: Decided[AppLocation]
    dependencies: Dependencies
    python_version: Decided[str]
    server: Decided[Server]
    lifespan: Decided[bool]
    health_path: Decided[str | None]
    ready_path: Decided[str | None]
    routes: tuple[Route, ...]
    routes_complete: bool = True  # False: some routers or prefixes could not be read statically
    config: ProjectConfig = field(default_factory=ProjectConfig)  # [tool.quayside]
    pyproject: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # as read, for later checks

    def runtime_content(self, *, include: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
                        extras: tuple[str, ...] = ()) -> RuntimeContent:
        """What the runtime image holds: the app's import closure, the data it reads, and what the project
        (`[tool.quayside] include/exclude`) and the command line add or take away."""
        from quayside.check.context import parse_dockerignore
        from quayside.inspection.content import runtime_content
        from quayside.targets.docker import render_dockerignore

        ignore = parse_dockerignore(".dockerignore", render_dockerignore())
        app = self.app.value
        given = "[tool.quayside] include", "[tool.quayside] exclude"
        return runtime_content(
            self.root, app.file, app.import_root, extras=extras, ignored=ignore.excludes,
            include=(*((v, given[0]) for v in self.config.include), *((v, "--include") for v in include)),
            exclude=(*((v, given[1]) for v in self.config.exclude), *((v, "--exclude") for v in exclude)),
            writable=tuple((v, "[tool.quayside] writable") for v in self.config.writable),
        )

    @property
    def layout(self) -> str:
        app = self.app.value
        if app.import_root != ".":
            return "src"
        return "package" if "." in app.module else "single-file"

    def decisions(self) -> dict[str, Decided[Any]]:
        return {
            "entrypoint": self.app,
            "installer": self.dependencies.installer,
            "python_version": self.python_version,
            "server": self.server,
            "health_path": self.health_path,
            "ready_path": self.ready_path,
            "lifespan": self.lifespan,
        }

    def to_json(self) -> dict[str, Any]:
        app = self.app.value
        decisions = self.decisions()
        return {
            "root": str(self.root),
            "entrypoint": app.entrypoint,
            "app_path": app.file,
            "app_variable": app.variable,
            "import_root": app.import_root,
            "layout": self.layout,
            "installer": self.dependencies.installer.value,
            "dependency_files": list(self.dependencies.files),
            "python_version": self.python_version.value,
            "server": self.server.value,
            "health_path": self.health_path.value,
            "ready_path": self.ready_path.value,
            "lifespan": self.lifespan.value,
            "openapi_url": app.openapi_url,
            "docs_url": app.docs_url,
            "routes": [{"method": r.method, "path": r.path, "file": r.file, "line": r.line} for r in self.routes],
            "routes_complete": self.routes_complete,
            "sources": {name: d.source for name, d in decisions.items()},
            "reasons": {name: d.reason for name, d in decisions.items()},
        }


def inspect_project(path: Path, *, read_locks: bool = True) -> ProjectInfo:
    """The project's facts. read_locks=False skips proving that lock files parse (what a build needs, and the
    slowest read of a large project); `check` lints the files and does not need it."""
    if not path.exists():
        raise UserInputError("no such directory", path=path, hint="pass the directory of your FastAPI project")
    if not path.is_dir():
        raise UserInputError("is not a directory", path=path, hint="pass the project directory, not a file inside it")
    from quayside.inspection import dependencies, discovery, pyversion
    from quayside.provenance import Decided

    root = path.resolve()
    pyproject: dict[str, Any] | None = None
    if (root / "pyproject.toml").is_file():
        pyproject = load_toml(root / "pyproject.toml", display="pyproject.toml")
    entrypoint = None
    if pyproject is not None:
        fastapi_table = pyproject.get("tool", {}).get("fastapi", {})
        entrypoint = fastapi_table.get("entrypoint") if isinstance(fastapi_table, dict) else None
        if entrypoint is not None and not isinstance(entrypoint, str):
            raise UserInputError("[tool.fastapi] entrypoint must be a string", path="pyproject.toml")
    config = read_config(pyproject)
    found = discovery.discover(root, entrypoint)
    if pyproject is None and not (root / "requirements.txt").is_file():
        _refuse_service_in_subfolder(path, root, found.app.value.file)
    deps = dependencies.detect(root, pyproject, read_locks=read_locks)
    requirements = deps.files if deps.source_kind == "requirements" and read_locks else ()
    as_of = resolved_as_of(root, deps, config) if requirements else None
    return ProjectInfo(
        root=root,
        app=found.app,
        dependencies=deps,
        python_version=pyversion.fit_to_known_faults(root, pyproject, pyversion.fit_to_pins(
            root, pyproject, pyversion.fit_to_lock(root, pyproject, pyversion.detect(root, pyproject)),
            requirements, as_of[:2] if as_of else None), deps.files if deps.source_kind == "requirements" else ()),
        server=dependencies.detect_server(deps),
        lifespan=found.lifespan,
        health_path=(Decided(config.health_path, "[tool.quayside] health-path", "the project names its health route")
                     if config.health_path else found.health_path),
        ready_path=found.ready_path,
        routes=found.routes,
        routes_complete=found.routes_complete,
        config=config,
        pyproject=pyproject,
    )


def resolved_as_of(root: Path, deps: Dependencies, config: ProjectConfig) -> tuple[str, str, str] | None:
    """(day, why, source) that a requirements install resolves as of (uv's --exclude-newer), or None for today:
    the day `[tool.quayside] resolve-before` names; else, when every requirement is an exact pin, the day after
    the newest pinned release was uploaded; else, when the project's git history holds its requirements as they
    are on disk, the day after its last commit (what its authors could have installed then: SQLAlchemy 2.1 came
    later and dropped greenlet, so an unpinned `sqlalchemy` of 2025 used with asyncio fails at import today)."""
    from datetime import UTC, date, datetime, timedelta

    from quayside.engine import git
    from quayside.inspection import indexwheels

    if deps.installer.value != "pip" or deps.source_kind != "requirements" or config.resolve_before is False:
        return None
    if isinstance(config.resolve_before, str):
        return f"{config.resolve_before}T00:00:00Z", "[tool.quayside] resolve-before", "[tool.quayside] resolve-before"
    found = indexwheels.pinned_as_of(root, deps.files)
    if found is not None:
        uploaded, release = found
        day = (date.fromisoformat(uploaded[:10]) + timedelta(days=1)).isoformat()
        return (f"{day}T00:00:00Z", f"the day after the newest pin, {release}, was uploaded on {uploaded[:10]}",
                deps.files[0])
    changed = git.last_change(root, deps.declared_in or deps.files)
    if changed is None:
        return None
    committed = datetime.fromisoformat(changed.committed).astimezone(UTC).date()
    day = (committed + timedelta(days=1)).isoformat()
    return (f"{day}T00:00:00Z", f"the day after the project's last commit, {changed.commit} of {committed}",
            f"git history ({changed.commit})")


SERVICE_FILES = ("requirements.txt", "pyproject.toml")


def _refuse_service_in_subfolder(given: Path, root: Path, app_file: str) -> None:
    """The folder holds no dependency file, but the app sits in a subfolder that has one (a repository with
    `backend/`, `server/`, `project/`): that subfolder is the project, so say which and how to run on it."""
    folder = (root / app_file).parent
    while folder != root and root in folder.parents:
        has = [name for name in SERVICE_FILES if (folder / name).is_file()]
        if has:
            service = folder.relative_to(root).as_posix()
            shown = (given / service).as_posix()
            raise UserInputError(
                f"the app ({app_file}) lives in {service}/, which has its own {has[0]}: that folder is the project",
                path=given,
                hint=f"run `quayside inspect {shown}` (and init, build, verify, up on {shown})",
            )
        folder = folder.parent
