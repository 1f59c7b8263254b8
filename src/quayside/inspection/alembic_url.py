"""The database URL written into a project's alembic.ini, when its env.py connects with it and nothing else.

`alembic init` writes an env.py that builds its engine from the ini's `[alembic]` section, so migrations
connect to whatever `sqlalchemy.url` says: often the author's `localhost:5432`, which inside a container is
the container itself. Where env.py takes the URL from the app's settings instead, the ini's value is unused
and this returns nothing. Read statically: the ini with configparser, env.py with `ast`; nothing is imported.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from quayside.errors import UserInputError
from quayside.inspection.source import parse_python, read_text

# engine builders that read `sqlalchemy.url` out of the section they are given
_FROM_CONFIG = {"engine_from_config", "async_engine_from_config"}
# calls by which env.py puts its own URL in place of the ini's, or connects without the section
_OWN_URL = {"set_main_option", "set_section_option", "create_engine", "create_async_engine"}


@dataclass(frozen=True)
class IniDatabaseUrl:
    """`sqlalchemy.url` of an alembic.ini whose env.py connects with it as written."""

    ini: str  # the ini, relative to the project root
    scheme: str  # "postgresql", "mysql+mysqlconnector": the driver the migrations load
    host: str  # as written: "localhost", "my_mysql_db"


def ini_database_url(root: Path, ini: str) -> IniDatabaseUrl | None:
    """The ini's literal URL, if it names a database server and the env.py beside it connects with it."""
    if not _inside(root / ini, root):
        return None  # a link out of the project: not the project's to read
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(read_text(root / ini, what="alembic.ini"))
    except (UserInputError, configparser.Error):
        return None  # an ini alembic cannot read either: its own error says why, when migrate runs
    if not parser.has_section("alembic"):
        return None
    url = parser.get("alembic", "sqlalchemy.url", fallback="").strip()
    location = parser.get("alembic", "script_location", fallback="").strip()
    if not _literal(url) or not location:
        return None
    env = _env_py(root, ini, location)
    if env is None or not _connects_with_ini_url(env):
        return None
    parts = urlsplit(url)
    return IniDatabaseUrl(ini, parts.scheme, parts.hostname or "")


def _literal(url: str) -> bool:
    """A URL to a server as written: not the template's `driver://`, not left to interpolation or a file."""
    if "://" not in url or any(mark in url for mark in ("%(", "${", "$(", "placeholder")):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() != "driver" and bool(parts.hostname)


def _env_py(root: Path, ini: str, location: str) -> Path | None:
    """env.py under `script_location`: `%(here)s` is the ini's folder; a plain path is taken from where alembic
    runs (the project root) or, failing that, from the ini's folder. A `package:path` location is not followed."""
    ini_dir = (root / ini).parent
    if location.startswith("%(here)s"):
        candidates = [ini_dir / location.removeprefix("%(here)s").lstrip("/\\")]
    elif ":" in location or "%(" in location or Path(location).is_absolute():
        return None
    else:
        candidates = [root / location, ini_dir / location]
    for folder in candidates:
        env = folder / "env.py"
        if _inside(env, root) and env.is_file():
            return env
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _connects_with_ini_url(env: Path) -> bool:
    """env.py as `alembic init` writes it, in what matters: an engine built from the ini's section as it
    is, and the ini's URL read nowhere but by `get_main_option` (the offline mode's)."""
    try:
        tree = parse_python(env, display=env.name)
    except UserInputError:
        return False  # env.py that does not parse: the migrations fail on their own, with Python's message
    from_section = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in _OWN_URL:
                return False
            if name in _FROM_CONFIG:
                if any(k.arg == "url" for k in node.keywords):
                    return False
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Call) and _name(first.func) == "get_section":
                    from_section = True
        elif (isinstance(node, ast.Constant) and node.value == "sqlalchemy.url"
              and not _read_by_get_main_option(tree, node)):
            return False
    return from_section


def _read_by_get_main_option(tree: ast.AST, constant: ast.Constant) -> bool:
    return any(isinstance(call, ast.Call) and _name(call.func) == "get_main_option" and constant in call.args
               for call in ast.walk(tree))
