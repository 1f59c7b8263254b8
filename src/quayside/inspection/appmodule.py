"""What one Python module tells us about FastAPI, read with `ast` (user code is never imported).

Finds module-level FastAPI instances (direct, through an alias, a subclass or a module-level factory),
whether a lifespan is used, the docs/openapi URLs, and the routes declared on the app and on APIRouters,
with the `include_router` calls that connect them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


@dataclass(frozen=True)
class AppInstance:
    variable: str
    line: int
    lifespan: bool
    # None: disabled by the app; str: the URL; "?" could not be read statically (kept as FastAPI's default)
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"


@dataclass(frozen=True)
class RouteDecl:
    method: str
    path: str
    line: int


@dataclass
class RouterDecl:
    prefix: str | None  # None: set from something not read statically (a setting, a call)
    routes: list[RouteDecl] = field(default_factory=list)
    # (how the included router is named in this module, prefix given to include_router; None as above)
    includes: list[tuple[ast.expr, str | None]] = field(default_factory=list)


@dataclass
class ModuleFacts:
    apps: list[AppInstance]
    routers: dict[str, RouterDecl]  # variable -> router; the apps' own routes are here too, keyed by app variable
    imports: dict[str, tuple[str, int, str | None]]  # local name -> (module, level, attribute or None)
    on_event_apps: set[str]


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Names:
    """The local names under which `fastapi.FastAPI` and `fastapi.APIRouter` are reachable."""

    def __init__(self, tree: ast.Module):
        self.fastapi_names: set[str] = set()
        self.router_names: set[str] = set()
        self.fastapi_modules: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in ("fastapi", "fastapi.applications", "fastapi.routing"):
                for alias in node.names:
                    if alias.name == "FastAPI":
                        self.fastapi_names.add(alias.asname or alias.name)
                    elif alias.name == "APIRouter":
                        self.router_names.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "fastapi":
                        self.fastapi_modules.add(alias.asname or "fastapi")
        # class MyApp(FastAPI): ... makes MyApp(...) an app too
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(self.is_fastapi_ref(b) for b in node.bases):
                self.fastapi_names.add(node.name)

    def _is_ref(self, node: ast.expr, names: set[str], attr: str) -> bool:
        if isinstance(node, ast.Name):
            return node.id in names
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id in self.fastapi_modules
        )

    def is_fastapi_ref(self, node: ast.expr) -> bool:
        return self._is_ref(node, self.fastapi_names, "FastAPI")

    def is_router_ref(self, node: ast.expr) -> bool:
        return self._is_ref(node, self.router_names, "APIRouter")


def _app_from_call(call: ast.Call, variable: str, line: int) -> AppInstance:
    kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg}

    def url(name: str, default: str) -> str | None:
        if name not in kwargs:
            return default
        value = kwargs[name]
        if isinstance(value, ast.Constant) and value.value is None:
            return None
        return _const_str(value) or default

    lifespan_node = kwargs.get("lifespan")
    has_lifespan = lifespan_node is not None and not (
        isinstance(lifespan_node, ast.Constant) and lifespan_node.value is None
    )
    return AppInstance(
        variable=variable,
        line=line,
        lifespan=has_lifespan,
        openapi_url=url("openapi_url", "/openapi.json"),
        docs_url=url("docs_url", "/docs"),
    )


@dataclass(frozen=True)
class _Factory:
    call: ast.Call
    inner_variable: str | None  # the app's name inside the factory, whose routes become the module app's


def _factories(tree: ast.Module, names: _Names) -> dict[str, _Factory]:
    """Module-level functions that build and return a FastAPI app: `def create_app(): app = FastAPI(...); return app`."""
    found: dict[str, _Factory] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and names.is_fastapi_ref(inner.func):
                    found[node.name] = _Factory(inner, None)
                    break
            if node.name not in found:
                continue
            for inner in ast.walk(node):
                targets, value = _assigned_names(inner) if isinstance(inner, ast.stmt) else ([], None)
                if targets and value is found[node.name].call:
                    found[node.name] = _Factory(value, targets[0])
    return found


def _assigned_names(node: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def _route_of(decorator: ast.expr) -> tuple[str, str, str] | None:
    """`@x.get("/p")` -> ("x", "GET", "/p"); `@x.api_route("/p", methods=[...])` -> first method."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    owner = decorator.func.value
    if not isinstance(owner, ast.Name):
        return None
    attr = decorator.func.attr
    path = _const_str(decorator.args[0]) if decorator.args else None
    for kw in decorator.keywords:
        if kw.arg == "path":
            path = _const_str(kw.value)
    if path is None:
        return None
    if attr in HTTP_METHODS:
        return owner.id, attr.upper(), path
    if attr == "api_route":
        methods = ["GET"]
        for kw in decorator.keywords:
            if kw.arg == "methods" and isinstance(kw.value, (ast.List, ast.Tuple, ast.Set)):
                methods = [m for m in (_const_str(e) for e in kw.value.elts) if m] or methods
        return owner.id, methods[0].upper(), path
    return None


def analyse_module(tree: ast.Module, *, routes: bool = True) -> ModuleFacts:
    """routes=False reads only the module level (the apps, routers and imports): enough to tell whether a
    module defines an app, without walking every function body."""
    names = _Names(tree)
    factories = _factories(tree, names)
    apps: list[AppInstance] = []
    routers: dict[str, RouterDecl] = {}
    imports: dict[str, tuple[str, int, str | None]] = {}
    on_event_apps: set[str] = set()
    aliases: dict[str, str] = {}  # a factory's local app name -> the module-level app it becomes

    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imports[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname else alias.name.split(".")[0], 0, None)
        targets, value = _assigned_names(node)
        if not targets or not isinstance(value, ast.Call):
            continue
        for target in targets:
            if names.is_fastapi_ref(value.func):
                apps.append(_app_from_call(value, target, node.lineno))
                routers[target] = RouterDecl(prefix="")
            elif isinstance(value.func, ast.Name) and value.func.id in factories:
                factory = factories[value.func.id]
                apps.append(_app_from_call(factory.call, target, node.lineno))
                routers[target] = RouterDecl(prefix="")
                if factory.inner_variable and factory.inner_variable not in routers:
                    aliases[factory.inner_variable] = target
            elif names.is_router_ref(value.func):
                prefix: str | None = ""
                for kw in value.keywords:
                    if kw.arg == "prefix":
                        prefix = _const_str(kw.value)
                routers[target] = RouterDecl(prefix=prefix)

    def owner(name: str) -> str:
        return aliases.get(name, name) if name not in routers else name

    for walked in ast.walk(tree) if routes else ():
        if isinstance(walked, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in walked.decorator_list:
                route = _route_of(decorator)
                if route and owner(route[0]) in routers:
                    routers[owner(route[0])].routes.append(RouteDecl(route[1], route[2], walked.lineno))
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "on_event"
                    and isinstance(decorator.func.value, ast.Name)
                ):
                    on_event_apps.add(owner(decorator.func.value.id))
        elif (
            isinstance(walked, ast.Call)
            and isinstance(walked.func, ast.Attribute)
            and walked.func.attr == "include_router"
            and isinstance(walked.func.value, ast.Name)
            and owner(walked.func.value.id) in routers
            and walked.args
        ):
            include_prefix: str | None = ""
            for kw in walked.keywords:
                if kw.arg == "prefix":
                    include_prefix = _const_str(kw.value)
            routers[owner(walked.func.value.id)].includes.append((walked.args[0], include_prefix))

    return ModuleFacts(apps=apps, routers=routers, imports=imports, on_event_apps=on_event_apps)
