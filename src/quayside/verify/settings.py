"""The app's settings for verify (`--env`, `--env-file`): passed to the container through a 0600 env file (never
on a command line a process list or a --debug trace would show), masked in everything verify prints, and the
cause named when the app stops at start for want of one."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from quayside.errors import UserInputError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MASK = "***"
MIN_MASKED = 3  # shorter values ("1", "on") are too common to hide without hiding everything else


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as compose reads them: comments, blank lines, `export`, quotes, inline comments."""
    from quayside.inspection.appsettings import dotenv_value

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read the env file: {exc}", path=path) from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep or not _NAME.fullmatch(name.strip()):
            raise UserInputError(f"line {number} is not NAME=VALUE", path=path, hint="e.g. API_KEY=… (comments start with #)")
        values[name.strip()] = dotenv_value(value)
    return values


def parse_env_options(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise UserInputError(f"--env {name!r}: not NAME=VALUE", hint="e.g. --env API_KEY=…")
        values[name] = value
    return values


# a setting that holds a secret, by its name: JWT_SECRET, DB_PASSWORD, API_KEY, GITHUB_TOKEN, SALT; not
# ACCESS_TOKEN_EXPIRE_MINUTES or KEY_PREFIX
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|(?:^|_)(?:KEY|TOKEN|SALT|CREDENTIALS?)$|PRIVATE_KEY")
FRAGMENT = 6  # a run this long of a secret's characters, seen in a log, is masked too
_RUN = re.compile(rf"[A-Za-z0-9_\-+/=~]{{{FRAGMENT},}}")


def mask(text: str, env: dict[str, str]) -> str:
    """Each value replaced by ***; and, for secrets (by their names), any run of six or more characters that is a
    piece of one, for logs that shorten what they print (pydantic shows `'8vFngxy5O...xs-NhLHy-h8AmI94EQzdZk'`)."""
    values = sorted((v for v in env.values() if len(v) >= MIN_MASKED), key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    long_values = [v for k, v in env.items() if len(v) >= FRAGMENT and SECRET_NAME.search(k.upper())]
    if not long_values:
        return text
    return _RUN.sub(lambda m: MASK if any(m.group(0) in v for v in long_values) else m.group(0), text)


@contextmanager
def env_file(env: dict[str, str]) -> Iterator[Path | None]:
    """A 0600 file docker reads with --env-file, removed right after."""
    if not env:
        yield None
        return
    for name, value in env.items():
        if "\n" in value or "\r" in value:
            raise UserInputError(f"the value of {name} has a line break, which docker's --env-file cannot carry")
    fd, name = tempfile.mkstemp(prefix="quayside-env-", suffix=".env")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{key}={value}\n" for key, value in env.items()))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


# What an app prints when it stops at import for want of a setting (os.environ, starlette's Config, pydantic).
_MISSING = (
    re.compile(r"KeyError: '([A-Za-z_][A-Za-z0-9_]*)'"),
    re.compile(r"Config '([A-Za-z_][A-Za-z0-9_]*)' is missing"),
    re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\n\s+Field required", re.MULTILINE),
    # client libraries that read their key from the environment at import: langchain's validators, openai's client
    re.compile(r"please add an environment variable `([A-Za-z_][A-Za-z0-9_]*)`"),
    re.compile(r"by setting the ([A-Z_][A-Z0-9_]*) environment variable"),
    # the app's own check: `raise ValueError("SECRET_AUTH is not set in the environment variables")` (Mir1a/
    # FastApi_Telegram), "DATABASE_URL is required"; a bare capitalised word needs the environment named too
    re.compile(r"^\w*(?:Error|Exception): [^\n]*?\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b[^\n]*?"
               r"(?:is not set|not set|is missing|is required|must be set|not defined|not provided)", re.MULTILINE),
    re.compile(r"^\w*(?:Error|Exception): [^\n]*?\b([A-Z][A-Z0-9]{1,})\b[^\n]*?"
               r"(?:is not set|not set|is missing|is required|must be set|not defined|not provided)[^\n]*?\benv", re.MULTILINE),
    re.compile(r"^\w*(?:Error|Exception): [^\n]*?[Mm]issing (?:required )?(?:environment variable|env var|setting)s?:? "
               r"['\"`]?([A-Z][A-Z0-9_]+)", re.MULTILINE),
)


# pydantic's report of a setting given a value it refuses: the first one, by name, and why (never the value)
_REFUSED_VALUE = re.compile(r"validation errors? for \w+\n([A-Za-z_][A-Za-z0-9_]*)\n\s+(.+?)\s*[\[(]type=(?!missing\b)")


def refused_setting(logs: str) -> tuple[str, str] | None:
    """(name, why) of a setting pydantic refused the value of: MAIL_PORT given "" where an int is wanted."""
    if m := _REFUSED_VALUE.search(logs):
        return m.group(1), m.group(2).rstrip(",")
    return None


def missing_setting(logs: str) -> str | None:
    for pattern in _MISSING:
        if m := pattern.search(logs):
            return m.group(1)
    return None


# The app reaching for a service at start that is not there: (what the logs say, the service it means)
_SERVICES = (
    (re.compile(r"(?i)(?:connection refused|could not connect|connect call failed|can't connect|cannot connect|"
                r"name or service not known|temporary failure in name resolution|nodename nor servname)"
                r"[^\n]*?(?:5432|postgres)|(?:5432|postgres)[^\n]*?(?:connection refused|could not connect|"
                r"connect call failed|name or service not known|temporary failure in name resolution)"), "PostgreSQL"),
    (re.compile(r"(?i)(?:connection refused|can't connect|could not connect|name or service not known)[^\n]*?(?:3306|mysql|mariadb)"
                r"|(?:3306|mysql|mariadb)[^\n]*?(?:connection refused|can't connect)"), "MySQL/MariaDB"),
    # asyncio_redis retries for ever, logging "Connecting to redis failed. Retrying in 19.2 seconds"
    (re.compile(r"(?i)(?:connection refused|error -?\d+ connecting|name or service not known)[^\n]*?(?:6379|redis)"
                r"|redis[^\n]*?(?:connection refused|error -?\d+ connecting)|connecting to redis failed"), "Redis"),
    (re.compile(r"(?i)(?:serverselectiontimeout|connection refused)[^\n]*?(?:27017|mongo)"), "MongoDB"),
    # a traceback through a driver's own module that ends in a refused connection (no port or host on that line)
    *((re.compile(rf"/site-packages/(?:{drivers})/[^\n]*\n(?:[^\n]*\n){{0,40}}?[^\n]*"
                  r"(?:ConnectionRefusedError|Connection refused|could not connect|Can't connect|Name or service not known)"), service)
      for drivers, service in (("asyncpg|psycopg2?|pg8000", "PostgreSQL"), ("pymysql|aiomysql|asyncmy|MySQLdb", "MySQL/MariaDB"),
                               ("redis", "Redis"), ("pymongo|motor", "MongoDB"))),
)


def variable_of(field: str | None, reads: frozenset[str]) -> str | None:
    """The environment variable behind a field pydantic names as missing: `db_port` is USER_DB_PORT under
    env_prefix="user_" (AntonNovozhilov/treadbook_users), the one setting the code reads whose name ends so."""
    if field is None or field.upper() in reads:
        return field
    prefixed = [name for name in reads if name.endswith("_" + field.upper())]
    return prefixed[0] if len(prefixed) == 1 else field


def missing_service(logs: str) -> str | None:
    """The service (a database, a cache) the app could not reach at start, when its logs say so."""
    for pattern, service in _SERVICES:
        if pattern.search(logs):
            return service
    return None


def shadowing_cause(shadowing: tuple[str, ...], logs: str) -> str | None:
    """A failed import while the project holds a package named like a library it depends on: that package is
    what Python imported (sandl99/fastapi_index's own fastapi/ folder, whose __init__ fails on `from config
    import *`)."""
    if not shadowing or not re.search(r"ImportError|ModuleNotFoundError|AttributeError|cannot import name", logs):
        return None
    shadow = shadowing[0]
    library = shadow.removesuffix("/").removesuffix(".py")
    return (f"the project's own {shadow} has the name of the {library} library it depends on: Python imports it "
            f"in the library's place (the working directory comes first on sys.path): rename it; ")


def fixed_address_cause(fixed: tuple[str, ...]) -> str:
    """The app's code names its database or cache by an address no service answers at (an IP, or localhost)."""
    service = "cache" if fixed[0].startswith("its cache") else "database"
    return (f"the app's code connects to {fixed[0]}, an address no {service} beside it answers at "
            f"(a service is reached by its name): read the URL from a setting, which quayside then points at the "
            f"{service}; ")


_SETTINGS_FILE_MISSING = re.compile(r"(?:FileNotFoundError|No such file or directory)[^\n]*?(?P<path>/[^\s'\"]*\.env)\b")


def settings_file_cause(logs: str) -> str | None:
    """The app opens a settings file by itself (`dotenv_values(CONFIG / env / ".env")`) that the image does not
    hold: .env files never go into it (the generated .dockerignore leaves them out, as secrets)."""
    if (m := _SETTINGS_FILE_MISSING.search(logs)) is None:
        return None
    return (f"the app opens its settings file {m['path']}, which no image holds (.env files stay out of it, as "
            "secrets): give the container that file at run time (a read-only bind mount or a compose secret), or "
            "have the app read its settings from the environment; ")


_FILE_MISSING = re.compile(r"No such file or directory: '(?P<path>[^'\n]{1,255})'")


def ignored_file_cause(root: Path | None, logs: str, workdir: str = "/code") -> str | None:
    """The app opens a file its project's .gitignore keeps out of the repository (a key.json of Supabase keys,
    a secret.json of database credentials): no image holds it, as no clean checkout does."""
    from quayside.engine import git

    if root is None or (m := _FILE_MISSING.search(logs)) is None:
        return None
    path = PurePosixPath(m["path"])
    rel = path.relative_to(workdir) if path.is_relative_to(workdir) else path
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or rel.as_posix() not in git.ignored(root, [rel.as_posix()]):
        return None
    if _LOG_OPEN.search(logs) and len(rel.parts) > 1:
        # a log handler opens its file to append: the missing part is the folder, which a clean checkout lacks
        folder = rel.parent.as_posix()
        return (f"the app writes its log to {rel}, in {folder}/, which the project's .gitignore keeps out of its "
                f"repository, so no image has that folder: make it with [tool.quayside] writable = [\"{folder}\"] "
                "(owned by the app user, a volume under compose), or log to stdout; ")
    return (f"the app opens {rel}, which the project's .gitignore keeps out of its repository (its author's own "
            "file, often of secrets), so no image holds it: give it to the container at run time (a read-only bind "
            "mount or a secret), or have the app read its settings from the environment; ")


# the frames of a log handler opening its file (logging's FileHandler and its rotating kin, loguru's sink)
_LOG_OPEN = re.compile(r"/logging/(?:__init__|handlers|config)\.py\b|/loguru/_file_sink\.py\b")


# the user may not write there (docker run), or the root filesystem is read-only (compose's read_only: true)
_WRITE_DENIED = re.compile(r"(?:PermissionError: \[Errno 13\] Permission denied|OSError: \[Errno 30\] Read-only file system): "
                           r"'(?P<path>[^'\n]{1,255})'")


def read_only_code_cause(logs: str, workdir: str = "/code") -> str | None:
    """The app writes a file among its code, which is root's and read-only to the app user (josejnra/fastapi-base's
    loguru sink `logger.add("log.log", rotation=…)`: rotation renames files beside it, so no link can carry it)."""
    if (m := _WRITE_DENIED.search(logs)) is None:
        return None
    path = PurePosixPath(m["path"])
    if not path.is_relative_to(workdir):
        return None
    rel = path.relative_to(workdir).as_posix()
    return (f"the app writes {rel} among its code ({path}), which is read-only to the app user: have it write "
            "under a folder of its own (logs/…: quayside makes a folder the code writes to writable, or name it in "
            "[tool.quayside] writable), or log to stdout, as the guide has containers do; ")


# words may be split across lines by a framed traceback (rich's │ borders)
_ROWS_ONLY_DENIED = re.compile(r"permission[\s│]+denied[\s│]+for[\s│]+schema|must[\s│]+be[\s│]+owner[\s│]+of[\s│]+(?:table|relation)|"
                               r"\b(?:CREATE|ALTER|DROP|INDEX|REFERENCES)[\s│]+command[\s│]+denied")


def rows_only_cause(logs: str) -> str | None:
    """The app changed the schema (its own create_all) as the rows-only role compose gives it beside a migrator."""
    if _ROWS_ONLY_DENIED.search(logs) is None:
        return None
    return ("the app changes the schema itself (create_all or the like) while it connects as the role that may "
            "only read and write rows, beside migrations that do not make every table it creates: add those "
            "tables to the migrations (alembic revision --autogenerate), so the app never needs DDL; ")


# the host and port after a URL's last `@`: `user:password@address:port/db`, `postgres://u:p@<host>:5432/x`
_HOST_PORT = re.compile(r"(?P<host>[^/:?#\s]*)(?::(?P<port>[^/?#\s]*))?")
_HOST_WORDS = {"host", "hostname", "address", "server", "ip", "domain", "your-host", "your_host", "db-host", "db_host"}
_PORT_WORDS = {"port", "your-port", "your_port", "db-port", "db_port", "xxxx"}
_URL_PARSE_ERROR = re.compile(r"(?i)port (?:contains|could not be cast)|invalid port|invalid literal for int\(\)|"
                              r"(?:InvalidURI|InvalidDSN|ConfigurationError|ArgumentError)|could not parse|"
                              r"could not translate host name")


def template_value_cause(env: dict[str, str], logs: str) -> str | None:
    """A URL given to the app that is still a template (`user:password@address:port`, a documented example
    copied as it is), when the app then fails to parse or resolve a URL. Names the setting and the part to
    fill in; only a placeholder word is ever shown, nothing else of the value (it may hold a real password)."""
    if _URL_PARSE_ERROR.search(logs) is None:
        return None
    for name, value in env.items():
        if "@" not in value or (m := _HOST_PORT.match(value.rsplit("@", 1)[1])) is None:
            continue
        host, port = m["host"], m["port"]
        if port and not port.isdigit() and not port.startswith("$"):
            part = f"its port is `{port}`" if port.lower().strip("<>") in _PORT_WORDS else "its port is not a number"
        elif host.lower() in _HOST_WORDS:
            part = f"its host is `{host}`"
        elif host.startswith("<"):
            part = "its host is a placeholder"
        else:
            continue
        return (f"the value given for {name} is an example, not an address ({part}): pass the real one with "
                f"--env {name}=… or in the env file; ")
    return None


_MULTIPART_MISSING = re.compile(r"Form data requires \"python-multipart\" to be installed")


def multipart_cause(logs: str) -> str | None:
    """FastAPI refuses, at import, a route that takes form data (`Form`, `UploadFile`) when python-multipart is
    not installed: a dependency the project never declared (fastapi[standard] brings it)."""
    if _MULTIPART_MISSING.search(logs) is None:
        return None
    return ("the app takes form data (Form, UploadFile) and python-multipart is not among its dependencies: add "
            "python-multipart (or fastapi[standard], which includes it) to them; ")


_NO_REGION = re.compile(r"\bNoRegionError\b")
# region_name=os.getenv("AWS_REGION"), os.environ.get(...), os.environ[...]: the setting the client's region comes from
_REGION_READ = re.compile(r"""region_name\s*=\s*os\.(?:getenv|environ\.get)\(\s*["'](\w+)["']|region_name\s*=\s*os\.environ\[\s*["'](\w+)["']\s*\]""")


def aws_region_cause(root: Path | None, logs: str, *, compose: bool = False) -> str | None:
    """botocore refuses to make a client without a region (phantuananh1206/DemoFastAPI builds an SES client at
    import with `region_name=os.getenv('AWS_REGION')`, which its .env.example leaves empty): name the setting the
    code reads for it, when a line of the project shows it, else boto3's own AWS_DEFAULT_REGION."""
    if _NO_REGION.search(logs) is None:
        return None
    if root is not None and (found := _first_line(root, _REGION_READ)) is not None:
        where, m = found
        name = m.group(1) or m.group(2)
        how = (f"add {name} to .env and to the service's environment" if compose
               else f"pass --env {name}=… (or set it in the env file)")
        return f"the app makes an AWS client with no region: it reads {name} for it ({where}), which nothing set: {how}; "
    how = "add AWS_DEFAULT_REGION to .env and to the service's environment" if compose else \
        "set AWS_DEFAULT_REGION (--env or the env file)"
    return f"the app makes an AWS client with no region: {how}; "


_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<module>[A-Za-z_][\w.]{0,200})'")
# modules the standard library dropped, and the Python that no longer has them
_LEFT_THE_STDLIB = {"distutils": "3.12", "imp": "3.12", "asynchat": "3.12", "asyncore": "3.12", "smtpd": "3.12",
                    "cgi": "3.13", "cgitb": "3.13", "crypt": "3.13", "imghdr": "3.13", "pipes": "3.13", "telnetlib": "3.13"}


def missing_module_cause(root: Path | None, logs: str) -> str | None:
    """`ModuleNotFoundError` at start (JackyChan8/default-fastapi-project imports sqladmin, which its requirements
    never declare): a module the standard library dropped, one of the project's own the image lacks, or a
    distribution its dependencies do not bring, with the line of the code that imports it."""
    found = _NO_MODULE.findall(logs)
    if not found:
        return None
    module = found[-1].split(".")[0]
    if module in _LEFT_THE_STDLIB:
        return (f"the code imports {module}, which the standard library dropped in Python {_LEFT_THE_STDLIB[module]}: "
                f"build on an older Python (--python) or move to a release of the package that no longer imports it; ")
    if root is None:
        return None
    # a package (its __init__.py) or a module: a folder of migrations named alembic/ is no package of the app's
    if (root / module / "__init__.py").is_file() or (root / f"{module}.py").is_file() or _own_namespace(root, module):
        return (f"the image lacks the project's own {module}, which the app imports in a way its import closure does not "
                f"show: add it with --include {module} (or [tool.quayside] include); ")
    where = _import_line(root, module)
    own = next((path for path in _own_files(root) if path.stem == module
                or (path.name == "__init__.py" and path.parent.name == module)), None)
    if own is not None:
        rel = (own.parent if own.parent.name == module else own).relative_to(root).as_posix()
        return (f"the app imports {module}{f' ({where})' if where else ''}, which is the project's own {rel}, not on the "
                "import path from the working directory (an import relative to its module, as Python 2 did?): import "
                f"it by its package's name, or as `from . import {module}`; ")
    return (f"the app imports {module}{f' ({where})' if where else ''}, which its image does not have: none of its "
            "dependencies declares or brings the distribution that provides it; add that to its dependency file; ")


def _own_namespace(root: Path, module: str) -> bool:
    """`module` is a folder of the project without __init__.py whose submodule the code imports (source/ holding
    controller/v1/__init__.py, imported as `from source.controller.v1 import …`): a namespace package."""
    from quayside.inspection.content import has_submodule

    folder = root / module
    if not folder.is_dir():
        return False
    pattern = re.compile(rf"^\s*(?:from|import)\s+{re.escape(module)}\.([\w.]+)", re.MULTILINE)
    found = _first_line(root, pattern)
    return found is not None and has_submodule(folder, found[1][1].split("."))


def _own_files(root: Path) -> list[Path]:
    from quayside.inspection.appsettings import _python_files

    return _python_files(root)


def _first_line(root: Path, pattern: re.Pattern[str]) -> tuple[str, re.Match[str]] | None:
    """The first place (`path:line`) in the project's code where the pattern matches, and the match."""
    for path in _own_files(root):
        if not path.is_file():  # a FIFO named like a module would block the read
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if (m := pattern.search(text)) is not None:
            return f"{path.relative_to(root).as_posix()}:{text.count(chr(10), 0, m.start()) + 1}", m
    return None


def _import_line(root: Path, module: str) -> str | None:
    pattern = re.compile(rf"^\s*(?:from\s+{re.escape(module)}(?:\.[\w.]+)?\s+import\b|import\s+{re.escape(module)}\b)", re.MULTILINE)
    found = _first_line(root, pattern)
    return found[0] if found is not None else None
