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


def _alembic_section(root: Path, ini: str) -> configparser.SectionProxy | None:
    """The ini's [alembic] section, read as Alembic reads it (no interpolation here), or None: a link out of the
    project, an ini that does not parse (Alembic's own error says why when migrate runs), or no such section."""
    if not _inside(root / ini, root):
        return None
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(read_text(root / ini, what="alembic.ini"))
    except (UserInputError, configparser.Error):
        return None
    return parser["alembic"] if parser.has_section("alembic") else None


def ini_database_url(root: Path, ini: str) -> IniDatabaseUrl | None:
    """The ini's literal URL, if it names a database server and the env.py beside it connects with it."""
    section = _alembic_section(root, ini)
    if section is None:
        return None
    url = section.get("sqlalchemy.url", fallback="").strip()
    location = section.get("script_location", fallback="").strip()
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


def alembic_upgrade_with_url(ini: str, url_expression: str, script_location: str | None = None) -> tuple[str, ...]:
    """`alembic upgrade head` with the ini's `sqlalchemy.url` replaced, for an env.py that reads nothing else
    (`alembic init`'s). Through Alembic's API: its CLI has no option for the URL. `url_expression` is Python
    that yields the URL in the container (an environment variable, a secret file); `%` is doubled, as the
    ini's interpolation expects. `script_location`: where the scripts are, when the ini's own points elsewhere."""
    moved = "config.set_main_option('script_location', sys.argv[2]); " if script_location else ""
    code = ("import os, sys; from alembic import command; from alembic.config import Config; "
            f"config = Config(sys.argv[1]); {moved}config.set_main_option('sqlalchemy.url', "
            f"{url_expression}.replace('%', '%%')); command.upgrade(config, 'head')")
    return ("python", "-c", code, ini, *([script_location] if script_location else []))


def alembic_upgrade_from(ini: str, script_location: str) -> tuple[str, ...]:
    """`alembic -c INI upgrade head` with the scripts taken from `script_location` (Alembic's CLI has no option)."""
    code = ("import sys; from alembic import command; from alembic.config import Config; config = Config(sys.argv[1]); "
            "config.set_main_option('script_location', sys.argv[2]); command.upgrade(config, 'head')")
    return ("python", "-c", code, ini, script_location)


def relocated_script_location(root: Path, ini: str) -> str | None:
    """The scripts folder of an ini in a subfolder whose plain relative `script_location` names a folder beside
    the ini, not one under the project root, which is where Alembic looks when run from there
    (josejnra/fastapi-base's app/alembic.ini says `migrations`: its scripts are app/migrations)."""
    section = _alembic_section(root, ini) if "/" in ini else None
    location = section.get("script_location", fallback="").strip() if section is not None else ""
    if not location or "%(" in location or ":" in location or Path(location).is_absolute():
        return None
    if (root / location / "env.py").is_file():
        return None
    beside = (root / ini).parent / location
    if not (_inside(beside / "env.py", root) and (beside / "env.py").is_file()):
        return None
    return beside.resolve().relative_to(root.resolve()).as_posix()


def has_no_revisions(root: Path, ini: str) -> str | None:
    """The versions folder of an alembic setup that holds no revision file, relative to the root, else None (it
    holds some, or where they live is not plain to see: `version_locations`, a package location). Upgrading it
    does nothing (Jiyanson/…-backend committed only the __pycache__ of its one revision)."""
    section = _alembic_section(root, ini)
    if section is None or section.get("version_locations", fallback="").strip():
        return None
    env = _env_py(root, ini, section.get("script_location", fallback="").strip())
    if env is None:
        return None
    versions = env.parent / "versions"
    if versions.is_dir() and any(p.is_file() and p.name != "__init__.py" for p in versions.glob("*.py")):
        return None
    return versions.relative_to(root).as_posix() if versions.is_relative_to(root) else None


def _env_py(root: Path, ini: str, location: str) -> Path | None:
    """env.py under `script_location`: `%(here)s` is the ini's folder; a plain path is taken from where alembic
    runs (the project root) or, failing that, from the ini's folder. A `package:path` location is not followed."""
    if not location:
        return None
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
