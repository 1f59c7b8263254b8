"""Live: an app that needs a setting to start. Without it verify names the setting; with --env-file it passes;
the value never appears in anything verify prints, nor on the docker command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quayside.engine import docker

pytestmark = pytest.mark.docker

SECRET = "s3cret-api-key-do-not-print"
APP = """import os

from fastapi import FastAPI

API_KEY = os.environ["API_KEY"]  # stops at import without it, as many real apps do

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "key_length": str(len(API_KEY))}
"""


def _quayside(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=900, check=False)


def test_a_required_setting_is_named_then_given_and_never_shown(tmp_path):
    project = tmp_path / "needs-settings"
    project.mkdir()
    (project / "main.py").write_text(APP)
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
    assert _quayside("init", str(project)).returncode == 0
    tag = "quayside-test/needs-settings:1"
    try:
        without = _quayside("verify", str(project), "-t", tag)
        assert without.returncode == 1
        assert "missing setting API_KEY: pass --env-file" in without.stdout + without.stderr
        (tmp_path / "app.env").write_text(f"# the documented example values\nAPI_KEY={SECRET}\n")
        with_file = _quayside("--debug", "verify", "--image", tag, "--env-file", str(tmp_path / "app.env"),
                              "--expect", '/health={"status":"ok","key_length":"27"}')
        assert with_file.returncode == 0, with_file.stdout + with_file.stderr
        assert SECRET not in with_file.stdout + with_file.stderr  # --debug traces every docker command: not in it
        broken = _quayside("verify", "--image", tag, "--env", f"API_KEY={SECRET}", "--expect", '/health={"status":"broken"}')
        assert broken.returncode == 1
        assert SECRET not in broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def _init_and_fail_verify(project, tag: str) -> str:
    """A guide-style requirements file, init, and a verify that must fail: its output."""
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
    assert _quayside("init", str(project)).returncode == 0
    failed = _quayside("verify", str(project), "-t", tag)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    return failed.stdout + failed.stderr


def test_a_start_that_fails_without_naming_a_setting_names_the_unset_ones_the_code_reads(tmp_path):
    """tortoise-orm's shape (fastapi-tdd-docker): `db_url=os.environ.get("DATABASE_URL")` is None, and the error
    says only 'You should init either from "config", "config_file" or "db_url"'. verify names DATABASE_URL, where
    the code reads it, and that it is a connection URL; given, the app starts."""
    project = tmp_path / "orm-at-start"
    project.mkdir()
    (project / "main.py").write_text('''import os
from contextlib import asynccontextmanager

from fastapi import FastAPI


class ConfigurationError(Exception):
    pass


@asynccontextmanager
async def lifespan(app: FastAPI):
    db_url = os.environ.get("DATABASE_URL")
    if db_url is None:
        raise ConfigurationError('You should init either from "config", "config_file" or "db_url"')
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
''')
    tag = "quayside-test/orm-at-start:1"
    try:
        output = _init_and_fail_verify(project, tag)
        assert "the app reads DATABASE_URL (main.py:13) with no default, and none was given" in output
        assert "quayside verify --compose" in output
        given = _quayside("verify", "--image", tag, "--env", "DATABASE_URL=sqlite://:memory:")
        assert given.returncode == 0, given.stdout + given.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_package_of_the_project_named_like_its_library_is_named_as_the_cause(tmp_path):
    """sandl99/fastapi_index's shape: the project's own fastapi/ folder is imported in the library's place and
    fails; verify says so. Renamed (the fixed project), the same app starts: the cause was the name."""
    project = tmp_path / "shadow"
    (project / "fastapi").mkdir(parents=True)
    (project / "fastapi" / "__init__.py").write_text("from config import *  # Python 2's implicit relative import\n")
    (project / "fastapi" / "config.py").write_text("LOG_LEVEL = 'info'\n")
    (project / "backend.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                                        "def health() -> dict[str, str]:\n    return {'status': 'ok'}\n")
    tag = "quayside-test/shadow:1"
    try:
        output = _init_and_fail_verify(project, tag)
        assert "the project's own fastapi/ has the name of the fastapi library it depends on" in output
        (project / "fastapi").rename(project / "settings_pkg")
        assert _quayside("init", str(project), "--force").returncode == 0
        renamed = _quayside("verify", str(project), "-t", tag)
        assert renamed.returncode == 0, renamed.stdout + renamed.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_setting_the_app_refuses_is_named_and_its_value_never_shown(tmp_path):
    """beyond-crud's shape: a documented setting with a value its settings class refuses (MAIL_PORT="" for an int).
    verify names the setting and why, masks the value, and passes once the value is one the app takes."""
    project = tmp_path / "refuses"
    project.mkdir()
    (project / "main.py").write_text('''import os

from fastapi import FastAPI
from pydantic import BaseModel


class Settings(BaseModel):
    MAIL_PORT: int


settings = Settings(MAIL_PORT=os.environ.get("MAIL_PORT", "smtp"))
app = FastAPI()


@app.get("/health")
def health() -> dict[str, int]:
    return {"mail_port": settings.MAIL_PORT}
''')
    tag = "quayside-test/refuses:1"
    try:
        (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
        assert _quayside("init", str(project)).returncode == 0
        assert _quayside("build", str(project), "-t", tag).returncode == 0
        # railsathi's shape: nobody gave it, and the app's own default is refused: the setting must be set
        default = _quayside("verify", "--image", tag)
        assert default.returncode == 1
        assert "nothing gave MAIL_PORT, and the app refuses its own default (Input should be a valid integer" in default.stdout
        refused = _quayside("verify", "--image", tag, "--env", f"MAIL_PORT={SECRET}")
        output = refused.stdout + refused.stderr
        assert refused.returncode == 1 and SECRET not in output
        assert "the app refuses the value of MAIL_PORT (Input should be a valid integer" in output
        taken = _quayside("verify", "--image", tag, "--env", "MAIL_PORT=2525", "--expect", '/health={"mail_port":2525}')
        assert taken.returncode == 0, taken.stdout + taken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_settings_the_code_reads_from_an_env_file_reach_it_there(tmp_path):
    """sonalyze-backend's shape: `dotenv_values(".env")` reads the file only, never the environment, and the image
    holds no .env. verify with the project gives the settings in a file mounted where the code reads it; the
    broken variant (`verify --image`, which knows nothing of the code) names the setting the app did not see."""
    project = tmp_path / "dotenv"
    (project / "src" / "database").mkdir(parents=True)
    (project / "src" / "database" / "engine.py").write_text(
        'from dotenv import dotenv_values\n\nconnection_string = dotenv_values(".env")["DB_CONNECTION_STRING"] or ""\n')
    (project / "src" / "database" / "__init__.py").write_text("")
    (project / "src" / "__init__.py").write_text("")
    (project / "src" / "main.py").write_text('from fastapi import FastAPI\n\nfrom src.database.engine import connection_string\n\n'
                                             'app = FastAPI()\n\n\n@app.get("/health")\ndef health() -> dict[str, int]:\n'
                                             '    return {"length": len(connection_string)}\n')
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\npython-dotenv>=1.0\n")
    (project / ".env.sample").write_text("DB_CONNECTION_STRING=\n")
    tag = "quayside-test/dotenv:1"
    value = "user:pa'ss$word@mongo:27017"
    try:
        assert _quayside("init", str(project)).returncode == 0
        given = _quayside("verify", str(project), "-t", tag, "--env", f"DB_CONNECTION_STRING={value}",
                          "--expect", f'/health={{"length": {len(value)}}}')
        assert given.returncode == 0, given.stdout + given.stderr
        assert value not in given.stdout + given.stderr
        bare = _quayside("verify", "--image", tag, "--env", f"DB_CONNECTION_STRING={value}")
        assert bare.returncode == 1 and "DB_CONNECTION_STRING was given, yet the app did not see it" in bare.stdout
        assert "pass --env-file" not in bare.stdout and value not in bare.stdout + bare.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_url_left_as_its_documented_example_is_named(tmp_path):
    """sonalyze-backend's shape: .env.sample documents `user:password@address:port`, and the app stops parsing
    it. verify names the setting and the part to fill in, never the value; given a real address, it starts."""
    project = tmp_path / "example-url"
    project.mkdir()
    (project / "main.py").write_text('''import os
from urllib.parse import urlsplit

from fastapi import FastAPI

DB_PORT = urlsplit("mongodb://" + os.environ["DB_CONNECTION_STRING"]).port  # ValueError on a port that is a word

app = FastAPI()


@app.get("/health")
def health() -> dict[str, int | None]:
    return {"port": DB_PORT}
''')
    tag = "quayside-test/example-url:1"
    example = "someone:s3cret-pw@address:port/?authSource=admin"
    try:
        (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
        assert _quayside("init", str(project)).returncode == 0
        failed = _quayside("verify", str(project), "-t", tag, "--env", f"DB_CONNECTION_STRING={example}")
        output = failed.stdout + failed.stderr
        assert failed.returncode == 1, output
        assert "the value given for DB_CONNECTION_STRING is an example, not an address (its port is `port`)" in output
        assert "s3cret-pw" not in output
        real = _quayside("verify", "--image", tag, "--env", "DB_CONNECTION_STRING=someone:pw@mongo:27017/",
                         "--expect", '/health={"port": 27017}')
        assert real.returncode == 0, real.stdout + real.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_placeholder_in_the_env_file_leaves_the_apps_default(tmp_path):
    """crud-fastapi-postgres-streamlit's example: `ACCESS_TOKEN_EXPIRE_MINUTES="<time>" #60` beside code with a
    default. Read as compose reads it (the comment is no part of the value), the placeholder is not passed and
    the default stands; given the same placeholder with --env (the broken variant), the app refuses it, named."""
    project = tmp_path / "placeholder"
    project.mkdir()
    (project / "main.py").write_text('''from fastapi import FastAPI
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    SECRET_KEY: str
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24


settings = Settings()
app = FastAPI()


@app.get("/health")
def health() -> dict[str, int]:
    return {"minutes": settings.ACCESS_TOKEN_EXPIRE_MINUTES}
''')
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\npydantic-settings>=2\n")
    example = project / ".env.example"
    example.write_text('SECRET_KEY="<your hex 32>" #secret\nACCESS_TOKEN_EXPIRE_MINUTES="<time>" #60\n')
    tag = "quayside-test/placeholder:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--env-file", str(example), "--expect", '/health={"minutes":1440}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "placeholder for ACCESS_TOKEN_EXPIRE_MINUTES: the app's own default stands" in ok.stdout
        given = _quayside("verify", str(project), "-t", tag, "--env-file", str(example), "--env", "ACCESS_TOKEN_EXPIRE_MINUTES=<time>")
        assert given.returncode == 1
        assert "the app refuses the value of ACCESS_TOKEN_EXPIRE_MINUTES (Input should be a valid integer" in given.stdout
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_an_aws_client_without_its_region_names_the_setting(tmp_path):
    """phantuananh1206/DemoFastAPI: an SES client built at import with region_name=os.getenv('AWS_REGION'), which
    its .env.example leaves empty. verify names AWS_REGION and where the code reads it, not only botocore's
    NoRegionError; given a region (no AWS call is made at import), the same image passes."""
    project = tmp_path / "aws-region"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "main.py").write_text(
        "import os\n\nimport boto3\nfrom fastapi import FastAPI\n\n"
        "ses = boto3.client('ses', region_name=os.getenv('AWS_REGION'))\napp = FastAPI()\n\n\n"
        "@app.get('/health')\ndef health() -> dict[str, str]:\n    return {'region': ses.meta.region_name}\n")
    tag = "quayside-test/aws-region:1"
    try:
        (project / "requirements.txt").write_text("fastapi[standard]>=0.115\nboto3>=1.34,<2\n")
        assert _quayside("init", str(project)).returncode == 0
        failed = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20")
        output = failed.stdout + failed.stderr
        assert failed.returncode == 1, output
        assert "it reads AWS_REGION for it (app/main.py:6)" in output, output
        given = _quayside("verify", str(project), "-t", tag, "--env", "AWS_REGION=eu-west-1",
                          "--expect", '/health={"region":"eu-west-1"}')
        assert given.returncode == 0, given.stdout + given.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


ROTATING_LOG = """import logging
from logging.handlers import RotatingFileHandler

from fastapi import FastAPI

handler = RotatingFileHandler({path!r}, maxBytes=1_000_000, backupCount=2)  # rotation renames files beside it
logging.getLogger("app").addHandler(handler)
app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {{"log": handler.baseFilename}}
"""


def test_a_log_file_written_among_the_code_is_named(tmp_path):
    """josejnra/fastapi-base's shape: a log that rotates, opened at start. In a folder of its own, init makes
    that folder writable and the app starts; in the working directory (root's code, read-only to the app user)
    it cannot start, and verify names the file and the way out instead of settings it has defaults for."""
    project = tmp_path / "rotating-log"
    project.mkdir()
    (project / "main.py").write_text(ROTATING_LOG.format(path="logs/app.log"))
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
    tag = "quayside-test/rotating-log:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"log":"/code/logs/app.log"}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        (project / "main.py").write_text(ROTATING_LOG.format(path="app.log"))
        assert _quayside("init", str(project), "--force").returncode == 0
        failed = _quayside("verify", str(project), "-t", tag)
        assert failed.returncode == 1
        assert "the app writes app.log among its code (/code/app.log)" in failed.stdout + failed.stderr, failed.stdout
    finally:
        docker.run(["rmi", "-f", tag], check=False)


REDIS_AT_START = """import os

import redis
from fastapi import FastAPI

cache = redis.Redis(host=os.environ["REDIS_HOST"], port=int(os.environ["REDIS_PORT"]),
                    password=os.environ["REDIS_PASSWORD"], socket_connect_timeout=2)
cache.ping()  # at import: no cache, no app
app = FastAPI()
"""


def test_a_cache_named_by_a_value_it_was_given_is_still_named_as_the_cause(tmp_path):
    """darkweid/fastapi-template's shape: REDIS_HOST=redis from its example file, and a ping at start. The logs
    verify shows mask every given value, so `redis` and `6379` become ***; the cause is read from the logs as
    written (broken variant, reading the masked logs: no cause), and the password is never shown."""
    project = tmp_path / "cache-at-start"
    project.mkdir()
    (project / "main.py").write_text(REDIS_AT_START)
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\nredis>=5\n")
    tag = "quayside-test/cache-at-start:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        failed = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20", "--env", "REDIS_HOST=redis",
                           "--env", "REDIS_PORT=6379", "--env", f"REDIS_PASSWORD={SECRET}")
        output = failed.stdout + failed.stderr
        assert failed.returncode == 1
        assert "the app could not reach Redis at start" in output, output
        assert "***" in output and SECRET not in output
    finally:
        docker.run(["rmi", "-f", tag], check=False)
