"""inspect on fixture projects: one row per layout, and one per bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from support.projects import EXAMPLES, FIXTURES, write

LAYOUTS = [
    # (project, entrypoint, app_path, installer, python, server, health_path, lifespan, entrypoint source)
    (EXAMPLES / "guide-app", "app.main:app", "app/main.py", "pip", "3.12", "fastapi", None, False, "auto-discovery app/main.py"),
    (EXAMPLES / "guide-single-file", "main:app", "main.py", "pip", "3.12", "fastapi", None, False, "auto-discovery main.py"),
    (FIXTURES / "src-entrypoint", "myservice.main:app", "src/myservice/main.py", "pip", "3.12", "fastapi", "/healthz", True, "pyproject [tool.fastapi]"),
    (FIXTURES / "api-variable", "main:api", "main.py", "pip", "3.12", "fastapi", None, False, "auto-discovery main.py"),
    (FIXTURES / "other-variable", "app:service", "app.py", "pip", "3.12", "uvicorn", "/ping", False, "auto-discovery app.py"),
    (FIXTURES / "includes", "app.main:app", "app/main.py", "pip", "3.12", "fastapi", "/health/live", True, "auto-discovery app/main.py"),
    (FIXTURES / "uv-project", "app.main:app", "app/main.py", "uv", "3.12", "fastapi", None, False, "auto-discovery app/main.py"),
    (FIXTURES / "poetry-project", "app.main:app", "app/main.py", "poetry", "3.12", "fastapi", None, False, "auto-discovery app/main.py"),
    (FIXTURES / "pdm-project", "main:app", "main.py", "pdm", "3.13", "fastapi", None, False, "auto-discovery main.py"),
    (FIXTURES / "plain-pyproject", "api:app", "api.py", "pip", "3.11", "fastapi", None, False, "auto-discovery api.py"),
    (FIXTURES / "pipenv-locked", "app.main:app", "app/main.py", "pip", "3.11", "fastapi", "/health", False, "auto-discovery app/main.py"),
]


@pytest.mark.parametrize(
    ("project", "entrypoint", "app_path", "installer", "python", "server", "health", "lifespan", "source"), LAYOUTS, ids=[row[0].name for row in LAYOUTS]
)
def test_layouts(project, entrypoint, app_path, installer, python, server, health, lifespan, source):
    data = inspect_project(project).to_json()
    assert data["entrypoint"] == entrypoint
    assert data["app_path"] == app_path
    assert data["installer"] == installer
    assert data["python_version"] == python
    assert data["server"] == server
    assert data["health_path"] == health
    assert data["lifespan"] is lifespan
    assert data["sources"]["entrypoint"] == source
    assert set(data["sources"]) >= {"entrypoint", "installer", "python_version", "server", "health_path", "lifespan"}


def test_src_layout_import_root():
    data = inspect_project(FIXTURES / "src-entrypoint").to_json()
    assert (data["import_root"], data["layout"]) == ("src", "src")


@pytest.mark.parametrize(("routes", "ready"), [
    # simonangel-fong/Project-IOT-Mgnt-Telemetry-Cloud-Native: SELECT 1 behind /api/health/db
    (("/api/health/", "/api/health/db"), "/api/health/db"),
    (("/health", "/healthz/db"), "/healthz/db"),
    (("/health", "/admin/db"), None),  # ends in /db, but no health route of the database
    (("/health", "/readyz", "/health/db"), "/readyz"),  # the usual names first
])
def test_a_database_health_route_is_the_readiness_check(tmp_path, routes, ready):
    body = "".join(f"@app.get('{path}')\ndef r{index}() -> dict[str, bool]:\n    return {{}}\n\n\n"
                   for index, path in enumerate(routes))
    root = _write(tmp_path / "ready", {**REQ, "main.py": APP + "\n\n" + body})
    assert inspect_project(root).ready_path.value == ready


def test_requirements_includes_are_followed():
    data = inspect_project(FIXTURES / "includes").to_json()
    assert data["dependency_files"] == ["requirements.txt", "requirements/base.txt", "constraints.txt"]
    assert data["ready_path"] == "/health/ready"
    assert {r["path"] for r in data["routes"]} == {"/health/live", "/health/ready", "/items/{item_id}"}


def test_sources_explain_python_and_docs_url():
    data = inspect_project(FIXTURES / "plain-pyproject").to_json()
    assert data["sources"]["python_version"] == ".python-version"
    other = inspect_project(FIXTURES / "other-variable").to_json()
    assert other["docs_url"] is None and other["openapi_url"] == "/openapi.json"
    pdm = inspect_project(FIXTURES / "pdm-project").to_json()
    assert pdm["sources"]["python_version"] == "pyproject.toml requires-python"


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


APP = "from fastapi import FastAPI\napp = FastAPI()\n"
REQ = {"requirements.txt": "fastapi[standard]\n"}

BAD = [
    ("no-app", {**REQ, "main.py": "print('hello')\n"}, "no FastAPI app found", None),
    ("two-src-apps", {**REQ, "src/a/__init__.py": "", "src/a/main.py": APP, "src/b/__init__.py": "", "src/b/main.py": APP},
     "two equally good app candidates", None),
    ("two-instances", {**REQ, "main.py": "from fastapi import FastAPI\npublic = FastAPI()\nadmin = FastAPI()\n"},
     "2 FastAPI instances and none is named", "main.py"),
    ("syntax-error", {**REQ, "main.py": "from fastapi import FastAPI\napp = FastAPI(\n"}, "syntax error at line", "main.py"),
    ("binary-app", {**REQ, "main.py": b"\x00\x01\x02"}, "NUL bytes", "main.py"),
    ("latin1-app", {**REQ, "main.py": "x = 'caf\xe9'\n".encode("latin-1")}, "not valid UTF-8", "main.py"),
    ("broken-pyproject", {**REQ, "main.py": APP, "pyproject.toml": "[project\nname = 1"}, "invalid TOML", "pyproject.toml"),
    ("bad-entrypoint", {**REQ, "main.py": APP, "pyproject.toml": '[tool.fastapi]\nentrypoint = "nope.main:app"\n'},
     "no module nope.main", "pyproject.toml"),
    ("entrypoint-variable", {**REQ, "main.py": APP, "pyproject.toml": '[tool.fastapi]\nentrypoint = "main:api"\n'},
     "defines no FastAPI instance `api`", "pyproject.toml"),
    ("missing-include", {"requirements.txt": "-r base.txt\n", "main.py": APP}, "includes base.txt, which does not exist", "requirements.txt"),
    ("include-cycle", {"requirements.txt": "-r a.txt\n", "a.txt": "-r requirements.txt\n", "main.py": APP}, "include cycle", "requirements.txt"),
    ("bad-requirement", {"requirements.txt": "fastapi[standard\n", "main.py": APP}, "not a valid requirement", "requirements.txt"),
    ("no-dependencies", {"main.py": APP}, "no dependency file", None),
    ("no-server", {"requirements.txt": "fastapi\n", "main.py": APP}, "no server in the dependencies", "requirements.txt"),
    ("another-server", {"requirements.txt": "fastapi\nhypercorn==0.17.3\n", "main.py": APP},
     "it declares hypercorn (requirements.txt:2), a server quayside does not run: add uvicorn beside it", "requirements.txt"),
    ("poetry-no-lock", {"main.py": APP, "pyproject.toml": "[tool.poetry]\nname='x'\n"}, "without poetry.lock", "pyproject.toml"),
    ("pipfile-no-lock", {"main.py": APP, "Pipfile": "[packages]\nfastapi = '*'\n"}, "a Pipfile without Pipfile.lock", "Pipfile"),
    ("pipfile-lock-not-json", {"main.py": APP, "Pipfile.lock": "{\n"}, "Pipfile.lock cannot be installed without Pipenv: it is not JSON",
     "Pipfile.lock"),
    ("two-apps-the-start-commands-disagree-on", {
        **REQ, "svc/__init__.py": "", "svc/one.py": APP, "svc/two.py": APP,
        "Procfile": "web: uvicorn svc.one:app --port $PORT\n", "Makefile": "run:\n\tuvicorn svc.two:app\n"},
     "several modules define one: svc/one.py, svc/two.py", None),
    ("bad-python-version", {**REQ, "main.py": APP, ".python-version": "system\n"}, "names no CPython", ".python-version"),
    ("impossible-python", {"main.py": APP, "pyproject.toml": '[project]\nrequires-python = "<3.0"\ndependencies = ["fastapi[standard]"]\n'},
     "allows none of Python", "pyproject.toml"),
]


@pytest.mark.parametrize(("name", "files", "message", "where"), BAD, ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, name, files, message, where):
    root = _write(tmp_path / name, files)
    with pytest.raises(UserInputError) as caught:
        inspect_project(root)
    assert message in caught.value.message
    if where is not None:
        assert caught.value.path is not None and caught.value.path.endswith(where)


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="PEP 758 syntax parses on Python 3.14+")
def test_newer_python_syntax_is_named(tmp_path):
    root = _write(tmp_path / "p", {**REQ, "main.py": APP + "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"})
    with pytest.raises(UserInputError) as caught:
        inspect_project(root)
    assert "syntax error" in caught.value.message and "grammar" in (caught.value.hint or "")


def test_path_is_a_file(tmp_path):
    f = tmp_path / "main.py"
    f.write_text(APP)
    with pytest.raises(UserInputError, match="is not a directory"):
        inspect_project(f)


def test_path_missing(tmp_path):
    with pytest.raises(UserInputError, match="no such directory"):
        inspect_project(tmp_path / "nope")


def test_user_code_is_never_imported(tmp_path):
    marker = tmp_path / "imported"
    root = _write(tmp_path / "p", {**REQ, "main.py": f"open({str(marker)!r}, 'w').write('x')\n" + APP})
    assert inspect_project(root).to_json()["entrypoint"] == "main:app"
    assert not marker.exists()


def test_first_default_path_without_app_is_skipped(tmp_path):
    root = _write(tmp_path / "p", {**REQ, "main.py": "import os\n", "app/__init__.py": "", "app/main.py": APP})
    info = inspect_project(root)
    assert info.app.value.entrypoint == "app.main:app"
    assert "skipped main.py" in info.app.reason


def test_scan_finds_an_unusual_file_name(tmp_path):
    root = _write(tmp_path / "p", {**REQ, "server.py": APP, "tests/test_x.py": APP})
    info = inspect_project(root)
    assert info.app.value.entrypoint == "server:app" and info.app.source == "scan server.py"


@pytest.mark.parametrize(("constraint", "expected"), [
    ("3.11.7", "3.11"),  # Poetry's bare version means exactly that one (a real project's pin)
    ("3.11.*", "3.11"),
    ("^3.9", "3.12"),
    ("~3.10", "3.10"),
    (">=3.8,<3.12", "3.11"),
    ("^3.8 || ^3.13", "3.12"),
    ("3.10.4 || 3.13.1", "3.13"),
    ("*", "3.12"),
])
def test_poetry_python_constraints(tmp_path, constraint, expected):
    (tmp_path / "main.py").write_text(APP)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "{constraint}"\nfastapi = {{version = "*", extras = ["standard"]}}\n')
    (tmp_path / "poetry.lock").write_text("# stand-in\n[metadata]\nlock-version = '2.0'\n")
    assert inspect_project(tmp_path).python_version.value == expected


APP_MODULE = "from fastapi import FastAPI\napp = FastAPI()\n"


@pytest.mark.parametrize("folder", ["backend", "server", "services/api"])
def test_a_service_in_a_subfolder_is_named_with_the_command(tmp_path, folder):
    root = write(tmp_path, {f"{folder}/app/__init__.py": "", f"{folder}/app/main.py": APP_MODULE,
                            f"{folder}/requirements.txt": "fastapi[standard]\n", "README.md": "# repo\n"})
    with pytest.raises(UserInputError) as caught:
        inspect_project(root)
    message = str(caught.value)
    assert f"lives in {folder}/, which has its own requirements.txt" in message
    assert f"quayside inspect {(root / folder).as_posix()}" in message
    assert inspect_project(root / folder).app.value.file == "app/main.py"


def test_a_root_with_its_own_dependencies_keeps_its_app_in_a_subfolder(tmp_path):
    root = write(tmp_path, {"backend/app/__init__.py": "", "backend/app/main.py": APP_MODULE,
                            "backend/requirements.txt": "fastapi\n", "requirements.txt": "fastapi[standard]\n"})
    assert inspect_project(root).app.value.file == "backend/app/main.py"


def test_a_uv_lock_in_toml_1_1_is_read_and_a_broken_one_still_refused(tmp_path):
    """uv.lock with multi-line inline tables (TOML 1.1, as a real project's lock has them) is a lock."""
    from quayside.errors import UserInputError
    from support.projects import write

    files = {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n',
             "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
             "uv.lock": 'version = 1\n[[package]]\nname = "a"\nsdist = {\n  url = "https://x/a.tar.gz",\n  hash = "sha256:00",\n}\n'}
    assert inspect_project(write(tmp_path / "ok", files)).dependencies.installer.value == "uv"
    files["uv.lock"] = 'version = 1\n[[package]\nname = "a"\n'
    with pytest.raises(UserInputError, match="invalid TOML"):
        inspect_project(write(tmp_path / "broken", files))


@pytest.mark.parametrize(("layout", "installs"), [
    ({"svc_app/__init__.py": ""}, True),  # poetry-core finds the package named after the project
    ({"src/svc_app/__init__.py": ""}, True),
    ({"src/other/__init__.py": ""}, False),  # an application in package mode by default: never installable
])
def test_a_poetry_project_is_installed_only_when_poetry_core_can_build_it(tmp_path, layout, installs):
    files = {"pyproject.toml": '[tool.poetry]\nname = "svc-app"\nversion = "1"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                               'fastapi = {version = "*", extras = ["standard"]}\n[build-system]\nrequires = ["poetry-core"]\n',
             "poetry.lock": '[metadata]\nlock-version = "2.1"\n', "main.py": "from fastapi import FastAPI\napp = FastAPI()\n", **layout}
    assert inspect_project(write(tmp_path / "p", files)).dependencies.package_project is installs


def test_an_app_folder_without_init_that_imports_itself_runs_as_a_namespace_package(tmp_path):
    """app/ has no __init__.py and app/main.py imports `app.config`: `fastapi run app/main.py` would put app/
    on sys.path and fail on `import app`; uvicorn app.main:app from the project root imports it."""
    from quayside.plan.shared import build_command

    files = {"requirements.txt": "fastapi[standard]\n", "app/config.py": "X = 1\n",
             "app/main.py": "from fastapi import FastAPI\nfrom app.config import X\napp = FastAPI()\n"}
    info = inspect_project(write(tmp_path / "ns", files))
    assert (info.app.value.entrypoint, info.app.value.import_root) == ("app.main:app", ".")
    assert build_command(info, 8000, 1, None)[:2] == ("uvicorn", "app.main:app")
    # samrajkodai/FastAPI: a relative import says the same (`from . import config`)
    files["app/main.py"] = "from fastapi import FastAPI\nfrom . import config\napp = FastAPI()\n"
    relative = inspect_project(write(tmp_path / "relative", files))
    assert (relative.app.value.entrypoint, relative.app.value.import_root) == ("app.main:app", ".")
    assert build_command(relative, 8000, 1, None)[:2] == ("uvicorn", "app.main:app")
    files["app/main.py"] = "from fastapi import FastAPI\nfrom config import X\napp = FastAPI()\n"  # imports its siblings flat
    flat = inspect_project(write(tmp_path / "flat", files))
    assert (flat.app.value.entrypoint, flat.app.value.import_root) == ("main:app", "app")
    assert build_command(flat, 8000, 1, None)[:3] == ("fastapi", "run", "app/main.py")


SCRIPT_FOLDER = {"requirements.txt": "fastapi[standard]\n", "src/__init__.py": "", "src/sql/__init__.py": "",
                 "src/main.py": "from fastapi import FastAPI\nimport sql\napp = FastAPI()\n"}


@pytest.mark.parametrize(("case", "changes", "expected"), [
    # sylviakyu/fastapi_crud: `python src/main.py` put src/ on sys.path, so `import sql` found src/sql
    ("bare-import-of-its-own-folder", {}, ("main:app", "src")),
    ("the-import-root-provides-it", {"sql/__init__.py": ""}, ("src.main:app", ".")),
    ("a-relative-import-keeps-the-package", {"src/main.py": "from fastapi import FastAPI\nimport sql\nfrom . import sql as s\n"
                                                           "app = FastAPI()\n"}, ("src.main:app", ".")),
    ("only-third-party-imports", {"src/main.py": "from fastapi import FastAPI\nimport json\napp = FastAPI()\n"},
     ("src.main:app", ".")),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_module_importing_its_own_folder_by_bare_name_runs_from_that_folder(tmp_path, case, changes, expected):
    info = inspect_project(write(tmp_path / "p", {**SCRIPT_FOLDER, **changes}))
    assert (info.app.value.entrypoint, info.app.value.import_root) == expected


POETRY_PYPROJECT = ('[tool.poetry]\nname = "p"\nversion = "1"\npackage-mode = false\n[tool.poetry.dependencies]\n'
                    'python = "^3.9"\nfastapi = {version = "*", extras = ["standard"]}\n')


def _poetry_lock(*packages: tuple[str, str, list[str], str]) -> str:
    text = ""
    for name, version, files, group in packages:
        listed = ", ".join(f'{{file = "{f}", hash = "sha256:00"}}' for f in files)
        text += f'[[package]]\nname = "{name}"\nversion = "{version}"\ngroups = ["{group}"]\nfiles = [{listed}]\n\n'
    return text + '[metadata]\nlock-version = "2.1"\n'


OLD = ("psycopg2-binary", "2.9.3", ["psycopg2_binary-2.9.3-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                                     "psycopg2_binary-2.9.3-cp312-cp312-win_amd64.whl", "psycopg2-binary-2.9.3.tar.gz"], "main")
PURE = ("anyio", "4.0", ["anyio-4.0-py3-none-any.whl"], "main")
ABI3 = ("cryptography", "42.0", ["cryptography-42.0-cp39-abi3-manylinux_2_28_x86_64.whl"], "main")
DEV_ONLY = ("coverage", "6.0", ["coverage-6.0-cp39-cp39-manylinux1_x86_64.whl"], "dev")


MODERN = ("pydantic-core", "2.20.0", [f"pydantic_core-2.20.0-cp3{m}-cp3{m}-manylinux_2_17_x86_64.whl" for m in (10, 11, 12, 13)],
          "main")
# pydantic 1.7.3's shape: compiled wheels up to 3.9, and a pure-Python wheel that installs anywhere
OF_2020 = ("pydantic", "1.7.3", ["pydantic-1.7.3-cp39-cp39-manylinux2014_x86_64.whl", "pydantic-1.7.3-py3-none-any.whl"], "main")


@pytest.mark.parametrize(("packages", "extra", "expected", "source"), [
    ([PURE, ABI3, DEV_ONLY], {}, "3.12", "pyproject.toml [tool.poetry.dependencies] python"),  # nothing to move for
    ([PURE, OLD, MODERN], {}, "3.10", "poetry.lock"),  # the newest with a wheel for every release
    ([PURE, OLD, MODERN], {".python-version": "3.12\n"}, "3.12", ".python-version"),  # a pin is the project's word
    ([PURE, OF_2020, ABI3], {}, "3.9", "poetry.lock"),  # every release serves 3.12, but none was built for it
], ids=["pure-and-abi3", "an-old-binary", "python-version-file", "of-its-time"])
def test_the_python_fits_the_wheels_the_lock_pins(tmp_path, packages, extra, expected, source):
    files = {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": _poetry_lock(*packages),
             "main.py": "from fastapi import FastAPI\napp = FastAPI()\n", **extra}
    decided = inspect_project(write(tmp_path / "p", files)).python_version
    assert (decided.value, decided.source) == (expected, source)
    if OLD in packages and source == "poetry.lock":
        assert "psycopg2-binary 2.9.3 with no Linux wheel for Python 3.12" in decided.reason
    if OF_2020 in packages and source == "poetry.lock":
        assert "no locked release is built for a Python newer than 3.9 (the newest: pydantic 1.7.3)" in decided.reason
        assert "Python 3.9 is past its end of life" in decided.reason


def test_a_lock_of_its_time_yields_to_the_projects_own_constraint(tmp_path):
    files = {"pyproject.toml": POETRY_PYPROJECT.replace('"^3.9"', '"^3.11"'), "poetry.lock": _poetry_lock(PURE, OF_2020),
             "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}
    decided = inspect_project(write(tmp_path / "p", files)).python_version
    assert decided.value == "3.12" and "newer than 3.9" not in decided.reason


def test_a_uv_workspace_member_says_its_lock_is_out_of_reach(tmp_path):
    from quayside.inspection.dependencies import detect, uv_workspace_root

    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["backend", "libs/*"]\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    for member in ("backend", "libs/shared", "other", "other/backend"):
        (tmp_path / member).mkdir(parents=True)
    pyproject = {"project": {"name": "backend", "dependencies": ["fastapi[standard]"]}}
    assert uv_workspace_root(tmp_path / "backend") == ".."
    assert uv_workspace_root(tmp_path / "libs" / "shared") == "../.."
    assert uv_workspace_root(tmp_path / "other") is None  # not a member
    assert uv_workspace_root(tmp_path / "other" / "backend") is None  # "backend" names the top-level folder only
    assert "member of the uv workspace at .." in detect(tmp_path / "backend", pyproject).installer.reason
    assert "workspace" not in detect(tmp_path / "other", pyproject).installer.reason


@pytest.mark.parametrize(("files", "server"), [
    # Lordd1s/fastapi-TZ's fastapi[all] (in Poetry's table form there; the extras read the same)
    ({"pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["fastapi[all]>=0.115.4"]\n'}, "uvicorn"),
    ({"requirements.txt": "fastapi[all]==0.95.0\n"}, "uvicorn"),
    ({"requirements.txt": "fastapi[all,standard]\n"}, "fastapi"),
])
def test_fastapi_all_brings_uvicorn(tmp_path, files, server):
    from quayside.inspection import inspect_project

    for name, text in {**files, "main.py": APP}.items():
        (tmp_path / name).write_text(text)
    assert inspect_project(tmp_path).server.value == server


APP_CLASS = ("from fastapi import FastAPI\n\n\nclass App(FastAPI):\n    def __init__(self):\n        super().__init__()\n\n"
             "    def create_db(self):\n        pass\n")


@pytest.mark.parametrize(("case", "files", "expected"), [
    # ayeo144/fastapi-explore: run.py makes `app = App()`, the FastAPI subclass app/app.py defines
    ("subclass-in-another-module", {"app/__init__.py": "", "app/app.py": APP_CLASS,
                                    "run.py": "from app.app import App\n\napp = App()\napp.create_db()\n"}, "run:app"),
    ("subclass-of-a-subclass-elsewhere-is-not-followed", {  # the left-alone row: Base is no FastAPI by this read
        "app/__init__.py": "", "app/app.py": "from app.base import Base\n\n\nclass App(Base):\n    pass\n",
        "app/base.py": APP_CLASS.replace("class App", "class Base"),
        "run.py": "from app.app import App\n\napp = App()\n"}, None),
    ("a-plain-class-is-no-app", {"app/__init__.py": "", "app/app.py": "class App:\n    pass\n",
                                 "run.py": "from app.app import App\n\napp = App()\n"}, None),
], ids=lambda v: v if isinstance(v, str) and "/" not in v and ":" not in v else "")
def test_an_app_made_from_a_subclass_defined_in_another_module(tmp_path, case, files, expected):
    root = write(tmp_path / "p", {"requirements.txt": "fastapi[standard]\n", **files})
    if expected is None:
        with pytest.raises(UserInputError, match="no FastAPI app found"):
            inspect_project(root)
    else:
        assert inspect_project(root).app.value.entrypoint == expected


def test_no_dependency_file_names_what_the_code_imports(tmp_path):
    """VictorManuelLopezHenao/WeatherAPI: four modules and no dependency file: the hint lists the third-party
    modules imported (not the standard library's, not the project's own)."""
    root = _write(tmp_path / "weather", {
        "main.py": "import os\nimport json\nfrom fastapi import FastAPI\nfrom cache_service import get\n\napp = FastAPI()\n",
        "cache_service.py": "import redis\nfrom config import settings\n",
        "config.py": "from pydantic_settings import BaseSettings\n",
        "weather_service.py": "import httpx\n",
    })
    with pytest.raises(UserInputError) as caught:
        inspect_project(root)
    assert "no dependency file" in caught.value.message
    assert "what the code imports (fastapi, httpx, pydantic_settings, redis)" in (caught.value.hint or "")


DOCUMENTED = [
    # Andriinef/trading_app: apps/main.py and apps/currency/ex.py both make a FastAPI(); its Makefile serves one
    ("makefile", {"Makefile": "reload:\n\tuvicorn apps.main:app --reload\n"}, "apps.main:app", "start command Makefile:2"),
    ("procfile", {"Procfile": "web: gunicorn -k uvicorn.workers.UvicornWorker apps.main:app\n"}, "apps.main:app",
     "start command Procfile:1"),
    ("dockerfile-cmd", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "apps.currency.ex:app", "--host", "0.0.0.0"]\n'},
     "apps.currency.ex:app", "start command Dockerfile:2"),
    ("readme", {"README.md": "Run it:\n\n```\nuvicorn apps.main:app --port 8000\n```\n"}, "apps.main:app",
     "start command README.md:4"),
]
AMBIGUOUS = {**REQ, "apps/__init__.py": "", "apps/main.py": APP, "apps/currency/__init__.py": "", "apps/currency/ex.py": APP}


@pytest.mark.parametrize(("case", "files", "entrypoint", "source"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_the_projects_own_start_command_settles_which_app(tmp_path, case, files, entrypoint, source):
    data = inspect_project(_write(tmp_path / case, {**AMBIGUOUS, **files})).to_json()
    assert (data["entrypoint"], data["sources"]["entrypoint"]) == (entrypoint, source)


@pytest.mark.parametrize("start", [
    "# uvicorn apps.main:app\n",  # a commented line is no command
    "run:\n\tuvicorn nowhere.main:app\n",  # a module the project does not have
    "run:\n\tuvicorn apps.main:application\n",  # a variable that is no app
    "run:\n\techo apps.main:app\n",  # no server runs it
])
def test_a_start_command_that_names_no_app_of_the_project_settles_nothing(tmp_path, start):
    with pytest.raises(UserInputError) as caught:
        inspect_project(_write(tmp_path / "p", {**AMBIGUOUS, "Makefile": start}))
    assert "several modules define one: apps/currency/ex.py, apps/main.py" in caught.value.message
