"""alembic.ini's own URL: found when env.py connects with it as written (`alembic init`'s env.py), left alone when
env.py takes the URL from anywhere else; and the compose migrate service it leads to (no engine needed)."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.cli import app
from quayside.inspection.alembic_url import IniDatabaseUrl, ini_database_url
from support.projects import FIXTURES, copy_project, write

STOCK_ONLINE = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"))


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
"""
INI = "[alembic]\nscript_location = {location}\nsqlalchemy.url = {url}\n"
LOCALHOST = "postgresql://postgres:password@localhost:5432/postgres"

# (id, files, expected): env.py as `alembic init` writes it, with a URL to a server in the ini
FOUND = [
    ("stock", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST), "migrations/env.py": STOCK_ONLINE},
     IniDatabaseUrl("alembic.ini", "postgresql", "localhost")),
    ("here-relative-mysql", {"web/alembic.ini": INI.format(location="%(here)s/alembic",
                                                            url="mysql+mysqlconnector://u:p@my_mysql_db:3306/app"),
                             "web/alembic/env.py": STOCK_ONLINE},
     IniDatabaseUrl("web/alembic.ini", "mysql+mysqlconnector", "my_mysql_db")),
    ("ini-folder-relative", {"db/alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                             "db/migrations/env.py": STOCK_ONLINE},
     IniDatabaseUrl("db/alembic.ini", "postgresql", "localhost")),
    ("async-template", {"alembic.ini": INI.format(location="migrations", url="postgresql+asyncpg://u:p@127.0.0.1/app"),
                        "migrations/env.py": STOCK_ONLINE.replace("engine_from_config", "async_engine_from_config")},
     IniDatabaseUrl("alembic.ini", "postgresql+asyncpg", "127.0.0.1")),
]
# (id, files): the ini's URL is not what migrations connect with, or is no URL to a server
NOT_FOUND = [
    ("template-placeholder", {"alembic.ini": INI.format(location="migrations", url="driver://user:pass@localhost/dbname"),
                              "migrations/env.py": STOCK_ONLINE}),
    ("interpolated", {"alembic.ini": INI.format(location="migrations", url="%(DB_URL)s"), "migrations/env.py": STOCK_ONLINE}),
    ("empty", {"alembic.ini": INI.format(location="migrations", url=""), "migrations/env.py": STOCK_ONLINE}),
    ("set-main-option", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                         "migrations/env.py": STOCK_ONLINE + "config.set_main_option('sqlalchemy.url', settings.URL)\n"}),
    ("section-edited", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                        "migrations/env.py": STOCK_ONLINE.replace(
                            "    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),",
                            "    section = config.get_section(config.config_ini_section, {})\n"
                            "    section['sqlalchemy.url'] = get_url()\n"
                            "    connectable = engine_from_config(section,")}),
    ("url-keyword", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                     "migrations/env.py": STOCK_ONLINE.replace("poolclass=pool.NullPool", "url=settings.URL")}),
    # rhoboro/async-fastapi-sqlalchemy: migrations connect with the app's own engine
    ("app-engine", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                    "migrations/env.py": "from alembic import context\nfrom app.db import async_engine\n"
                                         "connectable = async_engine\n"}),
    ("create-engine", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                       "migrations/env.py": "from sqlalchemy import create_engine\nengine = create_engine(URL)\n"}),
    ("package-location", {"alembic.ini": INI.format(location="app:migrations", url=LOCALHOST),
                          "app/migrations/env.py": STOCK_ONLINE}),
    ("no-env-py", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST)}),
    ("env-py-does-not-parse", {"alembic.ini": INI.format(location="migrations", url=LOCALHOST),
                               "migrations/env.py": STOCK_ONLINE + "def (:\n"}),
    ("ini-does-not-parse", {"alembic.ini": "[alembic\nscript_location = migrations\n", "migrations/env.py": STOCK_ONLINE}),
    ("no-alembic-section", {"alembic.ini": "[loggers]\nkeys = root\n", "migrations/env.py": STOCK_ONLINE}),
]



@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in FOUND], ids=[c[0] for c in FOUND])
def test_the_ini_url_is_found(tmp_path, files, expected):
    root = write(tmp_path / "project", files)
    assert ini_database_url(root, expected.ini) == expected


@pytest.mark.parametrize("files", [c[1] for c in NOT_FOUND], ids=[c[0] for c in NOT_FOUND])
def test_the_ini_url_is_left_alone(tmp_path, files):
    root = write(tmp_path / "project", files)
    assert ini_database_url(root, "alembic.ini") is None


def test_an_env_py_outside_the_project_is_not_read(tmp_path):
    """script_location may not lead out of the project; its broken variant, the same env.py inside, is read."""
    root = write(tmp_path / "project", {"alembic.ini": INI.format(location="inside", url=LOCALHOST),
                                        "inside/env.py": STOCK_ONLINE})
    assert ini_database_url(root, "alembic.ini") is not None
    (root / "alembic.ini").write_text(INI.format(location="../outside", url=LOCALHOST))
    write(tmp_path, {"outside/env.py": STOCK_ONLINE})
    assert ini_database_url(root, "alembic.ini") is None


def test_an_ini_linked_from_outside_the_project_is_not_read(tmp_path):
    write(tmp_path, {"outside/alembic.ini": INI.format(location="migrations", url=LOCALHOST)})
    root = write(tmp_path / "project", {"migrations/env.py": STOCK_ONLINE})
    (root / "alembic.ini").symlink_to(tmp_path / "outside" / "alembic.ini")
    assert ini_database_url(root, "alembic.ini") is None
    (root / "alembic.ini").unlink()  # the broken variant: the same file inside is read
    (root / "alembic.ini").write_text(INI.format(location="migrations", url=LOCALHOST))
    assert ini_database_url(root, "alembic.ini") is not None


def test_compose_migrate_sets_the_url_and_passes_check(tmp_path):
    project = copy_project(FIXTURES / "alembic-ini-url", tmp_path)
    ini_before = (project / "alembic.ini").read_text()
    result = CliRunner().invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["command"][:2] == ["python", "-c"] and migrate["command"][-1] == "alembic.ini"
    assert "set_main_option('sqlalchemy.url'" in migrate["command"][2]
    url = migrate["environment"]["ALEMBIC_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://${DB_OWNER:?") and "@db:5432/${POSTGRES_DB:?" in url
    assert "ALEMBIC_DATABASE_URL" not in services["app"].get("environment", {})  # the app's role never migrates
    assert (project / "alembic.ini").read_text() == ini_before
    assert [(f.rule, f.path, f.line) for f in run_check(project).findings] == []


def test_an_env_py_that_reads_a_setting_keeps_alembic_upgrade(tmp_path):
    project = copy_project(FIXTURES / "alembic-ini-url", tmp_path)
    env = project / "migrations" / "env.py"
    env.write_text(env.read_text().replace("config = context.config\n", "config = context.config\n"
                                           "config.set_main_option('sqlalchemy.url', os.environ['DATABASE_URL'])\n"))
    assert CliRunner().invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert "ALEMBIC_DATABASE_URL" not in services["migrate"]["environment"]


def test_swarm_migrate_job_reads_the_url_from_its_own_secret(tmp_path):
    project = copy_project(FIXTURES / "alembic-ini-url", tmp_path, "books")
    result = CliRunner().invoke(app, ["init", str(project), "--target", "swarm"])
    assert result.exit_code == 0, result.output
    stack = YAML(typ="safe").load((project / "stack.yaml").read_text())
    migrate, app_service = stack["services"]["migrate"], stack["services"]["app"]
    assert migrate["command"][-1] == "alembic.ini" and "/run/secrets/alembic_database_url" in migrate["command"][2]
    assert {"source": "migrate_alembic_url", "target": "alembic_database_url"} in migrate["secrets"]
    assert all(s["source"] != "migrate_alembic_url" for s in app_service["secrets"])  # the owner's URL: the job's only
    template = stack["x-quayside"]["secrets"]["books_migrate_alembic_url"]["template"]
    assert template == "postgresql+psycopg://books_owner:{books_db_owner_password}@db:5432/books"
    assert stack["secrets"]["migrate_alembic_url"] == {"external": True, "name": "books_migrate_alembic_url"}
    assert [(f.rule, f.path, f.line) for f in run_check(project).findings] == []


NO_REVISIONS = [
    # Jiyanson/…-backend: only the revision's __pycache__ was committed
    ("only-pycache", "alembic", {"alembic/versions/__pycache__/x.cpython-310.pyc": ""}, "alembic/versions"),
    ("empty-folder-keep", "alembic", {"alembic/versions/.keep": ""}, "alembic/versions"),
    ("no-versions-folder", "migrations", {}, "migrations/versions"),
    ("here-relative", "%(here)s/alembic", {"alembic/versions/__init__.py": ""}, "alembic/versions"),
]
WITH_REVISIONS = [
    ("one-revision", "alembic", {"alembic/versions/0001_init.py": "revision = '0001'\n"}),
    ("version-locations", "alembic", {"alembic.ini": INI.format(location="alembic", url="") + "version_locations = other\n"}),
    ("package-location", "myapp:migrations", {}),
    ("no-env-py", "elsewhere", {}),
]


@pytest.mark.parametrize(("case", "location", "files", "folder"), NO_REVISIONS, ids=[c[0] for c in NO_REVISIONS])
def test_alembic_without_a_revision_migrates_nothing(tmp_path, case, location, files, folder):
    from quayside.inspection.alembic_url import has_no_revisions
    from quayside.inspection.services import detect_migrations

    root = write(tmp_path / case, {"alembic.ini": INI.format(location=location, url=""),
                                   f"{location.removeprefix('%(here)s/')}/env.py": STOCK_ONLINE, **files})
    assert has_no_revisions(root, "alembic.ini") == folder
    decided = detect_migrations(root, None)
    assert decided.value is None and f"{folder} holds no revision" in decided.reason


@pytest.mark.parametrize(("case", "location", "files"), WITH_REVISIONS, ids=[c[0] for c in WITH_REVISIONS])
def test_alembic_with_revisions_or_elsewhere_migrates(tmp_path, case, location, files):
    from quayside.inspection.alembic_url import has_no_revisions
    from quayside.inspection.services import detect_migrations

    root = write(tmp_path / case, {"alembic.ini": INI.format(location=location, url=""), "alembic/env.py": STOCK_ONLINE,
                                   **files})
    assert has_no_revisions(root, "alembic.ini") is None
    assert detect_migrations(root, None).value == ("alembic", "upgrade", "head")


RELOCATED = [
    # josejnra/fastapi-base: app/alembic.ini says `migrations`, meaning app/migrations
    ("beside-the-ini", {"app/alembic.ini": INI.format(location="migrations", url=""), "app/migrations/env.py": STOCK_ONLINE},
     "app/alembic.ini", "app/migrations"),
]
NOT_RELOCATED = [
    ("ini-at-the-root", {"alembic.ini": INI.format(location="migrations", url=""), "migrations/env.py": STOCK_ONLINE}, "alembic.ini"),
    ("relative-to-the-root", {"db/alembic.ini": INI.format(location="db/migrations", url=""), "db/migrations/env.py": STOCK_ONLINE},
     "db/alembic.ini"),
    ("here", {"db/alembic.ini": INI.format(location="%(here)s/migrations", url=""), "db/migrations/env.py": STOCK_ONLINE},
     "db/alembic.ini"),
    ("both-exist", {"db/alembic.ini": INI.format(location="migrations", url=""), "db/migrations/env.py": STOCK_ONLINE,
                    "migrations/env.py": STOCK_ONLINE}, "db/alembic.ini"),
    ("package", {"db/alembic.ini": INI.format(location="shop:migrations", url="")}, "db/alembic.ini"),
]


@pytest.mark.parametrize(("case", "files", "ini", "scripts"), RELOCATED, ids=[c[0] for c in RELOCATED])
def test_scripts_beside_an_ini_in_a_folder_are_where_migrate_looks(tmp_path, case, files, ini, scripts):
    from quayside.inspection.alembic_url import relocated_script_location
    from quayside.inspection.services import detect_migrations

    root = write(tmp_path / case, {**files, f"{scripts}/versions/0001_a.py": "revision = '1'\n"})
    assert relocated_script_location(root, ini) == scripts
    argv = detect_migrations(root, None).value
    assert argv is not None and argv[:2] == ("python", "-c") and argv[3:] == (ini, scripts)
    assert "set_main_option('script_location', sys.argv[2])" in argv[2]


@pytest.mark.parametrize(("case", "files", "ini"), NOT_RELOCATED, ids=[c[0] for c in NOT_RELOCATED])
def test_scripts_where_alembic_finds_them_are_left_alone(tmp_path, case, files, ini):
    from quayside.inspection.alembic_url import relocated_script_location

    assert relocated_script_location(write(tmp_path / case, files), ini) is None


def test_a_relocated_ini_with_its_own_url_keeps_both(tmp_path):
    """An ini beside its scripts whose env.py connects with the ini's URL: migrate replaces the URL and moves the
    scripts in one call."""
    root = write(tmp_path / "both", {
        "requirements.txt": "fastapi[standard]\nsqlalchemy\npsycopg2-binary\nalembic\n",
        "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "app/alembic.ini": INI.format(location="migrations", url="postgresql://me:pw@localhost/shop"),
        "app/migrations/env.py": STOCK_ONLINE, "app/migrations/versions/0001_a.py": "revision = '1'\n",
    })
    assert CliRunner().invoke(app, ["init", str(root), "--target", "compose"]).exit_code == 0
    command = YAML(typ="safe").load((root / "compose.yaml").read_text())["services"]["migrate"]["command"]
    assert command[3:] == ["app/alembic.ini", "app/migrations"]
    assert "set_main_option('script_location', sys.argv[2])" in command[2] and "os.environ['ALEMBIC_DATABASE_URL']" in command[2]
