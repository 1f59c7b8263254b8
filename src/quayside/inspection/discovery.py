"""Find the FastAPI app the way `fastapi run` would, without importing anything.

Order: `[tool.fastapi] entrypoint` in pyproject.toml; then fastapi-cli's default paths; then the same
names inside `src/` packages; then, as a last resort, a scan of the project's own Python files.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from quayside.errors import UserInputError
from quayside.inspection.appmodule import AppInstance, ModuleFacts, analyse_module, app_from_call
from quayside.inspection.source import parse_python
from quayside.inspection.startcommand import DocumentedTarget, documented_targets
from quayside.inspection.staticvalues import StaticStrings
from quayside.provenance import Decided

# fastapi-cli's get_default_path() order
FASTAPI_CLI_CANDIDATES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
SRC_NAMES = ("main.py", "app.py", "api.py")
PREFERRED_VARIABLES = ("app", "api")
SCAN_SKIP_DIRS = {
    ".venv", "venv", "env", ".env", ".git", ".tox", ".nox", "node_modules", "build", "dist", "site-packages",
    "tests", "test", "docs", "migrations", "alembic", "__pycache__", ".mypy_cache", ".pytest_cache",
}
SCAN_MAX_DEPTH = 3
HEALTH_PATHS = ("/health", "/healthz", "/health/live", "/livez", "/live", "/ping", "/healthcheck", "/health-check",
                "/status")
READY_PATHS = ("/ready", "/readyz", "/health/ready", "/readiness", "/health/db", "/health/database", "/healthz/db")
# matched only as the whole tail of a route (`/api/health/db`): a route merely ending in /db is no readiness check
_TAIL_ONLY = {"/health/db", "/health/database", "/healthz/db"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    file: str
    line: int


@dataclass(frozen=True)
class AppLocation:
    file: str  # project-relative POSIX path of the module that defines the app
    module: str  # import path, e.g. "app.main"
    variable: str
    import_root: str  # directory (project-relative) that must be on sys.path: "." or "src"
    line: int
    lifespan: bool
    openapi_url: str | None
    docs_url: str | None
    # where the app's own routes are declared, when not on `variable` in `file`: a factory in another module
    # (`app = create_app()`, with create_app imported) declares them on its local app, keyed "create_app()"
    factory_file: str | None = None
    factory_key: str | None = None
    # app/ has no __init__.py but its modules import `app.x`: a namespace package run from the project root,
    # which `fastapi run app/main.py` cannot import (it puts app/ itself on sys.path); uvicorn app.main:app can
    namespace: bool = False

    @property
    def routes_file(self) -> str:
        return self.factory_file or self.file

    @property
    def routes_variable(self) -> str:
        return self.factory_key or self.variable

    @property
    def entrypoint(self) -> str:
        return f"{self.module}:{self.variable}"

    def __str__(self) -> str:
        return f"{self.entrypoint} ({self.file}, import root {self.import_root})"


@dataclass(frozen=True)
class Discovery:
    app: Decided[AppLocation]
    routes: tuple[Route, ...]
    routes_complete: bool
    lifespan: Decided[bool]
    health_path: Decided[str | None]
    ready_path: Decided[str | None]


class _Reader:
    """Parses each file once; errors name the file relative to the project."""

    def __init__(self, root: Path):
        self.root = root
        self._facts: dict[Path, ModuleFacts] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def facts(self, path: Path) -> ModuleFacts:
        if path not in self._facts:
            self._facts[path] = _analysed(path, self.rel(path), routes=True)
        return self._facts[path]

    def apps(self, path: Path, *, routes: bool = False) -> list[FoundApp]:
        """The module's apps (its routes are read when it turns out to be the app's module, or routes=True)."""
        if routes or path in self._facts:
            facts = self.facts(path)
        else:
            facts = _analysed(path, self.rel(path), routes=False)
        return _apps_of(self, path, facts, module_path(self.root, path)[1])


# One process may inspect several build contexts of one repository (`check` over a monorepo): a module read
# for one is not read again for the next, unless it changed (facts are never modified after analysis).
_ANALYSED: dict[tuple[Path, int, int, bool], ModuleFacts] = {}


def _analysed(path: Path, display: str, *, routes: bool) -> ModuleFacts:
    try:
        stat = path.stat()
    except OSError:
        return analyse_module(parse_python(path, display=display), routes=routes)  # the reader's error names the file
    key = (path, stat.st_mtime_ns, stat.st_size, routes)
    if key not in _ANALYSED:
        if len(_ANALYSED) > 20_000:
            _ANALYSED.clear()
        _ANALYSED[key] = analyse_module(parse_python(path, display=display), routes=routes)
    return _ANALYSED[key]


def module_path(root: Path, file: Path) -> tuple[str, str]:
    """(import path, import root) from the chain of `__init__.py` parents, as fastapi-cli computes it.

    The walk stops at the project root: the root is what gets copied to WORKDIR, never a package itself.
    """
    parts = [file.stem] if file.stem != "__init__" else []
    directory = file.parent
    while directory != root and (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    import_root = directory.relative_to(root).as_posix() if directory != root else "."
    return ".".join(parts), import_root


def _choose_instance(apps: list[FoundApp], display: str) -> tuple[FoundApp, str]:
    by_name = {a.app.variable: a for a in apps}
    for preferred in PREFERRED_VARIABLES:
        if preferred in by_name:
            return by_name[preferred], f"variable `{preferred}` (fastapi-cli prefers `app`, then `api`)"
    if len(apps) == 1:
        return apps[0], f"the only FastAPI instance in {display}"
    listed = ", ".join(f"`{a.app.variable}` (line {a.app.line})" for a in apps)
    raise UserInputError(
        f"{len(apps)} FastAPI instances and none is named `app` or `api`: {listed}",
        path=display,
        hint='say which one to run: [tool.fastapi] entrypoint = "module:variable" in pyproject.toml',
    )


def _resolve_module(root: Path, import_roots: list[Path], dotted: str) -> Path | None:
    rel = PurePosixPath(*dotted.split("."))
    for base in import_roots:
        for candidate in (base / f"{rel}.py", base / rel / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _from_entrypoint(reader: _Reader, entrypoint: str) -> Decided[AppLocation]:
    root = reader.root
    module, _, variable = entrypoint.partition(":")
    if not module or not all(part.isidentifier() for part in module.split(".")) or (variable and not variable.isidentifier()):
        raise UserInputError(
            f'[tool.fastapi] entrypoint "{entrypoint}" is not of the form "module.path:variable"',
            path="pyproject.toml",
            hint='for example: entrypoint = "app.main:app"',
        )
    file = _resolve_module(root, [root, root / "src"], module)
    if file is None:
        raise UserInputError(
            f'[tool.fastapi] entrypoint "{entrypoint}": no module {module} under the project or src/',
            path="pyproject.toml",
            hint="fix the module path, or create the module",
        )
    display = reader.rel(file)
    apps = reader.apps(file, routes=True)
    if variable:
        instances = [a for a in apps if a.app.variable == variable]
        if not instances:
            raise UserInputError(
                f'[tool.fastapi] entrypoint "{entrypoint}": {display} defines no FastAPI instance `{variable}` at module level',
                path="pyproject.toml",
                hint=f"found: {', '.join(a.app.variable for a in apps) or 'none'}",
            )
        instance, how = instances[0], f"variable `{variable}` named by the entrypoint"
    else:
        if not apps:
            raise UserInputError(f"{display} has no module-level FastAPI instance", path="pyproject.toml")
        instance, how = _choose_instance(apps, display)
    dotted, import_root = module_path(root, file)
    return Decided(
        _location(reader, display, dotted, import_root, instance),
        "pyproject [tool.fastapi]",
        f'pyproject.toml sets [tool.fastapi] entrypoint = "{entrypoint}"; {how}',
    )


def _namespace_package(reader: _Reader, display: str, module: str, import_root: str) -> tuple[str, str] | None:
    """(module, import root) when the app's folder is a namespace package its own code imports by name."""
    if import_root == "." or "/" in import_root:
        return None
    folder = reader.root / import_root
    if (folder / "__init__.py").is_file():
        return None
    try:
        imports = reader.facts(reader.root / display).imports.values()
    except UserInputError:
        return None
    # `from app.config import X`, or `from . import models` (samrajkodai/FastAPI, whose Procfile runs
    # app.main:app): either way the module lives in the package app; imported as `main` it fails at that line
    if any((level == 0 and name.split(".")[0] == import_root) or level > 0 for name, level, _ in imports):
        return f"{import_root}.{module}", "."
    return None


def _script_folder(reader: _Reader, display: str, module: str, import_root: str) -> tuple[str, str] | None:
    """(module, import root) when the app's module, inside a package, imports a module of its own folder by bare
    name (`import sql` in src/main.py beside src/sql/, started as `python src/main.py`: sylviakyu/fastapi_crud)
    that nothing on the import root provides: only that folder on sys.path finds it, as running the file did.
    Not when the module imports relatively: as a top-level module those imports would fail instead."""
    if "." not in module:
        return None
    file = reader.root / display
    base = reader.root / import_root if import_root != "." else reader.root
    try:
        imports = list(reader.facts(file).imports.values())
    except UserInputError:
        return None
    if any(level > 0 for _, level, _ in imports):
        return None

    def provides(folder: Path, name: str) -> bool:
        return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()

    for name, _, _ in imports:
        top = name.split(".")[0]
        if top and not provides(base, top) and provides(file.parent, top):
            return file.stem, file.parent.relative_to(reader.root).as_posix()
    return None


def _location(reader: _Reader, display: str, module: str, import_root: str, instance: FoundApp) -> AppLocation:
    app = instance.app
    namespace = _namespace_package(reader, display, module, import_root)
    if namespace is not None:
        module, import_root = namespace
    elif (script := _script_folder(reader, display, module, import_root)) is not None:
        module, import_root = script
    location = AppLocation(
        file=display,
        module=module,
        variable=app.variable,
        import_root=import_root,
        line=app.line,
        lifespan=app.lifespan,
        openapi_url=app.openapi_url,
        docs_url=app.docs_url,
        factory_file=reader.rel(instance.factory[0]) if instance.factory else None,
        factory_key=instance.factory[1] if instance.factory else None,
        namespace=namespace is not None,
    )
    if app.openapi_expr is None and app.docs_expr is None:
        return location
    # openapi_url=f"{settings.API_V1_STR}/openapi.json": read the setting's default
    strings = _strings(reader, location)
    declared_in = reader.root / (instance.factory[0] if instance.factory else display)
    openapi = strings.string(declared_in, app.openapi_expr) if app.openapi_expr is not None else app.openapi_url
    docs = strings.string(declared_in, app.docs_expr) if app.docs_expr is not None else app.docs_url
    # docs whose path comes from the environment (`docs_url=f"/api/{os.getenv('docs_url')}"`) are at no path known
    # here: nothing to ask for (the OpenAPI path keeps its default, which the health check may still find)
    return replace(location, openapi_url=openapi or app.openapi_url, docs_url=docs if app.docs_expr is not None else app.docs_url)


@dataclass(frozen=True)
class FoundApp:
    app: AppInstance
    factory: tuple[Path, str] | None = None  # (module, router key) when made by a factory in another module


def _apps_of(reader: _Reader, file: Path, facts: ModuleFacts, import_root: str) -> list[FoundApp]:
    """The module's apps: its own FastAPI instances, and `app = create_app()` where create_app is imported
    from a module of the project that builds and returns a FastAPI app."""
    found = [FoundApp(a) for a in facts.apps]
    root = reader.root
    import_roots = [root / import_root] if import_root != "." else [root]
    if root not in import_roots:
        import_roots.append(root)
    for variable, (called, line) in facts.imported_calls.items():
        module, level, attr = facts.imports[called]
        if not attr:
            continue
        target = resolve_import(root, import_roots, file, module, level)
        if target is None:
            continue
        try:
            target_facts = reader.facts(target)
        except UserInputError:
            continue
        factory = target_facts.factories.get(attr)
        if factory is not None:
            found.append(FoundApp(app_from_call(factory.call, variable, line), (target, f"{attr}()")))
        elif attr in target_facts.app_classes:
            # `app = App()` with `class App(FastAPI)` defined in another module (ayeo144/fastapi-explore's run.py)
            call = ast.Call(func=ast.Name(id=attr, ctx=ast.Load()), args=[], keywords=[])
            found.append(FoundApp(app_from_call(call, variable, line)))
    return found


def _candidate_ranks(root: Path) -> list[list[Path]]:
    """Candidates grouped by rank; two apps in one rank are equally good, which is an ambiguity."""
    ranks: list[list[Path]] = [[root / c] for c in FASTAPI_CLI_CANDIDATES]
    src = root / "src"
    if src.is_dir():
        ranks.extend([[src / name] for name in SRC_NAMES])
        packages = sorted(p for p in src.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
        for name in SRC_NAMES:
            ranks.append([p / name for p in packages])
    return ranks


def _scan(root: Path) -> list[Path]:
    found: list[Path] = []

    def walk(directory: Path, depth: int) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if depth < SCAN_MAX_DEPTH and entry.name not in SCAN_SKIP_DIRS and not entry.name.startswith("."):
                    walk(entry, depth + 1)
            elif entry.suffix == ".py" and not entry.name.startswith("test_") and entry.name != "conftest.py":
                found.append(entry)

    walk(root, 0)
    return found


# ... or makes its app by calling a factory: `app = create_app()` (the factory may live in another module)
_MAY_DEFINE_APP = re.compile(rb"FastAPI\s*[()]|FastAPI\s+as\b|^(?:app|api|application)\s*(?::[^=\n]*)?=\s*\w+\(", re.M)


def _may_define_app(path: Path) -> bool:
    try:
        return _MAY_DEFINE_APP.search(path.read_bytes()) is not None
    except OSError:
        return True  # let the reader report it


def _documented(reader: _Reader, candidates: list[Path]) -> Decided[AppLocation] | None:
    """The one of several modules defining an app that the project's own start command serves (trading_app's
    Makefile runs `uvicorn apps.main:app`; apps/currency/ex.py makes a FastAPI() too)."""
    chosen: dict[tuple[Path, str], tuple[DocumentedTarget, FoundApp]] = {}
    for target in documented_targets(reader.root):
        module, _, variable = target.entrypoint.partition(":")
        file = _resolve_module(reader.root, [reader.root, reader.root / "src"], module)
        if file is None or file not in candidates:
            continue
        instance = next((a for a in reader.apps(file, routes=True) if a.app.variable == variable), None)
        if instance is not None:
            chosen.setdefault((file, variable), (target, instance))
    if len(chosen) != 1:
        return None  # none, or the project's files disagree: the user must say
    [((file, _), (target, instance))] = chosen.items()
    display = reader.rel(file)
    dotted, import_root = module_path(reader.root, file)
    others = ", ".join(reader.rel(f) for f in candidates if f != file)
    return Decided(
        _location(reader, display, dotted, import_root, instance),
        f"start command {target.source}",
        f"several modules define an app ({others} too); the project's own start command serves "
        f"{target.entrypoint} ({target.source})",
    )


def _discover(reader: _Reader) -> Decided[AppLocation]:
    root = reader.root
    skipped: list[str] = []
    for rank in _candidate_ranks(root):
        with_apps = [(f, reader.apps(f, routes=True)) for f in rank if f.is_file()]
        for f, apps in with_apps:
            if not apps:
                skipped.append(reader.rel(f))
        with_apps = [(f, apps) for f, apps in with_apps if apps]
        if len(with_apps) > 1:
            if (documented := _documented(reader, [f for f, _ in with_apps])) is not None:
                return documented
            listed = ", ".join(reader.rel(f) for f, _ in with_apps)
            raise UserInputError(
                f"two equally good app candidates: {listed}",
                hint='say which one to run: [tool.fastapi] entrypoint = "module:variable" in pyproject.toml',
            )
        if with_apps:
            file, apps = with_apps[0]
            display = reader.rel(file)
            instance, how = _choose_instance(apps, display)
            dotted, import_root = module_path(root, file)
            note = f" (skipped {', '.join(skipped)}: no FastAPI instance)" if skipped else ""
            return Decided(
                _location(reader, display, dotted, import_root, instance),
                f"auto-discovery {display}",
                f"{display} is the first of fastapi-cli's default paths (then src/) that defines a FastAPI app; {how}{note}",
            )
    # only a module that calls, subclasses or renames FastAPI can define an app: the others (most of a large
    # repository, including modules that name FastAPI in a type hint) are not parsed
    scanned = [(f, apps) for f in _scan(root) if _may_define_app(f) and (apps := reader.apps(f))]
    if len(scanned) == 1:
        file, apps = scanned[0]
        display = reader.rel(file)
        instance, how = _choose_instance(apps, display)
        dotted, import_root = module_path(root, file)
        return Decided(
            _location(reader, display, dotted, import_root, instance),
            f"scan {display}",
            f"none of fastapi-cli's default paths defines an app; {display} is the only module that does; {how}",
        )
    if len(scanned) > 1:
        if (documented := _documented(reader, [f for f, _ in scanned])) is not None:
            return documented
        listed = ", ".join(reader.rel(f) for f, _ in scanned)
        raise UserInputError(
            f"no app at fastapi-cli's default paths, and several modules define one: {listed}",
            hint='say which one to run: [tool.fastapi] entrypoint = "module:variable" in pyproject.toml',
        )
    raise UserInputError(
        "no FastAPI app found: no module-level `FastAPI(...)` in main.py, app.py, api.py, app/main.py, app/app.py, "
        "app/api.py, src/, or any other module of the project",
        path=str(root),
        hint='create app/main.py with `app = FastAPI()`, or set [tool.fastapi] entrypoint = "module:variable" in pyproject.toml',
    )


def resolve_import(root: Path, import_roots: list[Path], file: Path, module: str, level: int) -> Path | None:
    if level == 0:
        return _resolve_module(root, import_roots, module)
    base = file.parent
    for _ in range(level - 1):
        base = base.parent
    target = base.joinpath(*module.split(".")) if module else base
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _strings(reader: _Reader, app: AppLocation) -> StaticStrings:
    root = reader.root
    import_roots = [root / app.import_root] if app.import_root != "." else [root]

    def facts(path: Path) -> ModuleFacts:
        try:
            return reader.facts(path)
        except UserInputError:  # a broken module: nothing read from it
            return ModuleFacts([], {}, {}, set())

    return StaticStrings(facts, lambda file, module, level: resolve_import(root, import_roots, file, module, level))


def _collect_routes(reader: _Reader, app: AppLocation) -> tuple[list[Route], bool]:
    """The app's routes, and whether that list is complete: False when an included router or a prefix could
    not be read statically (a router from a package's __init__, a prefix from a call), so a path missing
    from the list may still be served. Prefixes from settings defaults and module constants are read."""
    root = reader.root
    complete = [True]
    import_roots = [root / app.import_root] if app.import_root != "." else [root]
    strings = _strings(reader, app)
    routes: list[Route] = []
    seen: set[tuple[Path, str]] = set()

    def resolve_here(file: Path, module: str, level: int) -> Path | None:
        return resolve_import(root, import_roots, file, module, level)

    def walk_router(file: Path, variable: str, prefix: str, depth: int) -> None:
        if (file, variable) in seen:
            return
        if depth > 6:
            complete[0] = False
            return
        seen.add((file, variable))
        facts = reader.facts(file)
        router = facts.routers.get(variable)
        if router is None:
            # `from .endpoints import router` re-exported through a package's __init__
            target = _included_router(file, facts, ast.Name(id=variable))
            if target is not None and target != (file, variable):
                seen.discard((file, variable))
                walk_router(target[0], target[1], prefix, depth + 1)
            else:
                complete[0] = False
            return
        own_prefix = router.prefix if router.prefix is not None else strings.string(file, router.prefix_expr)
        if own_prefix is None:
            complete[0] = False
        base = prefix + (own_prefix or "")
        for r in router.routes:
            path = r.path if r.path_expr is None else strings.string(file, r.path_expr)
            if path is None:
                complete[0] = False
                continue
            routes.append(Route(r.method, base + path, reader.rel(file), r.line))
        for expr, include_prefix, include_expr in router.includes:
            if include_prefix is None:
                include_prefix = strings.string(file, include_expr)
            if include_prefix is None:
                complete[0] = False
            target = _included_router(file, facts, expr)
            if target:
                walk_router(target[0], target[1], base + (include_prefix or ""), depth + 1)
            else:
                complete[0] = False

    def _included_router(file: Path, facts: ModuleFacts, expr: ast.expr) -> tuple[Path, str] | None:
        # router defined here, `from .x import router`, or `from . import x` + `x.router`
        if isinstance(expr, ast.Name):
            if expr.id in facts.routers:
                return file, expr.id
            if expr.id in facts.imports:
                module, level, attr = facts.imports[expr.id]
                if attr:
                    # `from .api import api_router`: a module attribute; `from . import items`: a submodule
                    target = resolve_here(file, module, level)
                    if target is not None:
                        return target, attr
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in facts.imports:
            module, level, attr = facts.imports[expr.value.id]
            dotted = f"{module}.{attr}" if attr and module else (attr or module)
            target = resolve_here(file, dotted, level)
            if target is not None:
                return target, expr.attr
        return None

    # a broken module the app includes: routes stay partial, the app itself was read fine
    try:
        walk_router(root / app.routes_file, app.routes_variable, "", 0)
    except UserInputError:
        complete[0] = False
    return routes, complete[0]


def _pick_path(routes: list[Route], preferred: tuple[str, ...], kind: str) -> Decided[str | None]:
    gets = {r.path: r for r in routes if r.method == "GET" and "{" not in r.path}
    for path in preferred:
        if path in gets:
            r = gets[path]
            return Decided(path, f"route {r.file}:{r.line}", f"GET {path} is declared at {r.file}:{r.line}")
    for path, r in gets.items():
        tail = next((p for p in preferred if p in _TAIL_ONLY and path.rstrip("/").endswith(p)), None)
        if tail is not None:
            return Decided(path, f"route {r.file}:{r.line}", f"GET {path} at {r.file}:{r.line} looks like a {kind} endpoint")
    suffixes = {p.rstrip("/").rsplit("/", 1)[-1] for p in preferred if p not in _TAIL_ONLY}
    for path, r in gets.items():
        if path.rstrip("/").rsplit("/", 1)[-1] in suffixes:
            return Decided(path, f"route {r.file}:{r.line}", f"GET {path} at {r.file}:{r.line} looks like a {kind} endpoint")
    return Decided(None, "routes", f"no GET route named like a {kind} endpoint ({', '.join(preferred)})")


def discover(root: Path, entrypoint: str | None) -> Discovery:
    reader = _Reader(root)
    app = _from_entrypoint(reader, entrypoint) if entrypoint else _discover(reader)
    routes, routes_complete = _collect_routes(reader, app.value)
    facts = reader.facts(root / app.value.routes_file)
    on_event = app.value.routes_variable in facts.on_event_apps
    if app.value.lifespan:
        lifespan = Decided(True, f"{app.value.file}:{app.value.line}", "FastAPI(lifespan=...) is passed")
    elif on_event:
        lifespan = Decided(True, app.value.file, "@app.on_event handlers run at startup/shutdown")
    else:
        lifespan = Decided(False, app.value.file, "no lifespan= argument and no @app.on_event handlers")
    return Discovery(
        app=app,
        routes=tuple(routes),
        routes_complete=routes_complete,
        lifespan=lifespan,
        health_path=_pick_path(routes, HEALTH_PATHS, "liveness"),
        ready_path=_pick_path(routes, READY_PATHS, "readiness"),
    )
