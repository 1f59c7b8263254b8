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
    # the expressions of openapi_url=/docs_url= when not plain strings (a setting, an f-string): resolved later
    openapi_expr: ast.expr | None = field(default=None, compare=False, repr=False)
    docs_expr: ast.expr | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RouteDecl:
    method: str
    path: str  # "" when path_expr holds it
    line: int
    path_expr: ast.expr | None = field(default=None, compare=False, repr=False)  # `@router.get(settings.HEALTH)`


@dataclass
class RouterDecl:
    prefix: str | None  # None: set from something not read statically (a setting, a call)
    routes: list[RouteDecl] = field(default_factory=list)
    # (how the included router is named in this module, prefix given to include_router; None as above,
    # the prefix's expression when it is not a plain string)
    includes: list[tuple[ast.expr, str | None, ast.expr | None]] = field(default_factory=list)
    prefix_expr: ast.expr | None = None


@dataclass
class ClassDecl:
    bases: list[ast.expr]
    attributes: dict[str, ast.expr]  # class-level defaults: `API_V1_STR: str = "/api/v1"`, `X = Field("/x")`


@dataclass(frozen=True)
class Factory:
    call: ast.Call
    inner_variable: str | None  # the app's name inside the factory, whose routes become the module app's


@dataclass
class ModuleFacts:
    apps: list[AppInstance]
    routers: dict[str, RouterDecl]  # variable -> router; the apps' own routes are here too, keyed by app variable
    imports: dict[str, tuple[str, int, str | None]]  # local name -> (module, level, attribute or None)
    on_event_apps: set[str]
    constants: dict[str, ast.expr] = field(default_factory=dict)  # module-level `NAME = expr` (the last one)
    classes: dict[str, ClassDecl] = field(default_factory=dict)
    returns: dict[str, ast.expr] = field(default_factory=dict)  # module-level function -> its first `return expr`
    # module-level `app = make()` where `make` is imported: maybe a factory defined in another module
    imported_calls: dict[str, tuple[str, int]] = field(default_factory=dict)  # variable -> (called name, line)
    factories: dict[str, Factory] = field(default_factory=dict)
    app_classes: frozenset[str] = frozenset()  # module-level `class App(FastAPI)`: calling one makes an app


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


def app_from_call(call: ast.Call, variable: str, line: int) -> AppInstance:
    kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg}

    def url(name: str, default: str) -> str | None:
        if name not in kwargs:
            return default
        value = kwargs[name]
        if isinstance(value, ast.Constant) and value.value is None:
            return None
        return _const_str(value) or default

    def expr(name: str) -> ast.expr | None:
        value = kwargs.get(name)
        return value if value is not None and not isinstance(value, ast.Constant) else None

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
        openapi_expr=expr("openapi_url"),
        docs_expr=expr("docs_url"),
    )


def _factories(tree: ast.Module, names: _Names) -> dict[str, Factory]:
    """Module-level functions that build and return a FastAPI app: `def create_app(): app = FastAPI(...); return app`."""
    found: dict[str, Factory] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and names.is_fastapi_ref(inner.func):
                    found[node.name] = Factory(inner, None)
                    break
            if node.name not in found:
                continue
            for inner in ast.walk(node):
                targets, value = _assigned_names(inner) if isinstance(inner, ast.stmt) else ([], None)
                if targets and value is found[node.name].call:
                    found[node.name] = Factory(value, targets[0])
    return found


def _delegated_factory(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a function calls for the app it returns: `return make()`, or `app = make()` ... `return app`
    (a plain name: whether it is a factory is for the module it is imported from to say)."""
    made: dict[str, str] = {}
    for inner in ast.walk(function):
        targets, value = _assigned_names(inner) if isinstance(inner, ast.stmt) else ([], None)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            made.update((t, value.func.id) for t in targets)
        if isinstance(inner, ast.Return) and inner.value is not None:
            returned = inner.value
            if isinstance(returned, ast.Call) and isinstance(returned.func, ast.Name):
                return returned.func.id
            return made.get(returned.id) if isinstance(returned, ast.Name) else None
    return None


def _assigned_names(node: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def _route_of(decorator: ast.expr) -> tuple[str, str, str | ast.expr] | None:
    """`@x.get("/p")` -> ("x", "GET", "/p"); `@x.api_route("/p", methods=[...])` -> first method; a path that
    is not a plain string comes back as its expression."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    owner = decorator.func.value
    if not isinstance(owner, ast.Name):
        return None
    attr = decorator.func.attr
    node: ast.expr | None = decorator.args[0] if decorator.args else None
    for kw in decorator.keywords:
        if kw.arg == "path":
            node = kw.value
    if node is None:
        return None
    constant = _const_str(node)
    path: str | ast.expr = constant if constant is not None else node
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

    constants: dict[str, ast.expr] = {}
    classes: dict[str, ClassDecl] = {}
    returns: dict[str, ast.expr] = {}
    imported_calls: dict[str, tuple[str, int]] = {}
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    local_calls: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, int]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            attributes: dict[str, ast.expr] = {}
            for item in node.body:
                item_targets, item_value = _assigned_names(item)
                for name in item_targets:
                    if item_value is not None:
                        attributes[name] = item_value
            classes[node.name] = ClassDecl(list(node.bases), attributes)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    returns[node.name] = inner.value
                    break
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imports[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname else alias.name.split(".")[0], 0, None)
        targets, value = _assigned_names(node)
        for target in targets:
            if value is not None:
                constants[target] = value
        if not targets or not isinstance(value, ast.Call):
            continue
        for target in targets:
            if names.is_fastapi_ref(value.func):
                apps.append(app_from_call(value, target, node.lineno))
                routers[target] = RouterDecl(prefix="")
            elif isinstance(value.func, ast.Name) and value.func.id in factories:
                factory = factories[value.func.id]
                apps.append(app_from_call(factory.call, target, node.lineno))
                routers[target] = RouterDecl(prefix="")
                if factory.inner_variable and factory.inner_variable not in routers:
                    aliases[factory.inner_variable] = target
            elif names.is_router_ref(value.func):
                prefix: str | None = ""
                prefix_expr: ast.expr | None = None
                for kw in value.keywords:
                    if kw.arg == "prefix":
                        prefix = _const_str(kw.value)
                        prefix_expr = kw.value if prefix is None else None
                routers[target] = RouterDecl(prefix=prefix, prefix_expr=prefix_expr)
            elif isinstance(value.func, ast.Name) and value.func.id in imports:
                imported_calls[target] = (value.func.id, node.lineno)
            elif isinstance(value.func, ast.Name) and value.func.id in functions:
                local_calls.append((target, functions[value.func.id], node.lineno))

    # `app = make_app()` where make_app, defined here, gets its app from an imported factory and returns it
    # (zaikays/FastApiTest: `app: FastAPI = create_fast_app()`, then routers and middleware, `return app`)
    for target, function, line in local_calls:
        if (called := _delegated_factory(function)) is not None and called in imports:
            imported_calls[target] = (called, line)

    # a factory's own app, for an app another module makes by calling it: routes on it land under "name()"
    for factory_name, factory in factories.items():
        key = f"{factory_name}()"
        routers.setdefault(key, RouterDecl(prefix=""))
        if factory.inner_variable and factory.inner_variable not in aliases and factory.inner_variable not in routers:
            aliases[factory.inner_variable] = key

    def owner(name: str) -> str:
        return aliases.get(name, name) if name not in routers else name

    for walked in ast.walk(tree) if routes else ():
        if isinstance(walked, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in walked.decorator_list:
                route = _route_of(decorator)
                if route and owner(route[0]) in routers:
                    path = route[2]
                    declared = (RouteDecl(route[1], path, walked.lineno) if isinstance(path, str)
                                else RouteDecl(route[1], "", walked.lineno, path))
                    routers[owner(route[0])].routes.append(declared)
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
            include_expr: ast.expr | None = None
            for kw in walked.keywords:
                if kw.arg == "prefix":
                    include_prefix = _const_str(kw.value)
                    include_expr = kw.value if include_prefix is None else None
            routers[owner(walked.func.value.id)].includes.append((walked.args[0], include_prefix, include_expr))

    return ModuleFacts(apps=apps, routers=routers, imports=imports, on_event_apps=on_event_apps, constants=constants,
                       classes=classes, returns=returns, imported_calls=imported_calls, factories=factories,
                       app_classes=frozenset(name for name in classes if name in names.fastapi_names))
