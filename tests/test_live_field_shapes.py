"""Live: projects shaped like the real apps that failed verify (issue 11), built and proven on the engine.

- sibling packages of app/ (core/, api/, a top-level helpers.py), a model beside the code reached through
  `Path(__file__).parent.parent`, a data file opened by a relative path, a logs/ folder it makes and writes to
  (owned by the app user, the rest read-only to it), a SQLite file in the working directory (a link into .data,
  without which the app cannot write it): all in the image, and the app answers
  with what it read. Leaving one sibling out (--exclude core) fails with the import error named: the check
  can fail.
- settings-prefixed routers through a factory in another module, with docs disabled: the health check and
  verify ask for /api/v1/utils/healthz (a BaseSettings default), not a 404 at /openapi.json.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from quayside.engine import docker
from support.projects import FIXTURES, commit_all, copy_project, write

pytestmark = pytest.mark.docker


def _quayside(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=900, check=False)


def test_sibling_packages_and_data_files_reach_the_image(tmp_path):
    project = copy_project(FIXTURES / "sibling-packages", tmp_path)
    (project / ".env").write_text("API_KEY=never-in-the-image\n")
    assert _quayside("init", str(project)).returncode == 0
    tag = "quayside-test/sibling-packages:1"
    try:
        ok = _quayside("verify", str(project), "-t", tag,
                       "--expect", '/health={"words":["alpha","beta"],"model":"model-v1","helper":"from-helpers"}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        listing = docker.run(["run", "--rm", "--entrypoint", "ls", tag, "-A", "/code"], timeout=60).stdout.split()
        assert sorted(listing) == [".data", "api", "app", "core", "data", "helpers.py", "logs", "sample_model", "visits.db"]
        # the rest of /code stays read-only to the app user: only the link into .data lets SQLite write
        denied = docker.run(["run", "--rm", "--entrypoint", "python", tag, "-c", "open('/code/other.db', 'w')"],
                            timeout=60, check=False)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
        dockerfile = project / "Dockerfile"
        unlinked = dockerfile.read_text().replace(" \\\n    && ln -s /code/.data/visits.db /code/visits.db", "")
        assert unlinked != dockerfile.read_text()
        dockerfile.write_text(unlinked)
        broken = _quayside("verify", str(project), "-t", tag)
        assert broken.returncode == 1 and "unable to open database file" in broken.stdout + broken.stderr

        assert _quayside("init", str(project), "--force", "--exclude", "core").returncode == 0
        broken = _quayside("verify", str(project), "-t", tag)
        assert broken.returncode == 1
        assert "No module named 'core'" in broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_settings_prefixed_routes_from_a_factory_with_docs_disabled(tmp_path):
    project = copy_project(FIXTURES / "settings-factory", tmp_path)
    assert _quayside("init", str(project)).returncode == 0
    assert "8000/api/v1/utils/healthz'" in (project / "Dockerfile").read_text()
    tag = "quayside-test/settings-factory:1"
    try:
        result = _quayside("verify", str(project), "-t", tag)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "first 200 from /api/v1/utils/healthz" in output
        assert "/openapi.json" not in output
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_package_project_keeps_its_dependency_layer_digest_across_code_changes(tmp_path):
    """uv project with a build system: installed apart from its dependencies, its metadata still found. The
    broken variant (the project installed into the dependency virtualenv, as before) fails cache_reused."""
    project = copy_project(FIXTURES / "uv-package", tmp_path)
    assert _quayside("init", str(project)).returncode == 0
    tag = "quayside-test/uv-package:1"
    try:
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"version":"1.2.3"}')
        output = ok.stdout + ok.stderr
        assert ok.returncode == 0, output
        assert "runtime dependency layer" in output and "unchanged" in output

        dockerfile = project / "Dockerfile"
        broken = dockerfile.read_text().replace("--target /opt/project .", ".").replace(
            "COPY --from=project /opt/project /opt/project", "COPY --from=project /opt/venv /opt/venv")
        assert broken != dockerfile.read_text()
        dockerfile.write_text(broken)
        failed = _quayside("verify", str(project), "-t", tag)
        assert failed.returncode == 1
        assert "runtime dependency layer changed" in failed.stdout + failed.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_an_app_folder_without_init_importing_a_top_level_package(tmp_path):
    """app/main.py (no __init__.py: the import root is app/) imports `src.helpers` from the project root, as the
    BitGrading app does: both folders are copied and both are on the image's PYTHONPATH. The mutant (only the
    import root on it) fails with the import error named."""
    project = write(tmp_path / "root-package", {
        "requirements.txt": "fastapi[standard]>=0.115\n",
        "app/main.py": "from fastapi import FastAPI\n\nfrom src.helpers import VALUE\n\napp = FastAPI()\n\n\n"
                       "@app.get('/health')\ndef health():\n    return {'value': VALUE}\n",
        "src/__init__.py": "",
        "src/helpers.py": "VALUE = 'from the root package'\n",
    })
    _passes_then_fails_without(project, "quayside-test/root-package:1", '/health={"value":"from the root package"}',
                               "PYTHONPATH=/code/app:/code ", "PYTHONPATH=/code/app ", "No module named 'src'")


def _init_and_pass(project, tag: str, writes: str, *expect: str) -> None:
    """init writes `writes` into the Dockerfile, and verify passes with these --expect checks."""
    assert _quayside("init", str(project)).returncode == 0
    assert writes in (project / "Dockerfile").read_text()
    ok = _quayside("verify", str(project), "-t", tag, *[a for e in expect for a in ("--expect", e)])
    assert ok.returncode == 0, ok.stdout + ok.stderr


def _passes_then_fails_without(project, tag: str, expect: str, line: str, broken_line: str, error: str,
                               file: str = "Dockerfile", init: tuple[str, ...] = ()) -> None:
    """init writes `line` into `file` and verify passes with `expect`; with `broken_line` in its place verify
    fails with `error`: the check can fail."""
    assert _quayside("init", str(project), *init).returncode == 0
    dockerfile = project / file
    assert line in dockerfile.read_text()
    try:
        ok = _quayside("verify", str(project), "-t", tag, "--expect", expect)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        dockerfile.write_text(dockerfile.read_text().replace(line, broken_line))
        broken = _quayside("verify", str(project), "-t", tag, "--expect", expect)
        assert broken.returncode == 1 and error in broken.stdout + broken.stderr, broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_uv_workspace_member_installs_the_workspace_lock(tmp_path):
    """The full-stack template's shape: the app is a member folder, the lock is the workspace's, above the build
    context. The image holds the lock's versions (older than today's: a fresh resolution would answer others)."""
    workspace = copy_project(FIXTURES / "uv-workspace", tmp_path, "workspace")
    installs = "--no-deps --require-hashes -r requirements.workspace.txt"
    # broken: today's fastapi on top, as an install that resolves again would have: the answer differs
    _passes_then_fails_without(workspace / "service", "quayside-test/uv-workspace-member:1",
                               '/health={"fastapi":"0.115.12","starlette":"0.46.2","uvicorn":"0.34.2"}', installs,
                               f"{installs} && uv pip install --python /opt/venv/bin/python --upgrade fastapi",
                               "expect /health")


def test_an_old_python_app_importing_pkg_resources_finds_the_image_setuptools(tmp_path):
    """realworld's shape: Python 3.11 or older, and code (often a dependency of that era) importing pkg_resources
    without declaring setuptools, which the official image ships beside pip. The guide's pip install sees it; so
    must the virtualenv. Without --system-site-packages the import fails: the check can fail."""
    project = write(tmp_path / "old-python", {
        ".python-version": "3.11\n",
        "requirements.txt": "fastapi[standard]>=0.115,<1.0\n",
        "main.py": "import pkg_resources\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                   "def health() -> dict[str, bool]:\n    return {'pkg_resources': hasattr(pkg_resources, 'require')}\n",
    })
    _passes_then_fails_without(project, "quayside-test/old-python:1", '/health={"pkg_resources":true}',
                               "RUN python -m venv --without-pip --system-site-packages /opt/venv",
                               "RUN python -m venv --without-pip /opt/venv", "No module named 'pkg_resources'")


def test_exact_pins_of_2024_get_the_pydantic_of_their_time(tmp_path):
    """fastapi==0.109.0 and uvicorn==0.26.0 (uploaded by 2024-01-16) leave pydantic to the resolver: resolved as
    of the day after the newest pin, it is 2.5.3 (2.6.0 came on 2024-01-23), not today's. The index quayside asks
    for upload times is a stand-in on loopback telling the real ones; the build asks the real index. Without the
    --exclude-newer line (the broken variant) the same build gets a newer pydantic."""
    import json
    import os
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    uploaded = {"fastapi": ("fastapi-0.109.0-py3-none-any.whl", "2024-01-11T19:12:47.431581Z"),
                "uvicorn": ("uvicorn-0.26.0-py3-none-any.whl", "2024-01-16T17:55:29.075640Z")}

    class Index(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.strip("/").split("/")[-1]
            if name not in uploaded:
                self.send_error(404)
                return
            filename, when = uploaded[name]
            body = json.dumps({"meta": {"api-version": "1.1"}, "files": [{"filename": filename, "upload-time": when}]})
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if k != "QUAYSIDE_OFFLINE"}
    env["QUAYSIDE_INDEX_URL"] = f"http://127.0.0.1:{server.server_port}/simple"
    project = copy_project(FIXTURES / "pinned-2024", tmp_path)
    tag = "quayside-test/pinned-2024:1"
    try:
        init = subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, text=True,
                              timeout=300, check=False, env=env)
        assert init.returncode == 0, init.stdout + init.stderr
        dockerfile = project / "Dockerfile"
        assert "--exclude-newer 2024-01-17T00:00:00Z" in dockerfile.read_text()
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"pydantic":"2.5.3"}')
        assert ok.returncode == 0, ok.stdout + ok.stderr

        dockerfile.write_text(dockerfile.read_text().replace(" --exclude-newer 2024-01-17T00:00:00Z", ""))
        assert _quayside("build", str(project), "-t", tag).returncode == 0
        today = docker.run(["run", "--rm", "--entrypoint", "python", tag, "-c", "import pydantic; print(pydantic.VERSION)"],
                           timeout=60).stdout.strip()
        assert today != "2.5.3"
    finally:
        server.shutdown()
        docker.run(["rmi", "-f", tag], check=False)


def test_unpinned_requirements_last_committed_in_2025_get_the_sqlalchemy_of_then(tmp_path):
    """No pins, last committed on 2025-06-26: SQLAlchemy was 2.0 then, and it brought greenlet; 2.1 made greenlet
    an extra. Resolved as of the day after that commit, the asyncio engine works. The broken variant, the same
    files committed today, gets today's SQLAlchemy, and the app fails on the missing greenlet."""
    import shutil
    from datetime import UTC, datetime

    project = write(tmp_path / "unpinned-2025", {
        "requirements.txt": "fastapi\nuvicorn\nsqlalchemy\naiosqlite\n",
        "main.py": "import sqlalchemy\nfrom fastapi import FastAPI\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
                   "engine = create_async_engine('sqlite+aiosqlite:///:memory:')\napp = FastAPI()\n\n\n"
                   "@app.get('/health')\nasync def health() -> dict[str, str]:\n"
                   "    async with engine.connect() as connection:\n"
                   "        await connection.execute(sqlalchemy.text('select 1'))\n"
                   "    return {'sqlalchemy': sqlalchemy.__version__[:3]}\n",
    })
    commit_all(project, "2025-06-26T10:52:45+00:00")
    tag = "quayside-test/unpinned-2025:1"
    try:
        _init_and_pass(project, tag, "--exclude-newer 2025-06-27T00:00:00Z", '/health={"sqlalchemy":"2.0"}')

        shutil.rmtree(project / ".git")
        commit_all(project, datetime.now(UTC).isoformat(timespec="seconds"))
        assert _quayside("init", str(project), "--force").returncode == 0
        broken = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"sqlalchemy":"2.0"}')
        assert broken.returncode == 1 and "greenlet" in broken.stdout + broken.stderr, broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_the_projects_own_dockerfile_env_reaches_the_running_app(tmp_path):
    """fastapi-celery-example's shape: the project's Dockerfile sets DOCKER=true, and only then does the code
    look for its services by their compose names. The image quayside writes keeps it; without that line (the
    broken variant) the app answers that it is not in a container."""
    project = tmp_path / "docker-switch"
    project.mkdir()
    (project / "main.py").write_text('''import os

from fastapi import FastAPI

BROKER = "redis://redis:6379/0" if os.getenv("DOCKER") else "redis://localhost:6379/0"
app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"broker": BROKER}
''')
    (project / "requirements.txt").write_text("fastapi[standard]>=0.115\n")
    (project / "Dockerfile").write_text("FROM tiangolo/uvicorn-gunicorn-fastapi:python3.8\nENV PORT 8000\nENV DOCKER=true\n"
                                        "COPY main.py ./\n")
    assert _quayside("init", str(project), "--force").returncode == 0
    dockerfile = project / "Dockerfile"
    assert "\nENV DOCKER=true\n" in dockerfile.read_text()
    tag = "quayside-test/docker-switch:1"
    try:
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"broker":"redis://redis:6379/0"}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        dockerfile.write_text(dockerfile.read_text().replace("\nENV DOCKER=true\n", "\n"))
        broken = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"broker":"redis://redis:6379/0"}')
        assert broken.returncode == 1 and "localhost" in broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_database_address_written_in_the_code_is_named_as_the_cause(tmp_path):
    """kubszy/fastapi_mysql_project writes its MySQL URL with a container's IP: verify's cause names that line,
    not "run it beside a database" (which would not help: no database beside it answers at an address). The
    address here is loopback, where nothing listens inside the container."""
    project = write(tmp_path / "fixed-address", {
        "requirements.txt": "fastapi\nuvicorn\nsqlalchemy\npymysql\n",
        "database.py": "from sqlalchemy import create_engine\n\n"
                       "engine = create_engine('mysql+pymysql://shop:shop-pw@127.0.0.1:3306/shop')\n",
        "main.py": "from fastapi import FastAPI\nfrom sqlalchemy import MetaData\n\nfrom database import engine\n\n"
                   "MetaData().create_all(engine)\napp = FastAPI()\n",
    })
    _verify_fails_naming(project, "quayside-test/fixed-address:1",
                         "the app's code connects to its database at 127.0.0.1 (database.py:3)")


def test_a_settings_file_the_app_opens_itself_is_named_when_the_image_lacks_it(tmp_path):
    """zaikays/FastApiTest reads config/<APP_ENV>/.env with dotenv_values, by a path no static reading follows.
    .env files never go into the image, so the app stops at start; verify's cause names the file and the ways to
    give it, not a setting to pass (which the app would not read)."""
    project = write(tmp_path / "settings-file", {
        "requirements.txt": "fastapi\nuvicorn\npython-dotenv\n",
        "config/local/.env": "GREETING=hello\n",
        "main.py": "import os\nfrom pathlib import Path\n\nfrom dotenv import dotenv_values\nfrom fastapi import FastAPI\n\n"
                   "path = Path(__file__).parent / 'config' / os.environ.get('APP_ENV', 'local') / '.env'\n"
                   "if not path.is_file():\n    raise FileNotFoundError(f'The file does not exist at the specified path: {path}')\n"
                   "settings = dotenv_values(path)\napp = FastAPI()\n",
    })
    _verify_fails_naming(project, "quayside-test/settings-file:1",
                         "the app opens its settings file /code/config/local/.env, which no image holds")


def test_form_data_without_python_multipart_is_named(tmp_path):
    """breznovic/spell_book_api's shape: a Form route, and python-multipart in no requirement. FastAPI refuses the
    route at import; verify names the missing dependency, not only the traceback."""
    project = write(tmp_path / "form-data", {
        "requirements.txt": "fastapi\nuvicorn\n",
        "main.py": "from typing import Annotated\n\nfrom fastapi import FastAPI, Form\n\napp = FastAPI()\n\n\n"
                   "@app.post('/spell')\ndef spell(word: Annotated[str, Form()]) -> dict[str, str]:\n    return {'word': word}\n",
    })
    _verify_fails_naming(project, "quayside-test/form-data:1",
                         "the app takes form data (Form, UploadFile) and python-multipart is not among its dependencies")


def test_what_the_old_base_image_installed_is_kept(tmp_path):
    """breznovic/spell_book_api: FROM tiangolo/uvicorn-gunicorn-fastapi, requirements of fastapi and uvicorn only,
    a Form route. That image brought python-multipart (fastapi[all]); init's image installs it too and verify
    passes. With it taken out of the install line (the broken variant) the route fails at import, named."""
    project = write(tmp_path / "old-base", {
        "requirements.txt": "fastapi\nuvicorn\n",
        "Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.9\n\nCOPY ./requirements.txt /app/\n"
                      "RUN pip install --no-cache-dir -r requirements.txt\n\nCOPY ./ /app/\n\n"
                      'CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]\n',
        "main.py": "from typing import Annotated\n\nfrom fastapi import FastAPI, Form\n\napp = FastAPI()\n\n\n"
                   "@app.get('/health')\ndef health() -> dict[str, bool]:\n    return {'ok': True}\n\n\n"
                   "@app.post('/spell')\ndef spell(word: Annotated[str, Form()]) -> dict[str, str]:\n    return {'word': word}\n",
    })
    _passes_then_fails_without(project, "quayside-test/old-base:1", '/health={"ok":true}', ' "python-multipart"', "",
                               "python-multipart is not among its dependencies", init=("--force",))


def test_what_the_old_base_image_installed_is_kept_beside_a_poetry_lock(tmp_path):
    """The same with a Poetry lock (spell_book_api has one): the lock installs with --no-deps and hashes, and
    orjson, which the old image's fastapi[all] brought and ORJSONResponse needs, resolves in a step after it.
    Without that step (the broken variant) the route answers 500: FastAPI asserts orjson is installed."""
    project = copy_project(FIXTURES / "poetry-locked", tmp_path)
    write(project, {
        "Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\nCOPY . /app\n",
        "app/fast.py": "from fastapi import APIRouter\nfrom fastapi.responses import ORJSONResponse\n\n"
                       "router = APIRouter()\n\n\n@router.get('/fast', response_class=ORJSONResponse)\n"
                       "def fast() -> dict[str, bool]:\n    return {'fast': True}\n",
    })
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("app = FastAPI()\n", "from app.fast import router\n\napp = FastAPI()\n"
                                             "app.include_router(router)\n"))
    tag = "quayside-test/old-base-poetry:1"
    try:
        assert _quayside("init", str(project), "--force").returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/fast={"fast":true}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace(' \\\n    && uv pip install --python /opt/venv/bin/python "orjson"', ""))
        assert '"orjson"' not in dockerfile.read_text()
        broken = _quayside("verify", str(project), "-t", tag, "--expect", '/fast={"fast":true}')
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert "GET /fast → 500" in broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_shutdown_handler_that_raises_is_named(tmp_path):
    """sylviakyu/fastapi_crud: its shutdown handler closes a connection it never opened. verify's lifespan check
    fails naming the exception, not only a missing log line; the same app with a handler that works passes."""
    broken_handler = "    await app.state.never_opened.close()\n"
    main = ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.on_event('shutdown')\nasync def close() -> None:\n"
            + broken_handler + "\n\n@app.get('/health')\ndef health() -> dict[str, bool]:\n    return {'ok': True}\n")
    project = write(tmp_path / "shutdown-raises", {"requirements.txt": "fastapi\nuvicorn\n", "main.py": main})
    tag = "quayside-test/shutdown-raises:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        failed = _quayside("verify", str(project), "-t", tag)
        output = failed.stdout + failed.stderr
        assert failed.returncode == 1, output
        assert "the app's lifespan shutdown raised AttributeError" in output, output
        # its logging config silences uvicorn (sylviakyu's does): the probe hears the app's own failed message
        (project / "main.py").write_text("import logging\n\nlogging.getLogger('uvicorn.error').disabled = True\n" + main)
        silenced = _quayside("verify", str(project), "-t", tag)
        output = silenced.stdout + silenced.stderr
        assert silenced.returncode == 1, output
        assert "the app's lifespan shutdown raised AttributeError" in output, output
        (project / "main.py").write_text(main.replace(broken_handler, "    app.state.closed = True\n"))
        ok = _quayside("verify", str(project), "-t", tag)
        assert ok.returncode == 0, ok.stdout + ok.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_poetry_project_without_its_lock_installs_its_ranges(tmp_path):
    """monkrobot/ProjectHelperFastapi: [tool.poetry.dependencies] and no poetry.lock. init writes the ranges to
    requirements.poetry.txt, the image installs them (no Poetry in it) and verify passes; with python-slugify
    taken out of that file (the broken variant) the app fails at import, named."""
    project = copy_project(FIXTURES / "poetry-locked", tmp_path)
    (project / "poetry.lock").unlink()
    main = project / "app" / "main.py"  # a route without the version, which a range may move
    main.write_text(main.read_text() + "\n\n@app.get('/ranges')\ndef ranges() -> dict[str, object]:\n"
                    "    return {'slug': slugify('Hello Lock'), 'dev_installed': importlib.util.find_spec('pytest') is not None}\n")
    _passes_then_fails_without(project, "quayside-test/poetry-ranges:1", '/ranges={"slug":"hello-lock","dev_installed":false}',
                               "python-slugify<9,>=8.0\n", "", "the app imports slugify (app/main.py:", file="requirements.poetry.txt")


def test_names_a_dockerfile_of_another_name_installs_beside_the_requirements(tmp_path):
    """Green-Wood/se3-oasis-scrapy: backend.dockerfile runs `pip install -r requirements.txt`, then
    `pip install celery[redis]`, which requirements.txt lacks. init's image installs the name too (here redis, which
    the app imports) and verify passes; without it on the install line (the broken variant) the app fails at
    import, named."""
    project = write(tmp_path / "names-beside", {
        "requirements.txt": "fastapi\nuvicorn\n",
        "app.py": REDIS_APP,
        "backend.dockerfile": "FROM python:3.12-slim\nCOPY . /srv\nWORKDIR /srv\nRUN pip install -r requirements.txt\n"
                              "RUN pip install redis\nCMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\"]\n",
        "worker.dockerfile": "FROM python:3.12-slim\nCOPY . /srv\nRUN pip install -r /srv/requirements.txt\n"
                             "CMD [\"python\", \"-m\", \"worker\"]\n",
    })
    _passes_then_fails_without(project, "quayside-test/names-beside:1", '/health={"redis":true}',
                               '-r requirements.txt "redis"', "-r requirements.txt", "the app imports redis (app.py:")


def _verify_fails_naming(project, tag: str, cause: str) -> None:
    """init, then a verify that fails at start and names this cause."""
    try:
        assert _quayside("init", str(project)).returncode == 0
        result = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20")
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert cause in output, output
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_utf16_requirements_file_installs(tmp_path):
    """A requirements file saved as UTF-16 (PowerShell's `pip freeze >`), as pip and uv read it: the image
    builds and the app starts. Without its byte order mark (the broken variant) quayside refuses the file."""
    import codecs

    project = write(tmp_path / "utf16", {"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                                                     "def health() -> dict[str, bool]:\n    return {'ok': True}\n"})
    requirements = "fastapi\r\nuvicorn\r\n"
    (project / "requirements.txt").write_bytes(codecs.BOM_UTF16_LE + requirements.encode("utf-16-le"))
    tag = "quayside-test/utf16:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"ok":true}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        (project / "requirements.txt").write_bytes(requirements.encode("utf-16-le"))
        refused = _quayside("inspect", str(project))
        assert refused.returncode == 2 and "NUL bytes" in refused.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


# an app that answers only when redis, which some declaration must bring, is installed
REDIS_APP = ("import redis\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
             "def health() -> dict[str, bool]:\n    return {'redis': hasattr(redis, 'Redis')}\n")


def test_dependencies_declared_only_by_the_dockerfile_are_installed(tmp_path):
    """a-int/sap_1p: no dependency file, the old Dockerfile's `pip install fastapi uvicorn redis` is the only
    declaration. init writes requirements.txt from it, and the image has redis, which the app imports. With
    redis taken out of that file (the broken variant) the app fails at import, named."""
    project = write(tmp_path / "dockerfile-deps", {
        "app.py": REDIS_APP,
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nRUN pip install --no-cache-dir fastapi uvicorn redis\n"
                      "COPY app.py /app/\nCMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]\n",
    })
    _passes_then_fails_without(project, "quayside-test/dockerfile-deps:1", '/health={"redis":true}', "redis\n", "",
                               "No module named 'redis'", file="requirements.txt", init=("--force",))


def test_a_requirements_file_named_only_by_the_dockerfile_is_installed(tmp_path):
    """sylviakyu/fastapi_crud: no requirements.txt; its Dockerfile installs requirement.txt. init's image
    installs that file, and the app finds redis, which only it declares. Without the Dockerfile naming it (the
    broken variant), quayside finds no dependency file and says so."""
    project = write(tmp_path / "named-requirements", {
        "requirement.txt": "fastapi\nuvicorn\nredis\n",
        "main.py": REDIS_APP,
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirement.txt /srv\nRUN pip install -r requirement.txt\n"
                      "COPY . /srv\nCMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]\n",
    })
    tag = "quayside-test/named-requirements:1"
    try:
        assert _quayside("init", str(project), "--force").returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"redis":true}')
        assert ok.returncode == 0, ok.stdout + ok.stderr
        (project / "Dockerfile").unlink()
        refused = _quayside("inspect", str(project))
        assert refused.returncode == 2 and "no dependency file" in refused.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_file_the_gitignore_keeps_out_never_reaches_the_image(tmp_path):
    """kou7306/progate: the app opens key.json (Supabase keys), which its .gitignore keeps out of the
    repository. Present in the author's working copy, it still stays out of the image, and verify names why
    the app stops. The broken variant, the same project without its .gitignore, bakes the key in."""
    project = write(tmp_path / "keys", {
        "main.py": "import json\n\nfrom fastapi import FastAPI\n\nKEYS = json.load(open('key.json'))\napp = FastAPI()\n\n\n"
                   "@app.get('/health')\ndef health() -> dict[str, bool]:\n    return {'ok': bool(KEYS)}\n",
        "requirements.txt": "fastapi[standard]>=0.115\n",
        "key.json": '{"supabase_key": "s3cret-supabase-key-do-not-bake"}\n',
        ".gitignore": "key.json\n",
    })
    tag = "quayside-test/gitignored-key:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        kept_out = _quayside("verify", str(project), "-t", tag)
        assert kept_out.returncode == 1
        assert "the app opens key.json, which the project's .gitignore keeps out of its repository" in kept_out.stdout
        listing = docker.run(["run", "--rm", "--entrypoint", "ls", tag, "-A", "/code"], timeout=60).stdout.split()
        assert "key.json" not in listing and "main.py" in listing

        (project / ".gitignore").unlink()
        assert _quayside("init", str(project), "--force").returncode == 0
        baked = _quayside("verify", str(project), "-t", tag, "--expect", '/health={"ok":true}')
        assert baked.returncode == 0, baked.stdout + baked.stderr
        listing = docker.run(["run", "--rm", "--entrypoint", "ls", tag, "-A", "/code"], timeout=60).stdout.split()
        assert "key.json" in listing
    finally:
        docker.run(["rmi", "-f", tag], check=False)


QUIET_UVICORN = '''import asyncio
import logging.config
from contextlib import asynccontextmanager

from fastapi import FastAPI

# simonangel-fong/Project-IOT-Mgnt-Telemetry-Cloud-Native: uvicorn's own logger at WARNING, so "Application
# shutdown complete" is never logged
logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                           "loggers": {"uvicorn.error": {"level": "WARNING"}}})


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await asyncio.sleep(SHUTDOWN_SECONDS)


app = FastAPI(lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}
'''


def test_a_lifespan_shutdown_is_proven_when_the_app_silences_uvicorns_log(tmp_path):
    """The app keeps uvicorn.error at WARNING: its lifespan shutdown still counts, seen by the probe as the app's
    lifespan.shutdown.complete. The broken variant, a shutdown that never ends (the container is killed), fails."""
    project = write(tmp_path / "quiet", {"main.py": QUIET_UVICORN.replace("SHUTDOWN_SECONDS", "0"),
                                         "requirements.txt": "fastapi[standard]>=0.115\n"})
    tag = "quayside-test/quiet-uvicorn:1"
    try:
        assert _quayside("init", str(project)).returncode == 0
        ok = _quayside("verify", str(project), "-t", tag, "--json")
        report = {c["name"]: c for c in json.loads(ok.stdout)["checks"]}
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert report["lifespan_shutdown"]["detail"].startswith("the app completed its lifespan shutdown")
        (project / "main.py").write_text(QUIET_UVICORN.replace("SHUTDOWN_SECONDS", "3600"))
        hung = _quayside("verify", str(project), "-t", tag, "--json")
        report = {c["name"]: c for c in json.loads(hung.stdout)["checks"]}
        assert hung.returncode == 1
        assert report["lifespan_shutdown"]["status"] == "fail", report["lifespan_shutdown"]
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_a_lock_group_the_projects_image_installed_is_installed(tmp_path):
    """DeadDPie/SalaryTracker: the app imports passlib, which only the dev group declares, and the project's own
    Dockerfile runs `poetry install --with dev`. The image installs that group from the lock too (pytest here);
    the broken variant, the main group alone, answers without it."""
    project = copy_project(FIXTURES / "poetry-locked", tmp_path, "poetry-dev-group")
    (project / "Dockerfile").write_text("FROM python:3.12\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\n"
                                        "RUN pip install poetry && poetry install --no-root --with dev\nCOPY . .\n"
                                        'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n')
    _passes_then_fails_without(project, "quayside-test/poetry-dev-group:1",
                               '/health={"slug":"hello-lock","slugify":"8.0.4","dev_installed":true}',
                               "python - poetry.lock dev > /tmp/requirements.txt", "python - poetry.lock > /tmp/requirements.txt",
                               "expect /health", init=("--force",))


def test_aioredis_2_gets_the_python_it_imports_on(tmp_path):
    """Svogg/fastapi_redis's shape: aioredis 2.0.1 pinned beside releases of 2023, whose day makes 3.11 the
    Python; aioredis 2 cannot be imported on 3.11 (its archived project never fixed it). The image takes 3.10
    and the app answers; on 3.11 (the broken variant) verify fails naming the fault and the way out."""
    if docker.run(["image", "inspect", "python:3.10-slim"], check=False).returncode != 0 \
            and os.environ.get("QUAYSIDE_REQUIRE_DOCKER") != "1":
        pytest.skip("python:3.10-slim is not on the engine: start the lab with LAB_PYTHONS='3.10 3.11 3.12 3.13' (.ci/run does)")
    project = write(tmp_path / "aioredis-two", {
        "requirements.txt": "fastapi[standard]>=0.115\naioredis==2.0.1\n",
        "main.py": "import sys\n\nimport aioredis\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/health')\n"
                   "def health() -> dict[str, str]:\n    return {'python': f'{sys.version_info[0]}.{sys.version_info[1]}', "
                   "'aioredis': aioredis.__version__}\n",
    })
    _passes_then_fails_without(project, "quayside-test/aioredis-two:1", '/health={"python":"3.10","aioredis":"2.0.1"}',
                               "FROM python:3.10-slim", "FROM python:3.11-slim",
                               "aioredis 2.0.0–2.0.1 fails at import on Python 3.11")


def test_a_pipenv_lock_a_namespace_of_folders_and_an_app_named_by_the_makefile(tmp_path):
    """Andriinef/trading_app and source-builder/python-fastapi: Pipfile.lock is the only dependency file, two
    modules make a FastAPI() and the Makefile serves apps.main:app, and the routes live in source/, a folder
    without __init__.py holding only folders. The image installs the lock's versions (slugify 8.0.4, no pytest)
    with no Pipenv, serves the Makefile's app and holds source/. Broken variants: slugify's lines taken out of
    requirements.pipenv.txt, then source/ excluded: each fails at start with its cause named."""
    project = copy_project(FIXTURES / "pipenv-locked", tmp_path)
    (project / "app").rename(project / "apps")
    main = project / "apps" / "main.py"
    main.write_text(main.read_text().replace("app = FastAPI()\n", "from source.controller.v1 import router\n\n"
                                             "app = FastAPI()\napp.include_router(router)\n"))
    write(project, {
        "Makefile": "reload:\n\tuvicorn apps.main:app --reload\n",
        "apps/currency/__init__.py": "", "apps/currency/ex.py": "from fastapi import FastAPI\n\napp = FastAPI(title='other')\n",
        "source/controller/v1/__init__.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                                            "@router.get('/ns')\ndef ns() -> dict[str, bool]:\n    return {'ns': True}\n",
    })
    tag = "quayside-test/pipenv-namespace:1"
    expect = ('/health={"slug":"hello-lock","slugify":"8.0.4","dev_installed":false}', "/ns={\"ns\":true}")
    try:
        _init_and_pass(project, tag, '"fastapi", "run", "apps/main.py"', *expect)
        exported = project / "requirements.pipenv.txt"
        text = exported.read_text()
        block = re.search(r"^python-slugify==.*?(?=^\S)", text, re.M | re.S)
        assert block is not None
        exported.write_text(text.replace(block[0], ""))
        broken = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20")
        assert broken.returncode == 1 and "the app imports slugify (apps/main.py:" in broken.stdout + broken.stderr, \
            broken.stdout + broken.stderr
        exported.write_text(text)
        assert _quayside("init", str(project), "--force", "--exclude", "source").returncode == 0
        broken = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20")
        assert broken.returncode == 1 and "the image lacks the project's own source" in broken.stdout + broken.stderr, \
            broken.stdout + broken.stderr
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_an_app_that_reads_port_at_import_is_told_the_port_it_listens_on(tmp_path):
    """source-builder/python-fastapi: `port = int(getEnv("PORT"))` at import, through a getter of its own, as
    platforms that set PORT expect. The image sets PORT to the port its server listens on and verify passes;
    without that line (the broken variant) the app fails at import, and the cause names PORT."""
    project = write(tmp_path / "reads-port", {
        "requirements.txt": "fastapi\nuvicorn\n",
        "settings.py": "import os\n\n\ndef getEnv(key: str):\n    return os.getenv(key)\n",
        "main.py": "from fastapi import FastAPI\n\nfrom settings import getEnv\n\nport = int(getEnv('PORT'))\napp = FastAPI()\n\n\n"
                   "@app.get('/health')\ndef health() -> dict[str, int]:\n    return {'port': port}\n",
    })
    _passes_then_fails_without(project, "quayside-test/reads-port:1", '/health={"port":8000}', "ENV PORT=8000\n", "",
                               "PORT (main.py:5)")


def test_a_log_folder_the_projects_compose_file_mounts_is_made_writable(tmp_path):
    """MercyClassic/pg_jsonb_learn: a dictConfig handler writes f'{root_dir}/logs/error.log' (root_dir passed in:
    no static path), .gitignore keeps logs out, and the project's compose file mounts the folder into its app.
    The image makes that folder, owned by the app user, and verify passes. Without the compose file (the broken
    variant) nothing says the folder is needed: the app fails at start, and the cause names the folder to make."""
    project = write(tmp_path / "log-folder", {
        "requirements.txt": "fastapi\nuvicorn\n",
        ".gitignore": "logs\n",
        "app/__init__.py": "",
        "app/logconfig.py": "def logging_dict(root_dir: str) -> dict:\n    return {'version': 1, 'handlers': {'main': {\n"
                            "        'class': 'logging.handlers.RotatingFileHandler', 'maxBytes': 1048576, 'backupCount': 5,\n"
                            "        'filename': f'{root_dir}/logs/error.log'}}, 'root': {'handlers': ['main'], 'level': 'WARNING'}}\n",
        "app/main.py": "import logging\nfrom logging import config\nfrom pathlib import Path\n\nfrom fastapi import FastAPI\n\n"
                       "from app.logconfig import logging_dict\n\nconfig.dictConfig(logging_dict(str(Path(__file__).parent)))\n"
                       "app = FastAPI()\n\n\n@app.get('/health')\ndef health() -> dict[str, bool]:\n"
                       "    logging.getLogger('x').warning('checked')\n    return {'ok': True}\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n    volumes:\n      - ./app/logs:/srv/app/logs\n",
    })
    tag = "quayside-test/log-folder:1"
    try:
        _init_and_pass(project, tag, "install -d -o 10001 -g 10001 /code/app/logs", '/health={"ok":true}')
        (project / "docker-compose.yml").unlink()
        assert _quayside("init", str(project), "--force").returncode == 0
        broken = _quayside("verify", str(project), "-t", tag, "--start-timeout", "20")
        output = broken.stdout + broken.stderr
        assert broken.returncode == 1 and "the app writes its log to app/logs/error.log, in app/logs/" in output, output
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_the_dockerfile_the_compose_file_names_gives_its_requirements_and_python(tmp_path):
    """joseantoniogahez/tech_fastapi_react_postgres_docker's shape: no Dockerfile at the root; the compose file
    builds the app with infra/docker/Dockerfile, which installs infra/requirements.txt on
    `python:${PYTHON_VERSION}-slim` (an ARG default), and the code needs that Python (copy.replace is 3.13's).
    init's image installs that file on that Python and the app answers; on quayside's default 3.12 (the broken
    variant) verify fails on the import error."""
    project = write(tmp_path / "compose-named", {
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: infra/docker/Dockerfile\n"
                              "    ports:\n      - '8000:8000'\n",
        "infra/docker/Dockerfile": "ARG PYTHON_VERSION=3.13.1\nFROM python:${PYTHON_VERSION}-slim\nWORKDIR /srv\n"
                                   "COPY infra/requirements.txt /srv/\nRUN pip install -r requirements.txt\nCOPY . /srv\n"
                                   "CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]\n",
        "infra/requirements.txt": "fastapi\nuvicorn\nredis\n",
        "main.py": "import copy\nimport sys\nfrom dataclasses import dataclass\n\nimport redis\nfrom fastapi import FastAPI\n\n\n"
                   "@dataclass\nclass Settings:\n    name: str = 'api'\n\n\nSETTINGS = copy.replace(Settings(), name='tech')\n"
                   "app = FastAPI()\n\n\n@app.get('/health')\ndef health() -> dict[str, object]:\n"
                   "    return {'python': f'{sys.version_info[0]}.{sys.version_info[1]}', 'redis': hasattr(redis, 'Redis'), "
                   "'name': SETTINGS.name}\n",
    })
    _passes_then_fails_without(project, "quayside-test/compose-named:1", '/health={"python":"3.13","redis":true,"name":"tech"}',
                               "FROM python:3.13", "FROM python:3.12", "has no attribute 'replace'")
