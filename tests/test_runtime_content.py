"""What the runtime image holds: the app's import closure over first-party code, the data it visibly reads,
and the project's include/exclude — never a secret. Each row is a tiny project shaped like a real failure."""

from __future__ import annotations

import os

import pytest

from quayside.errors import UserInputError
from quayside.init import InitRequest, plan_init
from quayside.inspection import inspect_project
from support.projects import FIXTURES, tree_digest, write

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"

# (id, files, the paths copied). Every project has requirements.txt.
CONTENT = [
    ("single-file", {"main.py": APP}, ["main.py"]),
    ("sibling-packages", {
        "app/__init__.py": "", "app/main.py": "from core.config import X\nfrom api import routes\n" + APP,
        "core/__init__.py": "", "core/config.py": "X = 1\n", "api/__init__.py": "", "api/routes.py": "import helpers\n",
        "helpers.py": "", "unrelated/__init__.py": "", "unrelated/x.py": "",
    }, ["api", "app", "core", "helpers.py"]),
    ("lazy-import-in-function", {
        "app/__init__.py": "", "app/main.py": APP + "def load():\n    import plugins.extra\n",
        "plugins/__init__.py": "", "plugins/extra.py": "",
    }, ["app", "plugins"]),
    ("import-module-literal", {
        "app/__init__.py": "", "app/main.py": "import importlib\n" + APP + "importlib.import_module('workers.jobs')\n",
        "workers/jobs.py": "",
    }, ["app", "workers"]),
    ("namespace-package", {"app/main.py": "from shared.util import f\n" + APP, "shared/util.py": "f = 1\n"},
     ["app", "shared"]),
    # source-builder/python-fastapi: source/ holds only folders (controller/v1/__init__.py, service/…), no module
    ("namespace-package-of-folders", {
        "main.py": "from source.controller.v1 import router\nfrom source import service\n" + APP,
        "source/controller/v1/__init__.py": "router = 1\n", "source/service/users.py": "",
    }, ["main.py", "source"]),
    ("a-folder-named-like-a-distribution-is-not-code", {
        "app/__init__.py": "", "app/main.py": "import redis.asyncio\n" + APP, "redis/redis.conf": "", "redis/conf/x.conf": "",
    }, ["app"]),
    ("third-party-name-is-not-local", {"app/__init__.py": "", "app/main.py": "import requests\n" + APP}, ["app"]),
    ("src-layout", {
        "src/svc/__init__.py": "", "src/svc/main.py": "from svc import db\n" + APP, "src/svc/db.py": "",
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n',
    }, ["src"]),
    ("data-literal", {
        "app/__init__.py": "", "app/main.py": APP + "WORDS = open('data/words.txt').read()\n",
        "data/words.txt": "a\n", "data/other.txt": "b\n",
    }, ["app", "data/words.txt"]),
    ("data-folder-by-keyword", {
        "app/__init__.py": "",
        "app/main.py": "from fastapi.staticfiles import StaticFiles\n" + APP + "app.mount('/s', StaticFiles(directory='assets'))\n",
        "assets/site.css": "",
    }, ["app", "assets"]),
    ("file-anchor-parent-parent", {
        "app/__init__.py": "",
        "app/main.py": "from pathlib import Path\n" + APP + "M = Path(__file__).resolve().parent.parent / 'sample_model' / 'model.joblib'\n",
        "sample_model/model.joblib": "x", "sample_model/unused.bin": "y",
    }, ["app", "sample_model/model.joblib"]),
    ("file-anchor-through-constant", {
        "app/__init__.py": "",
        "app/core.py": "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parents[1]\nDATA = BASE_DIR / 'data'\n",
        "app/main.py": "from app import core\n" + APP, "data/a.csv": "",
    }, ["app", "data"]),
    ("os-path-join-dirname", {
        "app/__init__.py": "",
        "app/main.py": "import os\n" + APP + "P = os.path.join(os.path.dirname(__file__), '..', 'config', 'x.yaml')\n",
        "config/x.yaml": "",
    }, ["app", "config/x.yaml"]),
    ("path-constructor-with-parts", {  # sylviakyu/fastapi_crud: Path(parent_dir, "setting.json").resolve()
        "src/__init__.py": "",
        "src/main.py": "import json\nfrom pathlib import Path\n" + APP + "parent_dir = Path(__file__).parents[1]\n"
                       "CONFIG = json.loads(open(Path(parent_dir, 'setting.json').resolve()).read())\n",
        "setting.json": "{}", "other.json": "{}",
    }, ["setting.json", "src"]),
    ("inside-the-package-adds-nothing", {
        "app/__init__.py": "", "app/main.py": "from pathlib import Path\n" + APP + "T = Path(__file__).parent / 'templates'\n",
        "app/templates/a.html": "",
    }, ["app"]),
    ("missing-path-is-not-content", {"app/__init__.py": "", "app/main.py": APP + "open('data/cache.json')\n"}, ["app"]),
    ("path-named-by-the-documented-settings", {
        "app/__init__.py": "", "app/main.py": APP + "import os\nMODEL = os.environ['DEFAULT_MODEL_PATH']\n",
        ".env.example": "API_KEY=sample\nDEFAULT_MODEL_PATH=./sample_model/model.joblib\nURL=http://x/a.b\n",
        "sample_model/model.joblib": "x",
    }, ["app", "sample_model/model.joblib"]),
    ("conventional-folders", {"app/__init__.py": "", "app/main.py": APP, "alembic.ini": "", "alembic/env.py": ""},
     ["alembic", "alembic.ini", "app"]),
    ("broken-sibling-module-is-skipped", {
        "app/__init__.py": "", "app/main.py": "import tools\n" + APP, "tools/__init__.py": "", "tools/old.py": "print 'py2'\n",
    }, ["app", "tools"]),
]


@pytest.mark.parametrize(("files", "expected"), [(f, e) for _, f, e in CONTENT], ids=[i for i, _, _ in CONTENT])
def test_runtime_content(tmp_path, files, expected):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", **files})
    content = inspect_project(root).runtime_content(extras=("alembic.ini", "alembic", "migrations", "templates", "static"))
    assert list(content.paths) == expected


def test_a_secret_the_code_reads_is_left_out_and_said(tmp_path):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "",
                                  "app/main.py": APP + "KEY = open('.env').read()\nDB = open('local.db')\n",
                                  ".env": "API_KEY=x\n", "local.db": ""})
    content = inspect_project(root).runtime_content()
    assert content.paths == ("app",)
    assert any(s.startswith(".env ") and "run time" in s for s in content.skipped)
    assert any(s.startswith("local.db ") for s in content.skipped)


# kou7306/progate: `open('key.json')` of Supabase keys, a file its .gitignore keeps out of the repository
GITIGNORED = {"requirements.txt": "fastapi[standard]\n", "main.py": APP + "KEYS = open('key.json').read()\n",
              "key.json": '{"supabase_key": "never-in-an-image"}\n', "app/__init__.py": "", "app/routes.py": "",
              "app/config/key.json": "{}\n", "app/config/settings.py": "", "main2.py": "import app.routes\n"}


@pytest.mark.parametrize("in_a_repository", [False, True])
def test_a_file_the_gitignore_keeps_out_of_the_repository_is_never_copied(tmp_path, in_a_repository):
    import subprocess

    root = write(tmp_path / "p", {**GITIGNORED, "main.py": GITIGNORED["main.py"] + "import app.routes\n"})
    # the broken variant first: without the .gitignore, the code's literal copies key.json, the folder its neighbour
    content = inspect_project(root).runtime_content()
    assert "key.json" in content.paths and content.ignore_lines == ()
    write(root, {".gitignore": "key.json\n__pycache__/\n"})
    if in_a_repository:
        for args in (["init", "-q"], ["add", "-A"]):
            subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, timeout=60)
    before = tree_digest(root)
    content = inspect_project(root).runtime_content()
    assert content.paths == ("app", "main.py")
    assert any(s.startswith("key.json (\"key.json\" read in main.py): the project's .gitignore keeps it out")
               for s in content.skipped)
    assert content.ignore_lines == ("app/config/key.json",)  # inside a copied folder: the .dockerignore says so
    assert tree_digest(root) == before  # asking git wrote nothing into the project
    # asked for by name, it is the user's choice
    content = inspect_project(root).runtime_content(include=("key.json",))
    assert "key.json" in content.paths


def test_a_tracked_file_the_gitignore_names_is_still_copied(tmp_path):
    import subprocess

    root = write(tmp_path / "p", {**GITIGNORED, ".gitignore": "key.json\n"})
    for args in (["init", "-q"], ["add", "-A"], ["add", "-f", "key.json"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, timeout=60)
    assert "key.json" in inspect_project(root).runtime_content().paths  # committed: every checkout holds it


def test_a_symlink_leading_out_is_not_content(tmp_path):
    outside = write(tmp_path / "outside", {"secret.txt": "x"})
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "",
                                  "app/main.py": APP + "open('data/secret.txt')\n"})
    os.symlink(outside, root / "data")
    assert inspect_project(root).runtime_content().paths == ("app",)


def test_include_and_exclude_from_the_project_and_the_command_line(tmp_path):
    root = write(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n'
                          '[tool.quayside]\ninclude = ["seed"]\nexclude = ["app/fixtures"]\n',
        "app/__init__.py": "", "app/main.py": APP, "app/fixtures/big.json": "{}", "seed/a.sql": "", "docs/x.md": "",
    })
    info = inspect_project(root)
    content = info.runtime_content(include=("docs/x.md",))
    assert content.paths == ("app", "docs/x.md", "seed")
    assert content.ignore_lines == ("app/fixtures",)
    assert [e.why for e in content.entries if e.path == "seed"] == ["[tool.quayside] include"]
    plan = plan_init(root, InitRequest(exclude=("seed",)))
    dockerignore = next(w for w in plan.writes if w.name == ".dockerignore").content
    dockerfile = next(w for w in plan.writes if w.name == "Dockerfile").content
    assert "\napp/fixtures\n" in dockerignore
    assert "seed" not in dockerfile and "COPY ./app /code/app" in dockerfile


@pytest.mark.parametrize(("request_args", "message"), [
    ({"include": (".env",)}, "looks like a secret"),
    ({"include": ("../elsewhere",)}, "no such file or folder inside the project"),
    ({"include": ("/etc/passwd",)}, "no such file or folder inside the project"),
    ({"include": ("nope",)}, "no such file or folder inside the project"),
    ({"exclude": ("app",)}, "would leave out the app itself"),
    ({"health_path": "health"}, "is not a URL path"),
    ({"health_path": "//evil.example/x"}, "is not a URL path"),
    ({"apt_build": ("libpq-dev; rm -rf /",)}, "is not a Debian package name"),
])
def test_bad_content_options_are_one_clear_error_and_write_nothing(tmp_path, request_args, message):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "", "app/main.py": APP,
                                  ".env": "K=v\n"})
    with pytest.raises(UserInputError, match=message):
        plan_init(root, InitRequest(**request_args))
    assert not (root / "Dockerfile").exists()


@pytest.mark.parametrize(("table", "message"), [
    ('include = "data"', "include must be a list of strings"),
    ('health-path = 3', "health-path must be a string"),
    ('health-path = "no-slash"', "is not a URL path"),
    ('apt-runtime = ["LibPQ"]', "is not a Debian package name"),
    ('helth-path = "/x"', "has no key 'helth-path'"),
    ('start-timeout = "2m"', "start-timeout must be a number of seconds"),
])
def test_bad_tool_quayside_tables(tmp_path, table, message):
    root = write(tmp_path / "p", {"pyproject.toml": f'[project]\nname = "p"\nversion = "1"\n[tool.quayside]\n{table}\n',
                                  "main.py": APP})
    with pytest.raises(UserInputError, match=message):
        inspect_project(root)


def test_nested_data_files_are_copied_to_their_own_folder(tmp_path):
    plan = plan_init(FIXTURES / "sibling-packages", InitRequest())
    dockerfile = next(w for w in plan.writes if w.name == "Dockerfile").content
    for line in ("COPY ./api /code/api", "COPY ./core /code/core", "COPY ./helpers.py /code/",
                 "COPY ./data/words.txt /code/data/", "COPY ./sample_model/model.txt /code/sample_model/"):
        assert line in dockerfile
    assert "tests" not in dockerfile


def test_alembic_in_a_folder_of_its_own_goes_into_the_image(tmp_path):
    """sylviakyu/fastapi_crud: migration/alembic.ini (script_location = migration). compose's migrate runs
    `alembic -c migration/alembic.ini upgrade head` in the app's image, so the folder must be in it; without an
    ini there (the broken variant's shape) the folder is not the app's."""
    files = {"requirements.txt": "fastapi\nuvicorn\nalembic\nsqlalchemy\npsycopg2-binary\n", "main.py": APP,
             "migration/alembic.ini": "[alembic]\nscript_location = migration\n", "migration/env.py": "",
             "migration/versions/0001_init.py": ""}
    plan = plan_init(write(tmp_path / "p", files), InitRequest())
    dockerfile = next(w for w in plan.writes if w.name == "Dockerfile").content
    assert "COPY ./migration /code/migration" in dockerfile
    (tmp_path / "p" / "migration" / "alembic.ini").unlink()
    plan = plan_init(tmp_path / "p", InitRequest())
    assert "migration" not in next(w for w in plan.writes if w.name == "Dockerfile").content


def test_what_the_migrations_import_goes_into_the_image_too(tmp_path):
    """darkweid/fastapi-template: migrations/env.py does `import models`, a top-level package the app itself
    reaches through src/ only. compose's migrate runs in the app's image: before, it stopped with
    ModuleNotFoundError. The library alembic is not the project's, and what nothing imports stays out."""
    files = {"requirements.txt": "fastapi\nuvicorn\nalembic\nsqlalchemy\npsycopg2-binary\n",
             "src/__init__.py": "", "src/main.py": APP, "alembic.ini": "[alembic]\nscript_location = migrations\n",
             "migrations/env.py": "from alembic import context\nimport models  # noqa\nfrom src.main import app\n",
             "migrations/versions/0001_init.py": "import sqlalchemy as sa\n",
             "models/__init__.py": "from models.user import User\n", "models/user.py": "from shared import Base\n",
             "shared.py": "Base = object\n", "scripts/seed.py": "import models\n"}
    plan = plan_init(write(tmp_path / "p", files), InitRequest())
    dockerfile = next(w for w in plan.writes if w.name == "Dockerfile").content
    for line in ("COPY ./migrations /code/migrations", "COPY ./models /code/models", "COPY ./shared.py /code/"):
        assert line in dockerfile
    assert "scripts" not in dockerfile


@pytest.mark.parametrize(("code", "folders"), [
    ("import os\nos.makedirs('logs', exist_ok=True)\n", ["logs"]),
    ("from pathlib import Path\nPath('./data/uploads').mkdir(parents=True, exist_ok=True)\n", ["data/uploads"]),
    ("import logging\nh = logging.FileHandler('var/log/app.log')\n", ["var/log"]),
    ("from loguru import logger\nlogger.add('logs/app.log', rotation='1 day')\n", ["logs"]),
    ("class Settings:\n    log_path: str = './logs'\n    UPLOAD_DIR = 'media'\n", ["logs", "media"]),
    ("import os\nos.makedirs('/var/lib/app', exist_ok=True)\nos.makedirs('../up')\nname_dir = 'x'\n", []),  # not under /code
    ("DB = 'sqlite:///./data/app.db'\nABS = 'sqlite:////var/db.sqlite'\n", ["data"]),
    ("ROOT_DB = 'sqlite:///./db.sqlite3'\n", [".data"]),  # a file in the workdir itself: linked into .data
    ("DB_DIR = './var'\nURL = f'sqlite:///{DB_DIR}/app.db'\n", ["var"]),  # an f-string of module constants
])
def test_folders_the_app_writes_to(tmp_path, code, folders):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "", "app/main.py": APP + code})
    assert [path for path, _ in inspect_project(root).runtime_content().writable] == folders


APP_SERVICE = "services:\n  api:\n    build:\n      context: {context}\n    volumes:\n{volumes}"


@pytest.mark.parametrize(("compose", "volumes", "existing", "folders"), [
    # MercyClassic/pg_jsonb_learn: docker/docker-compose.yml builds `..` and mounts ../src/logs, which .gitignore keeps out
    ("docker/docker-compose.yml", "      - ../src/logs:/app/src/logs\n", {}, ["src/logs"]),
    ("docker-compose.yml", "      - ./uploads:/app/uploads\n", {}, ["uploads"]),
    ("compose.yaml", "      - type: bind\n        source: ./data\n        target: /srv/data\n", {}, ["data"]),
    # the broken variants: the author's live code (a reload mount), read-only, a named volume, a file, another
    # layout in the old image, a folder outside the project
    ("docker-compose.yml", "      - ./app:/app/app\n", {}, []),
    ("docker-compose.yml", "      - ./uploads:/app/uploads:ro\n", {}, []),
    ("docker-compose.yml", "      - uploads:/app/uploads\n", {}, []),
    ("docker-compose.yml", "      - ./db.sqlite3:/app/db.sqlite3\n", {}, []),
    ("docker-compose.yml", "      - ./uploads:/app/media\n", {}, []),
    ("docker-compose.yml", "      - ../shared:/app/shared\n", {}, []),
    ("docker-compose.yml", "      - ./uploads:/app/uploads\n", {"uploads/keep.txt": ""}, []),  # the repository holds it
])
def test_folders_the_projects_own_compose_file_mounts_into_its_app(tmp_path, compose, volumes, existing, folders):
    context = ".." if "/" in compose else "."
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "", "app/main.py": APP,
                                  ".gitignore": "logs\n", compose: APP_SERVICE.format(context=context, volumes=volumes),
                                  **existing})
    assert [path for path, _ in inspect_project(root).runtime_content().writable] == folders


def test_a_service_that_builds_another_context_mounts_nothing_of_the_apps(tmp_path):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "app/__init__.py": "", "app/main.py": APP,
                                  "docker-compose.yml": "services:\n  web:\n    build: ./frontend\n    volumes:\n"
                                                        "      - ./uploads:/app/uploads\n  nginx:\n    image: nginx\n"
                                                        "    volumes:\n      - ./media:/var/media\n"})
    assert inspect_project(root).runtime_content().writable == ()


def test_writable_folders_are_owned_by_the_app_user_and_volumes_under_a_read_only_root(tmp_path):
    root = write(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n'
                          '[tool.quayside]\nwritable = ["uploads"]\n',
        "app/__init__.py": "", "app/main.py": APP + "import os\nos.makedirs('logs', exist_ok=True)\n"})
    from quayside.plan.options import Target

    files = {w.name: w.content for w in plan_init(root, InitRequest(target=Target.COMPOSE)).writes}
    assert "RUN install -d -o 10001 -g 10001 /code/logs /code/uploads\n" in files["Dockerfile"]
    assert "      - app-logs:/code/logs\n      - app-uploads:/code/uploads\n" in files["compose.yaml"]
    kube = {w.name: w.content for w in plan_init(root, InitRequest(target=Target.KUBERNETES, force=True)).writes}
    assert "mountPath: /code/logs" in kube["k8s/base/deployment.yaml"]


@pytest.mark.parametrize(("code", "linked"), [
    ("ENGINE_URL = 'sqlite:///./db.sqlite3'\n", ["db.sqlite3"]),
    # ayeo144/fastapi-explore: the URL is an f-string of a module constant
    ("DB_PATH = './sql_app.db'\nURL = f'sqlite:///{DB_PATH}'\n", ["sql_app.db"]),
    ("import os\nURL = f'sqlite:///{os.environ[\"DB\"]}'\nNAME = 'x.db'\nOTHER = f'sqlite:///{NAME!r}'\n", []),  # not read
    ("import sqlite3\nc = sqlite3.connect('visits.db')\n", ["visits.db"]),
    ("import aiosqlite\nc = aiosqlite.connect('./q.db')\n", ["q.db"]),
    ("import sqlite3\nc = sqlite3.connect(':memory:')\nd = sqlite3.connect('data/x.db')\n", []),  # no file; a folder
    ("import sqlite3\nc = sqlite3.connect('a b;rm -rf.db')\n", []),  # a name a shell would misread: left alone
    # log files in the workdir (FastAPI-RQ's shape: loguru's logger.add('app.log')); rotation renames beside
    # the file, which a link cannot carry: left alone
    ("from loguru import logger\nlogger.add('app.log', level='WARNING')\n", ["app.log"]),
    ("import logging\nlogging.basicConfig(filename='service.log')\nh = logging.FileHandler('./audit.log')\n",
     ["audit.log", "service.log"]),
    ("from loguru import logger\nlogger.add('app.log', rotation='1 day')\nlogger.add(print)\n", []),
])
def test_files_the_app_writes_in_the_workdir_are_linked_into_a_data_folder(tmp_path, code, linked):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", "main.py": APP + code})
    content = inspect_project(root).runtime_content()
    assert list(content.linked_files) == linked
    dockerfile = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    for name in linked:
        assert f"    && ln -s /code/.data/{name} /code/{name}" in dockerfile
    assert ("RUN install -d -o 10001 -g 10001 /code/.data" in dockerfile) == bool(linked)


def test_linked_sqlite_files_get_a_volume_only_without_a_database_server(tmp_path):
    from quayside.plan.options import Target

    code = APP + "from sqlalchemy import create_engine\nengine = create_engine('sqlite:///./db.sqlite3')\n"
    alone = write(tmp_path / "alone", {"requirements.txt": "fastapi[standard]\nsqlalchemy\n", "main.py": code})
    files = {w.name: w.content for w in plan_init(alone, InitRequest(target=Target.COMPOSE)).writes}
    assert "      - app-data:/code/.data\n" in files["compose.yaml"]
    assert "postgres" not in files["compose.yaml"]  # the code opens SQLite: no server beside it
    served = write(tmp_path / "served", {"requirements.txt": "fastapi[standard]\nsqlalchemy\npsycopg2-binary\n",
                                         "main.py": code})
    files = {w.name: w.content for w in plan_init(served, InitRequest(target=Target.COMPOSE)).writes}
    assert "/code/.data" not in files["compose.yaml"] and "postgres" in files["compose.yaml"]
    # a log file beside a database server is still written (natthawatthap/fastapi-template's FileHandler("app.log")
    # met a read-only /code/app.log under compose): the volume stays
    logged = write(tmp_path / "logged", {"requirements.txt": "fastapi[standard]\nsqlalchemy\npsycopg2-binary\n",
                                         "main.py": code.replace("'sqlite:///./db.sqlite3'", "'postgresql://db/app'")
                                         + "import logging\nlogging.basicConfig(handlers=[logging.FileHandler('app.log')])\n"})
    files = {w.name: w.content for w in plan_init(logged, InitRequest(target=Target.COMPOSE)).writes}
    assert "      - app-data:/code/.data\n" in files["compose.yaml"] and "postgres" in files["compose.yaml"]


def test_the_start_timeout_sets_the_health_check_start_period_and_what_verify_waits(tmp_path):
    from quayside.verify import VerifyOptions, project_options

    root = write(tmp_path / "p", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n'
                          '[tool.quayside]\nstart-timeout = 90\n',
        "main.py": APP})
    dockerfile = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    assert "--start-period=90s" in dockerfile
    given = next(w for w in plan_init(root, InitRequest(start_timeout=150.5)).writes if w.name == "Dockerfile").content
    assert "--start-period=151s" in given
    info = inspect_project(root)
    assert project_options(info, VerifyOptions(), None)[0].start_timeout == 90
    assert project_options(info, VerifyOptions(start_timeout=5, start_timeout_given=True), None)[0].start_timeout == 5
    with pytest.raises(UserInputError, match="--start-timeout must be a number of seconds"):
        plan_init(root, InitRequest(start_timeout=0))


def test_a_committed_file_the_app_writes_is_linked_not_copied(tmp_path):
    """FastAPI-RQ commits its app.log: the image must not carry the stale copy, read-only where the app appends."""
    code = APP + "from loguru import logger\nlogger.add('app.log', level='WARNING')\n"
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\nloguru\n", "main.py": code, "app.log": "old\n"})
    content = inspect_project(root).runtime_content()
    assert content.linked_files == ("app.log",) and "app.log" not in content.paths
    copied = inspect_project(root).runtime_content(include=("app.log",))  # asked for: copied, not linked
    assert "app.log" in copied.paths and copied.linked_files == ()
