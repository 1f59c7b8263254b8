"""The settings an app reads from its environment, found statically (never imported).

Read from pydantic `BaseSettings` classes (each field, its `env_prefix`, `alias`/`validation_alias`/`env=`),
`os.getenv("X")`/`os.environ["X"]`/`os.environ.get("X")`, starlette's and decouple's `config("X")`, and the
project's documented example file (`.env.example`, `.env.sample`, `.env.template`, `example.env`). Compose gives the
app exactly these names, so it starts with no hand edits.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from quayside.errors import UserInputError
from quayside.inspection.source import parse_python, python_files

EXAMPLE_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env", "env.example", ".env-example",
                     ".env_example", ".env.default", ".env.defaults",
                     ".env.local.example", "dotenv.example")
_SKIP_DIRS = {".venv", "venv", "env", ".git", "node_modules", "__pycache__", ".tox", ".nox", "build", "dist", "tests",
              "test", "site-packages", ".mypy_cache", "docs", "frontend"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# where the block quayside adds to an example file begins: what follows is ours, not the project's documentation
QUAYSIDE_ENV_BLOCK = "# Settings for compose"
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
MAX_FILES = 2000  # a monorepo's worth: past that, the settings are somewhere a static read will not find


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable, upper case (pydantic matches case-insensitively)
    required: bool  # no default: the app stops at start without it
    default: str | None  # a string default, when the code has one (a URL's scheme says which driver)
    source: str  # "app/core/config.py:12"
    annotation: str = ""  # the field's type as written ("int", "SecretStr"); "" when read from os.environ

    @property
    def scalar(self) -> bool:
        """A number or a flag: never a secret, whatever its name (MAIL_USE_CREDENTIALS: bool)."""
        return self.annotation.removeprefix("Optional[").rstrip("]").split("|")[0].strip() in ("bool", "int", "float")


@dataclass(frozen=True)
class AppSettings:
    settings: tuple[Setting, ...] = ()
    documented: dict[str, str] = field(default_factory=dict)  # the project's example file: name -> value
    documented_file: str | None = None
    # settings the code hands to a database engine (`create_engine(DB)` where `DB = os.getenv("DB")`): a
    # database URL whatever its name
    engine_urls: frozenset[str] = frozenset()

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.settings} | set(self.documented)

    def get(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)

    def default(self, name: str) -> str | None:
        """What the project says a setting is: its documented example value, else the code's default."""
        if self.documented.get(name):
            return self.documented[name]
        found = self.get(name)
        return found.default if found else None


def _python_files(root: Path) -> list[Path]:
    files = []
    for path in python_files(root, lambda name: name in _SKIP_DIRS or name.startswith(".")):
        rel = path.relative_to(root)
        if rel.name.startswith("test_") or rel.name == "conftest.py":
            continue
        files.append(path)
        if len(files) >= MAX_FILES:
            break
    return files


def _const(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg in names), None)


def _is_settings_class(node: ast.ClassDef, known: set[str]) -> bool:
    return any(_call_name(base).endswith("BaseSettings") or _call_name(base) in known for base in node.bases)


def _config_value(node: ast.ClassDef, key: str) -> str | None:
    """A string of the class's settings config: `model_config = SettingsConfigDict(key=...)` / `{"key": ...}`,
    or pydantic v1's `class Config: key = ...`."""
    for item in node.body:
        if isinstance(item, ast.Assign | ast.AnnAssign):
            target = item.targets[0] if isinstance(item, ast.Assign) else item.target
            if isinstance(target, ast.Name) and target.id == "model_config" and item.value is not None:
                if isinstance(item.value, ast.Call) and (value := _const(_keyword(item.value, key))) is not None:
                    return value
                if isinstance(item.value, ast.Dict):
                    for k, v in zip(item.value.keys, item.value.values, strict=True):
                        if _const(k) == key and (value := _const(v)) is not None:
                            return value
        if isinstance(item, ast.ClassDef) and item.name == "Config":
            for sub in item.body:
                if (isinstance(sub, ast.Assign) and isinstance(sub.targets[0], ast.Name)
                        and sub.targets[0].id == key and (value := _const(sub.value)) is not None):
                    return value
    return None


def _env_prefix(node: ast.ClassDef) -> str:
    return _config_value(node, "env_prefix") or ""


def _field(value: ast.expr | None) -> tuple[bool, str | None, str | None]:
    """(required, string default, alias) of a settings field's right-hand side."""
    if value is None:
        return True, None, None
    if isinstance(value, ast.Call) and _call_name(value.func) == "Field":
        alias = _const(_keyword(value, "validation_alias", "alias", "env"))
        default = _keyword(value, "default")
        if default is None and value.args:
            default = value.args[0]
        has_factory = _keyword(value, "default_factory") is not None
        if default is None and not has_factory:
            return True, None, alias
        if isinstance(default, ast.Constant) and default.value is Ellipsis:
            return True, None, alias
        return False, _default_str(default), alias
    return False, _default_str(value), None


def _default_str(node: ast.expr | None) -> str | None:
    """A string default as written, also wrapped as pydantic's secret (`SecretStr("CHANGE_ME_IN_ENV_FILE")`)."""
    if isinstance(node, ast.Call) and _call_name(node.func) in ("SecretStr", "SecretBytes") and len(node.args) == 1:
        return _const(node.args[0])
    return _const(node)


def _model_fields(model: ast.ClassDef, path: str, delimiter: str, rel: str, models: dict[str, ast.ClassDef],
                  outer_required: bool, depth: int = 0) -> list[Setting]:
    """A nested model's fields as pydantic-settings reads them with env_nested_delimiter: DB__URL."""
    found: list[Setting] = []
    for item in model.body:
        if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name) or item.target.id.startswith("_"):
            continue
        required, default, _ = _field(item.value)
        env = f"{path}{delimiter}{item.target.id}"
        inner = models.get(ast.unparse(item.annotation))
        if inner is not None and depth < 3:
            found += _model_fields(inner, env, delimiter, rel, models, outer_required and required, depth + 1)
        else:
            found.append(Setting(env.upper(), outer_required and required, default, f"{rel}:{item.lineno}",
                                 ast.unparse(item.annotation)))
    return found


def _settings_fields(node: ast.ClassDef, rel: str, inherited: dict[str, list[Setting]],
                     prefixes: dict[str, str], models: dict[str, ast.ClassDef] | None = None) -> list[Setting]:
    # pydantic merges model_config down the class tree: a subclass keeps its base's env_prefix
    prefix = _env_prefix(node) or next((prefixes[_call_name(b)] for b in node.bases if prefixes.get(_call_name(b))), "")
    prefixes[node.name] = prefix
    delimiter = _config_value(node, "env_nested_delimiter")
    models = models or {}
    found: list[Setting] = []
    for base in node.bases:
        found.extend(inherited.get(_call_name(base), []))
    for item in node.body:
        if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
            continue
        name = item.target.id
        if name.startswith("_") or name == "model_config":
            continue
        annotation = ast.unparse(item.annotation)
        if annotation.startswith("ClassVar"):
            continue
        required, default, alias = _field(item.value)
        env = alias if alias and _NAME.match(alias) else prefix + name
        nested = models.get(annotation)
        if delimiter and nested is not None:  # db: DatabaseConfig → APP_DB__URL, APP_DB__POOL_SIZE
            found += _model_fields(nested, env, delimiter, rel, models, required)
            continue
        found = [s for s in found if s.name != env.upper()]
        found.append(Setting(env.upper(), required, default, f"{rel}:{item.lineno}", annotation))
    return found


_DICT_METHODS = {"get", "pop", "setdefault", "getlist", "get_all"}


def _env_getters(trees: list[tuple[ast.Module, str]]) -> dict[str, bool]:
    """The project's own functions that read the variable their first parameter names, by the name they are called
    with, and whether the read raises when it is unset (source-builder/python-fastapi's `def getEnv(key): return
    os.getenv(key)`, called as `getEnv("PORT")`)."""
    getters: dict[str, bool] = {}
    for tree, _ in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.args.args:
                continue
            param = node.args.args[0].arg
            returned = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            if len(returned) != 1:
                continue
            value = returned[0]
            if isinstance(value, ast.Subscript) and _dotted(value.value).endswith("environ") \
                    and isinstance(value.slice, ast.Name) and value.slice.id == param:
                getters[node.name] = True
            elif isinstance(value, ast.Call) and _dotted(value.func).endswith(("getenv", "environ.get")) and value.args \
                    and isinstance(value.args[0], ast.Name) and value.args[0].id == param:
                getters[node.name] = False
    return getters


def _environ_reads(tree: ast.Module, rel: str, getters: dict[str, bool] | None = None) -> list[Setting]:
    getters = getters or {}
    found = []
    for node in ast.walk(tree):
        # os.environ["X"] = … sets it (a script pointing itself at a database): not a read
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _dotted(node.value).endswith("environ"):
            if (name := _const(node.slice)) is not None and _NAME.match(name):
                found.append(Setting(name, True, None, f"{rel}:{node.lineno}"))
        elif isinstance(node, ast.Call):
            func = _dotted(node.func)
            if func.endswith(("getenv", "environ.get")) or func in ("config", "env", "env.str", "env.int", "env.bool"):
                name = _const(node.args[0]) if node.args else None
                if name is None or not _NAME.match(name):
                    continue
                default_node = node.args[1] if len(node.args) > 1 else _keyword(node, "default")
                # os.getenv("X") is None when unset (optional); config("X") with no default raises
                required = default_node is None and not func.endswith(("getenv", "environ.get"))
                found.append(Setting(name, required, _const(default_node), f"{rel}:{node.lineno}"))
            elif ((getter := func.rsplit(".", 1)[-1]) in getters and len(node.args) == 1 and not node.keywords
                  and (getter == func or getter not in _DICT_METHODS)):  # headers.get("X") is no wrapper's
                name = _const(node.args[0])
                if name is not None and _NAME.match(name):
                    found.append(Setting(name, getters[getter], None, f"{rel}:{node.lineno}"))
    return found


# a documented value that stands for one the reader is to fill in (`<time>`, `changeme`, `your-secret`): the
# patterns check's QS017 knows. Where the code has a default, that default stands rather than the placeholder.
_PLACEHOLDER = re.compile(r"^(<[^<>]*>|change[-_]?(?:me|this)(?:[-_].*)?|xxx+|\*+|.*placeholder.*|your[-_].*)$", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip().strip("'\"")))


def default_stands(documented: str, setting: Setting) -> bool:
    """A documented placeholder (`<time>`, `your_database_username`) leaves the code's default to stand, when the
    code has one that is a value: seapagan/fastapi-template's `db_user = "CHANGE_ME_IN_ENV_FILE"` is a sentinel
    its own validator refuses, so the documented value goes on instead."""
    return (not setting.required and is_placeholder(documented)
            and not (setting.default is not None and is_placeholder(setting.default)))


def dotenv_value(raw: str) -> str:
    """The value of one `NAME=raw` line as compose and python-dotenv read it: `"…"` up to its closing quote (with
    `\\"` and `\\\\` unescaped), `'…'` literally, else up to an inline ` #` comment; what follows a closing quote
    (`"<time>" #60`) is a comment. A quote never closed on the line is kept as written. Written here: python-dotenv
    would be a dependency for these few rules, and it interpolates `${…}`, which a documented example must not."""
    value = raw.strip()
    if value[:1] == "'":
        end = value.find("'", 1)
        return value[1:end] if end > 0 else value
    if value[:1] == '"':
        inner: list[str] = []
        index = 1
        while index < len(value):
            char = value[index]
            if char == "\\" and index + 1 < len(value) and value[index + 1] in '"\\':
                inner.append(value[index + 1])
                index += 2
                continue
            if char == '"':
                return "".join(inner)
            inner.append(char)
            index += 1
        return value
    return re.split(r"\s#", value, maxsplit=1)[0].rstrip()


def read_documented(root: Path) -> tuple[dict[str, str], str | None]:
    """The project's example settings file (the first that exists): NAME -> value, as documented."""
    for name in EXAMPLE_ENV_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        values: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith(QUAYSIDE_ENV_BLOCK):
                break
            if (m := _ENV_LINE.match(line)) is None or line.lstrip().startswith("#"):
                continue
            values[m[1]] = dotenv_value(m[2])
        if not values and text.startswith(QUAYSIDE_ENV_BLOCK):
            continue  # quayside's own file: not the project's documentation
        return values, name
    return {}, None


def read_app_settings(root: Path, *, documented_from: Path | None = None) -> AppSettings:
    """Every setting the code reads from the environment, and the project's documented example values.
    `documented_from` reads the example file from elsewhere (what init read before it wrote its own)."""
    settings: dict[str, Setting] = {}
    classes: dict[str, list[Setting]] = {}
    prefixes: dict[str, str] = {}
    trees: list[tuple[ast.Module, str]] = []
    for path in _python_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            trees.append((parse_python(path, display=rel), rel))
        except UserInputError:
            continue  # a file that does not parse is not where the app's settings are read
    # nested models a settings class may hold (pydantic BaseModel subclasses)
    models = {node.name: node for tree, _ in trees for node in ast.walk(tree)
              if isinstance(node, ast.ClassDef) and any(_call_name(b) == "BaseModel" for b in node.bases)}
    # settings classes may inherit from each other across files: two passes find the ones defined later
    for _ in range(2):
        for tree, rel in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and _is_settings_class(node, set(classes)):
                    classes[node.name] = _settings_fields(node, rel, classes, prefixes, models)
    for fields in classes.values():
        for setting in fields:
            settings.setdefault(setting.name, setting)
    getters = _env_getters(trees)
    for tree, rel in trees:
        for setting in _environ_reads(tree, rel, getters):
            if setting.name not in settings or (setting.required and not settings[setting.name].required):
                settings[setting.name] = setting
    documented, documented_file = read_documented(documented_from or root)
    engine_urls = frozenset(name for tree, _ in trees for name in _engine_urls(tree, set(settings)))
    return AppSettings(tuple(sorted(settings.values(), key=lambda s: s.name)), documented, documented_file, engine_urls)


# calls whose first argument (or url=/db_url=) is a SQL database's URL in SQLAlchemy's or Tortoise's form (the
# scheme quayside writes for them); a raw driver's DSN (asyncpg.create_pool) wants another and is left alone
_ENGINES = {"create_engine", "create_async_engine", "Database", "register_tortoise", "init"}
_ENGINE_MODULES = {"Tortoise"}
_URL_KEYWORDS = ("url", "db_url", "database_url")


def _engine_urls(tree: ast.Module, known: set[str]) -> set[str]:
    """The settings a module passes to a database engine as its URL: an environment read in the call, a
    module-level name bound to one, or a settings object's attribute (`settings.database_url`)."""
    bound: dict[str, str] = {}
    for statement in tree.body:
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
                and (name := _read_name(statement.value)) is not None):
            bound[statement.targets[0].id] = name
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = _dotted(node.func)
        last = func.rsplit(".", 1)[-1]
        if last not in _ENGINES or (last == "init" and func.split(".", 1)[0] not in _ENGINE_MODULES):
            continue
        argument = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in _URL_KEYWORDS), None)
        if argument is None:
            continue
        name = _read_name(argument)
        if name is None and isinstance(argument, ast.Name):
            name = bound.get(argument.id)
        if name is None and isinstance(argument, ast.Attribute):
            attr = argument.attr.upper()
            name = next((k for k in sorted(known) if k == attr or k.endswith("_" + attr)), None)
        if name is not None and name in known:
            found.add(name)
    return found


def _read_name(node: ast.expr) -> str | None:
    """The variable an environment read names: os.getenv("X"), os.environ["X"], os.environ.get("X"), config("X")."""
    if isinstance(node, ast.Subscript) and _dotted(node.value).endswith("environ"):
        return _const(node.slice)
    if isinstance(node, ast.Call) and node.args:
        func = _dotted(node.func)
        if func.endswith(("getenv", "environ.get")) or func in ("config", "env", "env.str"):
            return _const(node.args[0])
    return None


def app_modules(root: Path, mentioning: str) -> Iterator[tuple[str, ast.Module]]:
    """(path, tree) of each module of the app, tests aside, whose text mentions a word (read cheaply first)."""
    for path in _python_files(root):
        rel = path.relative_to(root).as_posix()
        if "test" in rel.lower():
            continue
        try:
            if mentioning not in path.read_text(encoding="utf-8", errors="replace"):
                continue
            yield rel, parse_python(path, display=rel)
        except (OSError, UserInputError):
            continue  # unreadable or not Python this interpreter parses: nothing read from it


def dotenv_files(root: Path) -> tuple[str, ...]:
    """The env files the code reads with python-dotenv's `dotenv_values`, which looks at the file only, never
    the environment (sonalyze-backend: `dotenv_values(".env")["DB_CONNECTION_STRING"]`): paths relative to the
    working directory. No argument, or `find_dotenv()`, finds `.env` in a folder above the calling module, so
    one in the working directory serves."""
    found: list[str] = []
    for _, tree in app_modules(root, "dotenv_values"):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _dotted(node.func).endswith("dotenv_values")):
                continue
            given = node.args[0] if node.args else _keyword(node, "dotenv_path")
            name: str | None = ".env"
            if isinstance(given, ast.Call) and _dotted(given.func).endswith("find_dotenv"):
                name = (_const(given.args[0]) if given.args else None) or ".env"
            elif given is not None:
                name = _const(given)
            if name and not name.startswith("/") and ".." not in Path(name).parts and _PLAIN_PATH.match(name):
                found.append(Path(name).as_posix())
    return tuple(dict.fromkeys(found))


_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")
