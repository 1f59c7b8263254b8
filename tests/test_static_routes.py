"""Route facts built from settings, constants and factories, read without importing: each row a tiny project
shaped like a real app whose health check probed a 404."""

from __future__ import annotations

import pytest

from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from support.projects import FIXTURES, write

REQS = {"requirements.txt": "fastapi[standard]\npydantic-settings\n"}
SETTINGS = '''from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    API_V1_STR: str = "/api/v1"
    PROJECT: str = "x"


settings = Settings()
'''

# (id, files, expected health path, expected openapi_url, routes complete)
ROWS = [
    ("module-constant-prefix", {
        "main.py": 'from fastapi import APIRouter, FastAPI\nPREFIX = "/v2"\nr = APIRouter(prefix=PREFIX)\n'
                   '@r.get("/health")\ndef h(): ...\napp = FastAPI()\napp.include_router(r)\n',
    }, "/v2/health", "/openapi.json", True),
    ("fstring-and-concat", {
        "main.py": 'from fastapi import APIRouter, FastAPI\nBASE = "/api"\nr = APIRouter(prefix=BASE + "/v3")\n'
                   '@r.get("/ping")\ndef h(): ...\napp = FastAPI(openapi_url=f"{BASE}/openapi.json")\napp.include_router(r)\n',
    }, "/api/v3/ping", "/api/openapi.json", True),
    ("settings-default-imported", {
        "app/__init__.py": "", "app/config.py": SETTINGS,
        "app/main.py": 'from fastapi import FastAPI\nfrom app.config import settings\nfrom app.routes import router\n'
                       'app = FastAPI(openapi_url=f"{settings.API_V1_STR}/openapi.json")\n'
                       'app.include_router(router, prefix=settings.API_V1_STR)\n',
        "app/routes.py": 'from fastapi import APIRouter\nrouter = APIRouter()\n@router.get("/health")\ndef h(): ...\n',
    }, "/api/v1/health", "/api/v1/openapi.json", True),
    ("settings-through-get-settings-and-field", {
        "app/__init__.py": "",
        "app/config.py": 'from functools import lru_cache\nfrom pydantic import Field\nfrom pydantic_settings import BaseSettings\n'
                         'class Base(BaseSettings):\n    PREFIX: str = Field(default="/svc")\n'
                         'class Settings(Base):\n    pass\n@lru_cache\ndef get_settings():\n    return Settings()\n',
        "app/main.py": 'from fastapi import APIRouter, FastAPI\nfrom app.config import get_settings\n'
                       'r = APIRouter(prefix=get_settings().PREFIX)\n@r.get("/healthz")\ndef h(): ...\n'
                       'app = FastAPI()\napp.include_router(r)\n',
    }, "/svc/healthz", "/openapi.json", True),
    ("docs-disabled-health-route", {
        "main.py": 'from fastapi import FastAPI\napp = FastAPI(openapi_url=None, docs_url=None)\n@app.get("/status")\ndef s(): ...\n',
    }, "/status", None, True),
    ("trailing-slash-kept", {
        "main.py": 'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/utils/health-check/")\ndef s(): ...\n',
    }, "/utils/health-check/", "/openapi.json", True),
    ("router-reexported-through-package-init", {
        "app/__init__.py": "", "app/api/__init__.py": "from app.api.v1 import api_router\n",
        "app/api/v1.py": 'from fastapi import APIRouter\napi_router = APIRouter(prefix="/v1")\n@api_router.get("/live")\ndef h(): ...\n',
        "app/main.py": "from fastapi import FastAPI\nfrom app.api import api_router\napp = FastAPI()\napp.include_router(api_router)\n",
    }, "/v1/live", "/openapi.json", True),
    ("route-path-from-a-setting", {
        "app/__init__.py": "", "app/config.py": 'class S:\n    HEALTH = "/-/health"\nsettings = S()\n',
        "app/main.py": "from fastapi import FastAPI\nfrom app.config import settings\napp = FastAPI()\n"
                       "@app.get(settings.HEALTH)\ndef h(): ...\n",
    }, "/-/health", "/openapi.json", True),
    ("prefix-from-a-call-stays-unknown", {
        "main.py": 'import os\nfrom fastapi import APIRouter, FastAPI\nr = APIRouter(prefix=os.environ["P"])\n'
                   '@r.get("/health")\ndef h(): ...\napp = FastAPI()\napp.include_router(r)\n',
    }, "/health", "/openapi.json", False),
    ("factory-in-another-module", {
        "app/__init__.py": "",
        "app/factory.py": 'from fastapi import FastAPI\nPFX = "/api"\ndef create_app():\n    application = FastAPI(docs_url=None)\n'
                          '    @application.get(PFX + "/ping")\n    def ping(): ...\n    return application\n',
        "app/main.py": "from app.factory import create_app\n\napp = create_app()\n",
    }, "/api/ping", "/openapi.json", True),
]


@pytest.mark.parametrize(("files", "health", "openapi", "complete"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_route_facts_from_settings_constants_and_factories(tmp_path, files, health, openapi, complete):
    info = inspect_project(write(tmp_path / "p", {**REQS, **files}))
    assert info.health_path.value == health
    assert info.app.value.openapi_url == openapi
    assert info.routes_complete is complete


def test_a_factory_elsewhere_is_found_by_the_scan_and_by_the_entrypoint(tmp_path):
    files = {
        **REQS,
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n[tool.fastapi]\nentrypoint = "service.web:application"\n',
        "service/__init__.py": "",
        "service/setup.py": "from fastapi import FastAPI\ndef build(config=None):\n    app = FastAPI(lifespan=config)\n"
                            "    @app.get('/healthz')\n    def h(): ...\n    return app\n",
        "service/web.py": "from service.setup import build\napplication = build({'x': 1})\n",
    }
    info = inspect_project(write(tmp_path / "by-entrypoint", files))
    assert info.app.value.entrypoint == "service.web:application"
    assert info.health_path.value == "/healthz"
    assert info.lifespan.value is True
    del files["pyproject.toml"]
    files["service/web.py"] = "from service.setup import build\napp = build()\n"
    scanned = inspect_project(write(tmp_path / "by-scan", files))
    assert scanned.app.value.entrypoint == "service.web:app"
    assert scanned.app.value.factory_file == "service/setup.py"


@pytest.mark.parametrize("make_app", [
    # zaikays/FastApiTest: the app comes from an imported factory, is configured, then returned
    "def make_app(settings=None):\n    app: FastAPI = create_fast_app()\n    configure(app)\n    return app\n",
    "def make_app():\n    return create_fast_app()\n",
])
def test_a_local_function_returning_an_imported_factorys_app(tmp_path, make_app):
    files = {**REQS, "app/__init__.py": "",
             "app/factory.py": "from fastapi import FastAPI\n\ndef create_fast_app() -> FastAPI:\n"
                               "    return FastAPI(lifespan=None)\n",
             "app/main.py": "from fastapi import FastAPI\n\nfrom app.factory import create_fast_app\n\n"
                            f"def configure(app):\n    pass\n\n{make_app}\napp = make_app()\n"}
    info = inspect_project(write(tmp_path / "p", files))
    assert info.app.value.entrypoint == "app.main:app" and info.app.value.factory_file == "app/factory.py"
    # what makes it an app is the imported factory: a local function returning something else is none
    files["app/factory.py"] = "def create_fast_app():\n    return object()\n"
    with pytest.raises(UserInputError, match="no FastAPI app found"):
        inspect_project(write(tmp_path / "q", files))


def test_an_imported_call_that_is_not_a_factory_is_no_app(tmp_path):
    files = {**REQS, "app/__init__.py": "", "app/util.py": "def make():\n    return 1\n",
             "app/main.py": "from app.util import make\napp = make()\n", "api.py": "from fastapi import FastAPI\napp = FastAPI()\n"}
    assert inspect_project(write(tmp_path / "p", files)).app.value.file == "api.py"


def test_the_settings_fixture_reads_every_layer():
    info = inspect_project(FIXTURES / "settings-factory")
    assert info.app.value.openapi_url is None and info.app.value.docs_url is None
    assert info.health_path.value == "/api/v1/utils/healthz"
    assert {r.path for r in info.routes} == {"/", "/api/v1/utils/healthz", "/api/v1/utils/health-check/"}


def test_project_and_command_line_health_path_win(tmp_path):
    from quayside.init import InitRequest, plan_init

    root = write(tmp_path / "p", {**REQS, "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                                  "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n'
                                                    '[tool.quayside]\nhealth-path = "/from-project"\n'})
    assert inspect_project(root).health_path.source == "[tool.quayside] health-path"
    from_project = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    assert "8000/from-project'" in from_project
    given = next(w for w in plan_init(root, InitRequest(health_path="/given/")).writes if w.name == "Dockerfile").content
    assert "8000/given/'" in given


@pytest.mark.parametrize(("main", "docs"), [
    # LittleRookie1706/mini_project: the docs' path comes from the environment, with no default
    ('import os\nfrom fastapi import FastAPI\ndocs = os.getenv("docs_url")\napp = FastAPI(docs_url=f"/api/{docs}")\n', None),
    ('from fastapi import FastAPI\nBASE = "/api"\napp = FastAPI(docs_url=f"{BASE}/docs")\n', "/api/docs"),
    ('from fastapi import FastAPI\napp = FastAPI()\n', "/docs"),
])
def test_docs_at_a_path_known_only_at_run_time_are_not_asked_for(tmp_path, main, docs):
    info = inspect_project(write(tmp_path / "p", {**REQS, "main.py": main}))
    assert info.app.value.docs_url == docs
