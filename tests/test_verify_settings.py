"""verify's settings: parsed as compose reads env files, masked everywhere, and the missing one named."""

from __future__ import annotations

import stat

import pytest

from quayside.errors import UserInputError
from quayside.inspection.appsettings import dotenv_value
from quayside.verify.settings import env_file, mask, missing_setting, parse_env_file, parse_env_options


def test_env_file_as_compose_reads_it(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("# comment\n\nexport API_KEY=abc123\nNAME='quoted value'\nEMPTY=\nURL=postgres://u:p@h/db?x=1\n"
                    'ACCESS_TOKEN_EXPIRE_MINUTES="<time>" #60\nLEVEL=info # or debug\n')
    assert parse_env_file(path) == {"API_KEY": "abc123", "NAME": "quoted value", "EMPTY": "", "URL": "postgres://u:p@h/db?x=1",
                                    "ACCESS_TOKEN_EXPIRE_MINUTES": "<time>", "LEVEL": "info"}


# (raw value after `NAME=`, the value compose and python-dotenv give the app)
DOTENV_VALUES = [
    ('"<time>" #60', "<time>"),  # crud-fastapi-postgres-streamlit's .env.example: a comment after the quotes
    ("info # or debug", "info"),
    ("abc#def", "abc#def"),  # a # inside a word is part of it
    ("'a#b' # note", "a#b"),
    ("'it''s'", "it"),
    ('"say \\"hi\\""', 'say "hi"'),
    ('"back\\\\slash"', "back\\slash"),
    ('"C:\\path"', "C:\\path"),  # an escape of anything else stays as written
    ('"never closed', '"never closed'),
    ('""', ""),
    ("  spaced  ", "spaced"),
    ("k=v=w", "k=v=w"),
    ("${OTHER}", "${OTHER}"),  # no interpolation: a documented example is taken as written
]


@pytest.mark.parametrize(("raw", "value"), DOTENV_VALUES, ids=[r for r, _ in DOTENV_VALUES])
def test_dotenv_values(raw, value):
    assert dotenv_value(raw) == value


@pytest.mark.parametrize("text", ["JUST A LINE\n", "1BAD=x\n", "=value\n"])
def test_a_bad_env_file_line_is_one_error(tmp_path, text):
    path = tmp_path / "app.env"
    path.write_text(text)
    with pytest.raises(UserInputError, match="line 1 is not NAME=VALUE"):
        parse_env_file(path)


def test_env_options():
    assert parse_env_options(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    with pytest.raises(UserInputError):
        parse_env_options(["nope"])


def test_values_are_masked_longest_first():
    env = {"API_KEY": "s3cret-value", "SHORT": "on", "PART": "s3cret"}
    assert mask("key=s3cret-value part=s3cret flag=on", env) == "key=*** part=*** flag=on"


def test_the_env_file_for_docker_is_private_and_removed():
    with env_file({"API_KEY": "s3cret"}) as path:
        assert path is not None
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == "API_KEY=s3cret\n"
    assert not path.exists()
    with pytest.raises(UserInputError, match="line break"), env_file({"A": "x\ny"}):
        pass


@pytest.mark.parametrize(("logs", "name"), [
    ("Traceback ...\n    API_KEY = os.environ['API_KEY']\nKeyError: 'API_KEY'\n", "API_KEY"),
    ("starlette.config.Config ... KeyError: \"Config 'SECRET_KEY' is missing, and has no default.\"", "SECRET_KEY"),
    ("pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\nDATABASE_URL\n  Field required [type=missing", "DATABASE_URL"),
    # langchain (family-bizzare-adventures), before pydantic's __root__ line could pass for a refused value
    ("pydantic.v1.error_wrappers.ValidationError: 1 validation error for OpenAI\n__root__\n  Did not find openai_api_key, "
     "please add an environment variable `OPENAI_API_KEY` which contains it, or pass `openai_api_key` as a named "
     "parameter. (type=value_error)", "OPENAI_API_KEY"),
    ("openai.OpenAIError: The api_key client option must be set either by passing api_key to the client or by setting "
     "the OPENAI_API_KEY environment variable", "OPENAI_API_KEY"),
    # the app's own check (Mir1a/FastApi_Telegram), and its usual phrasings
    ("  File \"/code/config.py\", line 8\nValueError: SECRET_AUTH is not set in the environment variables", "SECRET_AUTH"),
    ("RuntimeError: DATABASE_URL is required", "DATABASE_URL"),
    ("ValueError: BOT token not set in env", "BOT"),
    ("Exception: Missing environment variable: 'API_TOKEN'", "API_TOKEN"),
    ("ValueError: Port is not set", None),  # no setting's name in it
    ("ValueError: JSON is not set up for this", None),
    ("INFO: Started server process\n", None),
])
def test_the_missing_setting_is_named(logs, name):
    assert missing_setting(logs) == name


@pytest.mark.parametrize(("log", "service"), [
    ("OSError: Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)", "PostgreSQL"),
    ('psycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused',
     "PostgreSQL"),
    ("socket.gaierror: [Errno -2] Name or service not known (host postgres)", "PostgreSQL"),
    ("pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on 'localhost' ([Errno 111] Connection refused)\")",
     "MySQL/MariaDB"),
    ("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.", "Redis"),
    # testdrivenio/fastapi-celery-project: asyncio_redis retries for ever and the app never answers
    ("[2026-12-05 08:02:47,014: INFO] [/opt/venv/lib/python3.11/site-packages/asyncio_redis/connection.py:130] "
     "Connecting to redis failed. Retrying in 19.2216796875 seconds", "Redis"),
    # asyncpg through uvloop: the driver is named lines above the refused connection (seen on a real app)
    ('  File "/opt/venv/lib/python3.12/site-packages/asyncpg/connect_utils.py", line 1099, in __connect_addr\n'
     '    tr, pr = await connector\n  File "uvloop/loop.pyx", line 2043, in create_connection\n'
     "ConnectionRefusedError: [Errno 111] Connection refused", "PostgreSQL"),
    ('  File "/opt/venv/lib/python3.12/site-packages/httpx/_transports/default.py", line 69\n'
     "ConnectionRefusedError: [Errno 111] Connection refused", None),  # an HTTP call is not a database
    # kubszy/fastapi_mysql_project: mysqlclient, a container IP written in the code, no port on the line
    ('  File "/opt/venv/lib/python3.12/site-packages/MySQLdb/connections.py", line 195, in __init__\n'
     "MySQLdb.OperationalError: (2002, \"Can't connect to server on '172.17.0.2' (115)\")", "MySQL/MariaDB"),
    ("KeyError: 'API_KEY'", None),
])
def test_a_service_the_app_could_not_reach_is_named(log, service):
    from quayside.verify.settings import missing_service

    assert missing_service(f"Traceback (most recent call last):\n  ...\n{log}\n") == service


def test_shortened_secrets_in_logs_are_masked_too():
    """pydantic prints a long value shortened (`'8vFngxy5O...xs-NhLHy-h8AmI94EQzdZk'`): the pieces are masked."""
    from quayside.verify.settings import mask

    secret = "8vFngxy5Oabcdefghijklmnopqxs-NhLHy-h8AmI94EQzdZk"
    log = "input_value={'SECRET_KEY': '8vFngxy5O...xs-NhLHy-h8AmI94EQzdZk'} in /opt/venv/lib/python3.14/site.py"
    shown = mask(log, {"SECRET_KEY": secret})
    assert "8vFngxy5O" not in shown and "h8AmI94EQzdZk" not in shown
    assert "/opt/venv/lib/python3.14/site.py" in shown  # what is not a piece of a secret stays


@pytest.mark.parametrize(("argv", "orig_argv", "cmdline", "server"), [
    (["/opt/venv/bin/uvicorn"], None, b"", True),
    (["-c"], ["python", "-c", "import urllib.request"], b"", False),  # the health check
    (["-c"], ["python", "-c", "from multiprocessing.spawn import spawn_main", "--multiprocessing-fork"], b"", True),
    # Python < 3.10 has no sys.orig_argv: a spawned worker is told by its command line (seen on a 3.9 app,
    # whose --workers 2 answered the in-flight probe with 404)
    (["-c"], None, b"python\0-c\0from multiprocessing.spawn import spawn_main\0--multiprocessing-fork\0", True),
    (["-c"], None, b"python\0-c\0import urllib.request\0", False),
])
def test_the_probe_tells_server_processes_from_the_health_check(monkeypatch, argv, orig_argv, cmdline, server):
    import builtins
    import io
    import sys
    from importlib import resources

    source = resources.files("quayside.verify").joinpath("probe/sitecustomize.py").read_text(encoding="utf-8")
    monkeypatch.delenv("QUAYSIDE_PROBE", raising=False)
    namespace: dict[str, object] = {}
    exec(compile(source, "sitecustomize.py", "exec"), namespace)  # our own probe, as a container runs it
    fake_sys = type("FakeSys", (), {"argv": argv, **({"orig_argv": orig_argv} if orig_argv is not None else {})})
    monkeypatch.setitem(namespace, "sys", fake_sys)
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.BytesIO(cmdline) if path == "/proc/self/cmdline" else real_open(path, *a, **k))
    assert namespace["_is_server_process"]() is server  # type: ignore[operator]
    assert sys.argv  # the real interpreter is untouched


@pytest.mark.parametrize(("without_default", "given", "image_env", "expected"), [
    ((("DATABASE_URL", "app/config.py:13"),), {}, [], "the app reads DATABASE_URL (app/config.py:13) with no default, "
     "and none was given; DATABASE_URL is a connection URL: run the app beside its database (quayside verify --compose)"),
    ((("PINECONE_HOST", "src/vdb/client.py:11"),), {}, ["PATH=/usr/bin"], "the app reads PINECONE_HOST (src/vdb/client.py:11) "
     "with no default, and none was given: pass --env-file FILE or --env PINECONE_HOST=…"),
    ((("API_KEY", "main.py:3"),), {"API_KEY": "x"}, [], None),  # given with --env
    ((("API_KEY", "main.py:3"),), {}, ["API_KEY=baked"], None),  # the image sets it
    ((), {}, [], None),
], ids=["connection-url", "plain", "given", "in-image", "none"])
def test_unset_settings_the_code_reads_are_named_when_nothing_else_is(without_default, given, image_env, expected):
    from quayside.verify.image import _unset_cause, _unset_settings
    from quayside.verify.report import VerifyOptions

    unset = _unset_settings(VerifyOptions(env=given, settings_without_default=without_default), image_env)
    if expected is None:
        assert unset == []
    else:
        assert _unset_cause(unset).startswith(expected)


def test_a_project_package_named_like_a_dependency_is_found_and_named(tmp_path):
    """sandl99/fastapi_index's shape: its own fastapi/ folder, whose __init__ does a Python 2 `from config import *`."""
    from quayside.inspection import inspect_project
    from quayside.verify import _shadowing
    from quayside.verify.settings import shadowing_cause
    from support.projects import write

    files = {"requirements.txt": "fastapi[standard]\nredis\n", "backend.py": "from fastapi import FastAPI\napp = FastAPI()\n",
             "fastapi/__init__.py": "from config import *\n", "fastapi/config.py": "X = 1\n", "redis.py": "",
             "data/fastapi/notes.txt": "", "uvicorn/readme.txt": ""}  # not packages: no shadow
    assert _shadowing(inspect_project(write(tmp_path / "p", files))) == ("fastapi/", "redis.py")
    logs = 'File "/code/fastapi/__init__.py", line 1\nModuleNotFoundError: No module named \'config\'\n'
    assert shadowing_cause(("fastapi/",), logs).startswith("the project's own fastapi/ has the name of the fastapi library")
    assert shadowing_cause((), logs) is None
    assert shadowing_cause(("fastapi/",), "psycopg2.OperationalError: could not connect") is None


@pytest.mark.parametrize(("logs", "refused"), [
    ("pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\nMAIL_PORT\n  Input should be a valid "
     "integer, unable to parse string as an integer [type=int_parsing, input_value='', input_type=str]\n",
     ("MAIL_PORT", "Input should be a valid integer, unable to parse string as an integer")),
    ("pydantic.error_wrappers.ValidationError: 2 validation errors for Settings\nDEBUG\n  value could not be parsed to a "
     "boolean (type=type_error.bool)\n", ("DEBUG", "value could not be parsed to a boolean")),
    ("ValidationError: 1 validation error for Settings\nDATABASE_URL\n  Field required [type=missing, input_value={}]\n", None),
    ("ValidationError: 1 validation error for Settings\nSECRET\n  String should have at least 32 characters "
     "[type=string_too_short, input_value='hunter2', input_type=str]\n", ("SECRET", "String should have at least 32 characters")),
], ids=["v2-int", "v1-bool", "missing-is-not-refused", "value-never-echoed"])
def test_a_setting_whose_value_the_app_refuses_is_named_without_its_value(logs, refused):
    from quayside.verify.settings import refused_setting

    assert refused_setting(logs) == refused


@pytest.mark.parametrize(("code", "files"), [
    ('from dotenv import dotenv_values\nX = dotenv_values(".env")["X"]\n', (".env",)),
    ("import dotenv\nX = dotenv.dotenv_values()\n", (".env",)),
    ("from dotenv import dotenv_values, find_dotenv\nX = dotenv_values(find_dotenv())\n", (".env",)),
    ('from dotenv import dotenv_values\nX = dotenv_values("config/app.env")\n', ("config/app.env",)),
    # outside the working directory, or a path only known at run time: nothing to mount
    ('from dotenv import dotenv_values\nX = dotenv_values("/etc/app.env")\n', ()),
    ('from dotenv import dotenv_values\nX = dotenv_values("../.env")\n', ()),
    ("import os\nfrom dotenv import dotenv_values\nX = dotenv_values(os.environ['F'])\n", ()),
    # load_dotenv leaves the environment first: no file needed
    ("from dotenv import load_dotenv\nload_dotenv()\n", ()),
])
def test_env_files_the_code_reads_itself(tmp_path, code, files):
    from quayside.inspection.appsettings import dotenv_files

    (tmp_path / "main.py").write_text(code)
    assert dotenv_files(tmp_path) == files


@pytest.mark.parametrize("value", ["plain", "with $HOME and $X", "it's", "both ' and \" and \\ and $X", ""])
def test_a_mounted_env_file_carries_each_value_as_given(tmp_path, value):
    dotenv = pytest.importorskip("dotenv")
    from quayside.verify.image import _dotenv_line

    path = tmp_path / ".env"
    path.write_text(_dotenv_line("K", value))
    assert dotenv.dotenv_values(path)["K"] == value


def test_a_value_python_dotenv_would_expand_is_refused(tmp_path):
    from quayside.verify.image import _dotenv_mounts
    from quayside.verify.report import VerifyOptions

    options = VerifyOptions(env={"K": "pa${HOME}ss"}, dotenv_files=(".env",))
    with pytest.raises(UserInputError, match=r"K holds \$\{…\}, which python-dotenv expands"):
        _dotenv_mounts(tmp_path, options, "/code")
    assert _dotenv_mounts(tmp_path, VerifyOptions(env={"K": "pa${HOME}ss"}), "/code") == []  # no file read: nothing to do


@pytest.mark.parametrize(("logs", "path"), [
    # zaikays/FastApiTest: settings from config/<APP_ENV>/.env, read by dotenv_values (the value masked)
    ("FileNotFoundError: The file does not exist at the specified path: /code/config/***/.env\n", "/code/config/***/.env"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/code/settings/prod.env'\n", "/code/settings/prod.env"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/code/model.joblib'\n", None),
])
def test_a_settings_file_the_image_does_not_hold_is_named(logs, path):
    from quayside.verify.settings import settings_file_cause

    cause = settings_file_cause(logs)
    assert (cause is None) if path is None else (cause is not None and f"settings file {path}," in cause)


@pytest.mark.parametrize(("logs", "named"), [
    # lumakos/ai-project-python-fastapi: create_all at import, a table its migrations do not make
    ("sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) permission denied for schema public\n", True),
    ("pymysql.err.OperationalError: (1142, \"CREATE command denied to user 'shop_app'@'172.18.0.3' for table 'items'\")\n", True),
    ("psycopg2.errors.InsufficientPrivilege: permission denied for table items\n", False),  # a grant, not DDL
    ("│ OperationalError: (pymysql.err.OperationalError) (1142, \"CREATE command denied │\n│ to user 'a'\")", True),
])
def test_schema_changes_by_the_rows_only_role_are_named(logs, named):
    from quayside.verify.settings import rows_only_cause

    assert (rows_only_cause(logs) is not None) is named


def test_a_setting_handed_to_a_database_engine_is_named_a_connection_url():
    """omeraen/Redis_FastAPI_PostgreSQL: `DB = os.getenv('DB')`, then `create_engine(DB)`: a URL by its use."""
    from quayside.verify.image import _unset_cause

    unset = [("DB", "main.py:10")]
    assert "DB is a connection URL: run the app beside its database" in _unset_cause(unset, frozenset({"DB"}))
    assert "connection URL" not in _unset_cause(unset)  # by its name alone, DB says nothing


PORT_ERROR = "ValueError: Port contains non-digit characters. Hint: username and password must be escaped\n"


@pytest.mark.parametrize(("env", "logs", "named"), [
    # sonalyze/sonalyze-backend: .env.sample's DB_CONNECTION_STRING, copied as it is
    ({"DB_CONNECTION_STRING": "user:password@address:port/?authSource=admin"}, PORT_ERROR,
     "DB_CONNECTION_STRING is an example, not an address (its port is `port`)"),
    ({"DATABASE_URL": "postgresql://u:p@<host>:5432/app"}, "sqlalchemy.exc.ArgumentError: could not parse\n",
     "DATABASE_URL is an example, not an address (its host is a placeholder)"),
    ({"DATABASE_URL": "postgresql://u:p@host:5432/app"}, "could not translate host name \"host\" to address\n",
     "DATABASE_URL is an example, not an address (its host is `host`)"),
    # a password holding `@` and `:` is never shown: only the part after the last @ is read
    ({"DATABASE_URL": "postgresql://u:s3cr@t:pw@db:nonnumeric/app"}, PORT_ERROR,
     "DATABASE_URL is an example, not an address (its port is not a number)"),
    # real addresses, or no URL error in the logs: no such cause
    ({"DATABASE_URL": "postgresql://u:password@localhost:5432/app"}, PORT_ERROR, None),
    ({"DB_CONNECTION_STRING": "user:password@address:port/"}, "KeyError: 'API_KEY'\n", None),
    ({"URL": "postgresql://u:p@db:${PORT}/app"}, PORT_ERROR, None),
], ids=["sonalyze", "angle-host", "word-host", "password-never-shown", "real", "other-error", "variable-port"])
def test_a_url_left_as_its_documented_example_is_named(env, logs, named):
    from quayside.verify.settings import template_value_cause

    cause = template_value_cause(env, logs)
    assert (cause is None) if named is None else (cause is not None and named in cause), cause
    assert cause is None or "s3cr" not in cause


@pytest.mark.parametrize(("logs", "named"), [
    # spell-book's shape: a Form route, python-multipart never declared
    ('  File "/opt/venv/lib/python3.12/site-packages/fastapi/dependencies/utils.py", line 95, in ensure_multipart_is_installed\n'
     '    raise RuntimeError(multipart_not_installed_error) from None\n'
     'RuntimeError: Form data requires "python-multipart" to be installed. \n', True),
    ("RuntimeError: Form data requires something else\n", False),
])
def test_form_data_without_python_multipart_is_named(logs, named):
    from quayside.verify.settings import multipart_cause
    from quayside.verify.stack import _cause

    assert (multipart_cause(logs) is not None) is named
    assert ("python-multipart is not among its dependencies" in _cause(logs)) is named


PLACEHOLDER_APP = """from pydantic import SecretStr
from pydantic_settings import BaseSettings
from fastapi import FastAPI


class Settings(BaseSettings):
    SECRET_KEY: str
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60
    DOMAIN: str = "localhost"
    DB_USER: str = "CHANGE_ME_IN_ENV_FILE"
    DB_PASSWORD: SecretStr = SecretStr("CHANGE_ME_IN_ENV_FILE")


app = FastAPI()
"""


@pytest.mark.parametrize(("from_file", "env", "passed", "left"), [
    # crud-fastapi-postgres-streamlit's example: the int has a default, the secret has none
    ({"SECRET_KEY", "ACCESS_TOKEN_EXPIRE_MINUTES"}, {"SECRET_KEY": "<your hex 32>", "ACCESS_TOKEN_EXPIRE_MINUTES": "<time>"},
     {"SECRET_KEY": "<your hex 32>"}, ("ACCESS_TOKEN_EXPIRE_MINUTES",)),
    # given with --env (not from the file): always passed, as given
    (set(), {"ACCESS_TOKEN_EXPIRE_MINUTES": "<time>"}, {"ACCESS_TOKEN_EXPIRE_MINUTES": "<time>"}, ()),
    # seapagan/fastapi-template: the code's default is itself a sentinel its validator refuses: the documented
    # value goes on
    ({"DB_USER"}, {"DB_USER": "your_database_username"}, {"DB_USER": "your_database_username"}, ()),
    ({"DB_PASSWORD"}, {"DB_PASSWORD": "your_secure_password_here"}, {"DB_PASSWORD": "your_secure_password_here"}, ()),
    # a real value, and a placeholder for a setting the code does not read: passed
    ({"DOMAIN", "OTHER"}, {"DOMAIN": "example.org", "OTHER": "changeme"}, {"DOMAIN": "example.org", "OTHER": "changeme"}, ()),
])
def test_env_file_placeholders_leave_the_codes_default(tmp_path, from_file, env, passed, left):
    from quayside.inspection import inspect_project
    from quayside.verify import VerifyOptions, project_options

    project = tmp_path / "placeholders"
    project.mkdir()
    (project / "main.py").write_text(PLACEHOLDER_APP)
    (project / "requirements.txt").write_text("fastapi[standard]\npydantic-settings\n")
    options, _ = project_options(inspect_project(project), VerifyOptions(env=env, env_from_file=frozenset(from_file)), None)
    assert options.env == passed
    assert options.placeholders_left == left


@pytest.mark.parametrize(("logs", "gitignore", "named"), [
    ("FileNotFoundError: [Errno 2] No such file or directory: 'key.json'", "key.json\n", "key.json"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/code/secret.json'", "/secret.json\n", "secret.json"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/code/conf/keys.json'", "conf/\n", "conf/keys.json"),
    # the broken variants: not ignored, or outside the working directory
    ("FileNotFoundError: [Errno 2] No such file or directory: 'key.json'", "other.json\n", None),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/etc/key.json'", "key.json\n", None),
    ("FileNotFoundError: [Errno 2] No such file or directory: '../key.json'", "key.json\n", None),
])
def test_a_file_the_gitignore_keeps_out_is_named(tmp_path, logs, gitignore, named):
    from quayside.verify.settings import ignored_file_cause

    (tmp_path / ".gitignore").write_text(gitignore)
    cause = ignored_file_cause(tmp_path, logs)
    assert (cause is None) if named is None else cause.startswith(f"the app opens {named}, which the project's .gitignore")
    assert ignored_file_cause(None, logs) is None  # --image: no project to ask


SHUTDOWN_FAILED = """INFO:     Shutting down
INFO:     Waiting for application shutdown.
ERROR:    Traceback (most recent call last):
  File "/opt/venv/lib/python3.12/site-packages/starlette/routing.py", line 700, in lifespan
    await receive()
  File "/code/src/main.py", line 61, in shutdown_event
    await app.state.aio_pika_connection.close()
AttributeError: 'State' object has no attribute 'aio_pika_connection'

ERROR:    Application shutdown failed. Exiting.
INFO:     Finished server process [1]
"""


@pytest.mark.parametrize(("logs", "seen", "said"), [
    # sylviakyu/fastapi_crud: its shutdown handler closes a connection it never opened
    (SHUTDOWN_FAILED, False, "the app's lifespan shutdown raised AttributeError: 'State' object has no attribute "
                             "'aio_pika_connection'"),
    # an exception while serving, before the shutdown began, is not the shutdown's
    ("ValueError: bad request body\nINFO:     Waiting for application shutdown.\nINFO:     Finished server process [1]\n",
     False, "no lifespan shutdown"),
    ("INFO:     Waiting for application shutdown.\nINFO:     Application shutdown complete.\n", True, "in the logs"),
    ("app-1  | INFO:     Waiting for application shutdown.\napp-1  | RuntimeError: pool closed twice\n", False,
     "raised RuntimeError: pool closed twice"),
    # the app's logging config silences uvicorn: the probe saw Starlette's lifespan.shutdown.failed
    ("[main][INFO ] startup!!\nquayside probe: lifespan shutdown failed: AttributeError: 'State' object has no "
     "attribute 'aio_pika_connection'\n", False, "raised AttributeError: 'State' object"),
])
def test_a_failed_shutdown_is_named_by_its_exception(logs, seen, said):
    from quayside.verify.image import shutdown_seen

    found, detail = shutdown_seen(logs)
    assert found is seen and said in detail, detail


NO_REGION = """  File "/code/src/utils/email.py", line 13, in <module>
    ses_client = boto3.client(
botocore.exceptions.NoRegionError: You must specify a region.
"""


@pytest.mark.parametrize(("code", "said"), [
    # phantuananh1206/DemoFastAPI: region_name=os.getenv('AWS_REGION'), documented empty
    ("import boto3, os\nses = boto3.client('ses', region_name=os.getenv('AWS_REGION'))\n",
     "it reads AWS_REGION for it (src/utils/email.py:2)"),
    ("import boto3, os\ns3 = boto3.client('s3', region_name=os.environ['S3_REGION'])\n", "it reads S3_REGION for it"),
    ("import boto3\ns3 = boto3.client('s3')\n", "set AWS_DEFAULT_REGION"),  # boto3's own setting
])
def test_an_aws_client_without_a_region_is_named(tmp_path, code, said):
    from quayside.verify.settings import aws_region_cause
    from support.projects import write

    root = write(tmp_path / "p", {"src/utils/email.py": code})
    cause = aws_region_cause(root, NO_REGION)
    assert cause is not None and said in cause, cause
    assert aws_region_cause(root, "ValueError: something else\n") is None  # another failure is not this one
    assert "to .env and to the service's environment" in (aws_region_cause(root, NO_REGION, compose=True) or "")


WITHOUT_DEFAULT = [
    ("required-field", "class S(BaseSettings):\n    api_key: str\n", ["API_KEY"]),
    ("environ-read", "import os\nDB = os.environ['DB']\n", ["DB"]),
    ("getenv-none", "import os\nDB = os.getenv('DB')\n", ["DB"]),
    # josejnra/fastapi-base: defaults that are not strings are defaults still, and a script that sets a variable
    # for itself does not read it
    ("none-default", "class S(BaseSettings):\n    schema: str | None = Field(default=None)\n", []),
    ("factory-default", "class S(BaseSettings):\n    secret_key: str = Field(default_factory=make_key)\n", []),
    ("environ-assigned", "import os\nos.environ['APP_DATABASE_URL'] = 'postgresql://localhost/db'\n", []),
    ("getenv-default", "import os\nDB = os.getenv('DB', 'sqlite://')\n", []),
    ("a-flag", "import os\nDEBUG: bool\nclass S(BaseSettings):\n    debug: bool\n", []),
    # source-builder/python-fastapi reads through a function of its own: `getEnv("PORT")`
    ("own-getter", "import os\ndef getEnv(key):\n    return os.getenv(key)\nport = int(getEnv('PORT'))\n", ["PORT"]),
    ("own-getter-of-environ", "import os\ndef must(name: str) -> str:\n    return os.environ[name]\nKEY = must('API_KEY')\n",
     ["API_KEY"]),
    # a method named like the getter is not it, nor a function that reads another variable than its argument
    ("dict-get-is-no-getter", "import os\ndef get(key):\n    return os.getenv(key)\nheaders = {}\nH = headers.get('HOST')\n",
     []),
    ("fixed-read-is-no-getter", "import os\ndef home(key):\n    return os.getenv('HOME_DIR')\nX = home('OTHER')\n", ["HOME_DIR"]),
]


@pytest.mark.parametrize(("case", "code", "named"), WITHOUT_DEFAULT, ids=[c[0] for c in WITHOUT_DEFAULT])
def test_settings_without_default_are_those_with_none(tmp_path, case, code, named):
    from quayside.verify import _settings_without_default

    root = tmp_path / case
    root.mkdir()
    (root / "config.py").write_text("from pydantic_settings import BaseSettings\nfrom pydantic import Field\n" + code)
    assert [name for name, _ in _settings_without_default(root)] == named


@pytest.mark.parametrize(("logs", "said"), [
    # loguru's sink opened in the working directory (josejnra/fastapi-base), framed by rich
    ("│ path = '/code/log.log' │\nPermissionError: [Errno 13] Permission denied: '/code/log.log'\n",
     "the app writes log.log among its code (/code/log.log), which is read-only to the app user"),
    ("PermissionError: [Errno 13] Permission denied: '/code/app/uploads/a.png'", "the app writes app/uploads/a.png"),
    ("OSError: [Errno 30] Read-only file system: '/code/log.log'", "the app writes log.log among its code"),  # compose
    ("PermissionError: [Errno 13] Permission denied: '/var/log/app.log'", None),  # not the code: another cause
    ("FileNotFoundError: [Errno 2] No such file or directory: '/code/log.log'", None),
    ("Permission denied: '/code/x'", None),  # not Python's error
])
def test_a_write_among_the_code_is_named(logs, said):
    from quayside.verify.settings import read_only_code_cause

    cause = read_only_code_cause(logs)
    assert (cause is None) if said is None else (cause is not None and cause.startswith(said) and "logs/" in cause)


@pytest.mark.parametrize(("field", "required", "named"), [
    # AntonNovozhilov/treadbook_users: env_prefix="user_", pydantic names the field
    ("db_port", (("USER_DB_PORT", "app/core/config.py:7"), ("USER_DB_HOST", "app/core/config.py:8")), "USER_DB_PORT"),
    ("db_name", (), "USER_DB_NAME"),  # an int or a str: known as a setting the code reads
    ("API_KEY", (("API_KEY", "main.py:3"),), "API_KEY"),
    ("db_port", (), "db_port"),  # nothing known: as pydantic said
    ("port", (("DB_PORT", "a.py:1"), ("REDIS_PORT", "a.py:2")), "port"),  # two could be it: as pydantic said
    (None, (), None),
])
def test_a_missing_field_is_named_by_the_variable_that_sets_it(field, required, named):
    from quayside.verify.image import _as_read
    from quayside.verify.report import VerifyOptions

    reads = frozenset({"USER_DB_NAME", "USER_DB_PORT", "OTHER"})
    assert _as_read(field, VerifyOptions(settings_without_default=required, app_reads=reads if field == "db_name" else frozenset())) == named


@pytest.mark.parametrize(("name", "said"), [
    ("USER_DB_PORT", "missing setting USER_DB_PORT, the port of its database's address: run the app beside its database"),
    ("POSTGRES_SERVER", "the host of its database's address"),
    ("DB_NAME", "the name of its database's address"),
    ("API_KEY", "missing setting API_KEY: pass --env-file FILE or --env API_KEY=…"),
    # UdhayaShan1/fastapi-alembic-pytest-template: RuntimeError when DATABASE_URL is unset
    ("DATABASE_URL", "missing setting DATABASE_URL, which is a connection URL: run the app beside its database"),
    ("REDIS_PORT", "missing setting REDIS_PORT: pass --env-file"),  # not the database's
])
def test_a_missing_part_of_the_database_address_sends_the_app_beside_its_database(name, said):
    from quayside.verify.image import _missing_cause

    cause = _missing_cause(name)
    assert said in cause and ("database" in cause) == ("database" in said)


def test_the_stack_names_a_missing_field_by_its_variable_too():
    """Under verify --compose, the same: treadbook_users' `db_port` is USER_DB_PORT (broken variant: without what
    the code reads, pydantic's field name)."""
    from quayside.verify import stack

    logs = "pydantic_core._pydantic_core.ValidationError: 1 validation error for Setting\ndb_port\n  Field required [type=missing]\n"
    assert stack._cause(logs, reads=frozenset({"USER_DB_PORT", "USER_DB_HOST"})).startswith("missing setting USER_DB_PORT:")
    assert stack._cause(logs).startswith("missing setting db_port:")


MISSING = "Traceback (most recent call last):\n  File \"/code/app/main.py\", line 3\nModuleNotFoundError: No module named '{}'\n"
PROJECT = {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n"
           "from sqladmin import Admin\nimport helpers\napp = FastAPI()\n", "app/helpers.py": "", "core/__init__.py": "",
           "alembic/env.py": "from alembic import context\n", "app/routes.py": "from source.controller.v1 import router\n",
           "source/controller/v1/__init__.py": "router = 1\n"}


@pytest.mark.parametrize(("module", "cause"), [
    # JackyChan8/default-fastapi-project: sqladmin imported, never declared
    ("sqladmin.models", "the app imports sqladmin (app/main.py:2), which its image does not have"),
    ("helpers", "the app imports helpers (app/main.py:3), which is the project's own app/helpers.py"),
    ("core", "the image lacks the project's own core, which the app imports"),
    ("source", "the image lacks the project's own source, which the app imports"),  # a namespace package of folders
    ("distutils", "the standard library dropped in Python 3.12"),
    ("alembic", "the app imports alembic (alembic/env.py:1), which its image does not have"),  # a folder, no package
])
def test_a_module_missing_at_start_is_named(tmp_path, module, cause):
    from quayside.verify.settings import missing_module_cause
    from support.projects import write

    root = write(tmp_path / "p", PROJECT)
    found = missing_module_cause(root, MISSING.format(module))
    assert found is not None and cause in found, found


def test_other_failures_name_no_missing_module(tmp_path):
    from quayside.verify.settings import missing_module_cause

    assert missing_module_cause(tmp_path, "ImportError: cannot import name 'x' from 'y'") is None
    assert missing_module_cause(None, MISSING.format("sqladmin")) is None  # no project to read: the logs say it


LOG_OPENED = """Traceback (most recent call last):
  File "/usr/local/lib/python3.11/logging/config.py", line 573, in configure
    handler = self.configure_handler(handlers[name])
  File "/usr/local/lib/python3.11/logging/handlers.py", line 155, in __init__
    BaseRotatingHandler.__init__(self, filename, mode, encoding=encoding,
  File "/usr/local/lib/python3.11/logging/__init__.py", line 1205, in _open
    return open_func(self.baseFilename, self.mode,
FileNotFoundError: [Errno 2] No such file or directory: '/code/src/logs/error.log'
"""


def test_a_log_file_in_an_ignored_folder_is_named_a_folder_to_make(tmp_path):
    """MercyClassic/pg_jsonb_learn: dictConfig's RotatingFileHandler writes src/logs/error.log, and `logs` is in
    .gitignore: what the image lacks is the folder, which `writable` makes. Opened by the app's own code, the
    same path is a file it reads (the broken variant keeps the old wording)."""
    from quayside.verify.settings import ignored_file_cause

    (tmp_path / ".gitignore").write_text("logs\n")
    cause = ignored_file_cause(tmp_path, LOG_OPENED)
    assert cause is not None and cause.startswith("the app writes its log to src/logs/error.log, in src/logs/"), cause
    assert '[tool.quayside] writable = ["src/logs"]' in cause
    read = "  File \"/code/src/main.py\", line 3\nFileNotFoundError: [Errno 2] No such file or directory: '/code/src/logs/error.log'\n"
    assert (ignored_file_cause(tmp_path, read) or "").startswith("the app opens src/logs/error.log")
