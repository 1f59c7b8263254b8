"""A module whose import makes the tables (module-level `create_all`) beside migrations: compose's migrate
imports it after them, as the owner, so the app keeps the rows-only role. Found / left-alone tables."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection.services import schema_made_at_import
from support.projects import FIXTURES, copy_project, tree_digest, write

runner = CliRunner()
HEAD = "from sqlalchemy import MetaData, create_engine\nfrom sqlalchemy.orm import declarative_base\n"

FOUND = [
    ("declarative-base", {"app/__init__.py": "", "app/main.py": HEAD + "Base = declarative_base()\nBase.metadata.create_all(bind=engine)\n"},
     "app.main", "app/main.py:4"),
    ("sqlmodel", {"main.py": "from sqlmodel import SQLModel\n\nSQLModel.metadata.create_all(engine)\n"}, "main", "main.py:3"),
    ("core-metadata", {"db/__init__.py": HEAD + "metadata = MetaData()\nmetadata.create_all(engine)\n"}, "db", "db/__init__.py:4"),
    ("namespace-folder", {"api/database.py": HEAD + "models.Base.metadata.create_all(engine)\n"}, "api.database", "api/database.py:3"),
    # phantuananh1206/DemoFastAPI: casbin's SQLAlchemy adapter makes casbin_rule when it is built
    ("casbin-adapter-module", {"src/__init__.py": "", "src/utils/__init__.py": "",
                               "src/utils/auth.py": "import os\nimport casbin_sqlalchemy_adapter\n"
                                                    "adapter = casbin_sqlalchemy_adapter.Adapter(os.getenv('DATABASE_URL'))\n"},
     "src.utils.auth", "src/utils/auth.py:3"),
    ("casbin-adapter-imported", {"auth.py": "from casbin_sqlalchemy_adapter import Adapter as A\n\nA('sqlite://')\n"},
     "auth", "auth.py:3"),
]

LEFT_ALONE = [
    ("in-a-function", {"main.py": "def startup():\n    Base.metadata.create_all(engine)\n"}),
    ("under-main-guard", {"main.py": "if __name__ == '__main__':\n    Base.metadata.create_all(engine)\n"}),
    ("in-a-test-file", {"test_models.py": "Base.metadata.create_all(engine)\n"}),
    ("not-metadata", {"main.py": "engine.create_all()\n"}),
    ("not-importable", {"my-app/main.py": "Base.metadata.create_all(engine)\n"}),
    ("a-comment", {"main.py": "# Base.metadata.create_all(engine)\n"}),
    ("syntax-error", {"main.py": "Base.metadata.create_all(engine\n"}),
    ("casbin-told-not-to", {"auth.py": "import casbin_sqlalchemy_adapter as c\na = c.Adapter('sqlite://', create_table=False)\n"}),
    ("another-adapter", {"auth.py": "import casbin_sqlalchemy_adapter\nfrom other import Adapter\na = Adapter('x')\n"}),
    ("casbin-in-a-function", {"auth.py": "import casbin_sqlalchemy_adapter\n\n\ndef make():\n"
                                         "    return casbin_sqlalchemy_adapter.Adapter('x')\n"}),
]


@pytest.mark.parametrize(("case", "files", "module", "where"), FOUND, ids=[c[0] for c in FOUND])
def test_found(tmp_path, case, files, module, where):
    assert schema_made_at_import(write(tmp_path / case, files), ".") == (module, where)


@pytest.mark.parametrize(("case", "files"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path, case, files):
    assert schema_made_at_import(write(tmp_path / case, files), ".") is None


def test_a_src_import_root_names_the_module_from_there(tmp_path):
    root = write(tmp_path / "src-layout", {"src/shop/__init__.py": "", "src/shop/db.py": "Base.metadata.create_all(engine)\n"})
    assert schema_made_at_import(root, "src") == ("shop.db", "src/shop/db.py:1")


def test_compose_migrate_imports_the_module_and_its_output_is_clean_and_stable(tmp_path):
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["migrate"]["command"][3:] == ["app.main", "alembic", "upgrade", "head"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")  # rows only
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_OWNER:?")
    assert "Then `migrate` imports `app.main`" in (project / "DEPLOY.md").read_text()
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output
    before = tree_digest(project)
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    assert tree_digest(project) == before

    # the create_all moved into a function: nothing to import, migrate runs the migrations alone
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n",
                                             "def make_tables() -> None:\n    Base.metadata.create_all(bind=engine)\n"))
    assert runner.invoke(app, ["init", str(project), "--target", "compose", "--force"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]


def _migrate_argv(project, target: str) -> list[str]:
    """The migration command each orchestrator target writes for its one-off job."""
    import json
    import shlex
    import tomllib

    load = YAML(typ="safe").load
    if target == "kubernetes":
        return load((project / "k8s/migrate/job.yaml").read_text())["spec"]["template"]["spec"]["containers"][0]["command"]
    if target == "swarm":
        return load((project / "stack.yaml").read_text())["services"]["migrate"]["command"]
    if target == "cloudrun":
        container = load((project / "deploy/cloudrun/migrate-job.yaml").read_text())["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]
        return container["command"] + container["args"]
    if target == "fly":
        return shlex.split(tomllib.loads((project / "fly.toml").read_text())["deploy"]["release_command"])
    if target == "render":
        return shlex.split(load((project / "render.yaml").read_text())["services"][0]["preDeployCommand"])
    return shlex.split(json.loads((project / "railway.json").read_text())["deploy"]["preDeployCommand"][0])


ORCHESTRATORS = [("kubernetes", ["--domain", "api.quayside.test"]), ("swarm", []), ("cloudrun", []), ("fly", []),
                 ("render", []), ("railway", [])]


@pytest.mark.parametrize(("target", "args"), ORCHESTRATORS, ids=[t for t, _ in ORCHESTRATORS])
def test_every_target_migrates_as_compose_does(tmp_path, target, args):
    """Alembic one folder down (its ini in db/) and a module-level create_all: each target's job runs the same
    migrations, then imports that module; its output passes check. Broken variant: the create_all in a function."""
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path)
    (project / "db").mkdir()
    (project / "alembic.ini").rename(project / "db" / "alembic.ini")
    assert runner.invoke(app, ["init", str(project), "--target", target, *args]).exit_code == 0
    argv = _migrate_argv(project, target)
    assert argv[:2] == ["python", "-c"] and argv[3:] == ["app.main", "alembic", "-c", "db/alembic.ini", "upgrade", "head"]
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output

    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n",
                                             "def make_tables() -> None:\n    Base.metadata.create_all(bind=engine)\n"))
    assert runner.invoke(app, ["init", str(project), "--target", target, *args, "--force"]).exit_code == 0
    assert _migrate_argv(project, target) == ["alembic", "-c", "db/alembic.ini", "upgrade", "head"]


MIGRATES_ITSELF = [
    # josejnra/fastapi-base: the lifespan hands alembic's upgrade to a thread
    ("to-thread", {"app/__init__.py": "", "app/main.py": "import asyncio\nfrom alembic import command\n\n\nasync def run():\n"
                   "    await asyncio.to_thread(command.upgrade, cfg, 'head')\n"}, "app/main.py", "app/main.py:6"),
    ("called-in-a-module-it-imports", {"app/__init__.py": "", "app/main.py": "from app.db.migrate import up\napp = 1\n",
                               "app/db/migrate.py": "from alembic import command as c\n\ndef up():\n    c.upgrade(cfg, 'head')\n"},
     "app/main.py", "app/db/migrate.py:4"),
    ("dotted", {"main.py": "import alembic.command\n\ndef up():\n    alembic.command.upgrade(cfg, 'head')\n"}, "main.py", "main.py:4"),
    ("relative-two-deep", {"app/__init__.py": "", "app/main.py": "from .core import start\n", "app/core/__init__.py": "",
                           "app/core/start.py": "from . import db\n",
                           "app/core/db.py": "from alembic import command\ncommand.upgrade(c, 'head')\n"},
     "app/main.py", "app/core/db.py:2"),
]
NOT_ITSELF = [
    # the same call in a script beside the app (josejnra's alembic_commands.py, run by hand)
    ("script-beside", {"app/__init__.py": "", "app/main.py": "app = 1\n",
                       "alembic_commands.py": "from alembic import command\ncommand.upgrade(cfg, 'head')\n"}, "app/main.py"),
    # seapagan/fastapi-template: a CLI command module in the app's package that the app never imports
    ("cli-module-not-imported", {"app/__init__.py": "", "app/main.py": "from app import config\napp = 1\n", "app/config.py": "",
                                 "app/commands/db.py": "from alembic import command\ncommand.upgrade(cfg, 'head')\n"},
     "app/main.py"),
    ("root-app-sibling-script", {"main.py": "app = 1\n", "migrate.py": "from alembic import command\ncommand.upgrade(cfg, 'head')\n"},
     "main.py"),
    ("another-upgrade", {"main.py": "import alembic\nfrom pip import command\ncommand.upgrade()\n"}, "main.py"),
    ("downgrade", {"main.py": "from alembic import command\ncommand.downgrade(cfg, '-1')\n"}, "main.py"),
]


@pytest.mark.parametrize(("case", "files", "app_file", "where"), MIGRATES_ITSELF, ids=[c[0] for c in MIGRATES_ITSELF])
def test_an_app_that_migrates_itself_is_found(tmp_path, case, files, app_file, where):
    from quayside.inspection.services import app_migrates_itself

    found = app_migrates_itself(write(tmp_path / case, files), app_file)
    assert found.value and found.source == where


@pytest.mark.parametrize(("case", "files", "app_file"), NOT_ITSELF, ids=[c[0] for c in NOT_ITSELF])
def test_an_app_that_does_not_migrate_itself_is_left_alone(tmp_path, case, files, app_file):
    from quayside.inspection.services import app_migrates_itself

    assert not app_migrates_itself(write(tmp_path / case, files), app_file).value


def test_an_app_that_migrates_itself_connects_as_the_owner_after_migrate(tmp_path):
    """Its start changes the schema, so the rows-only role cannot be its role; migrate still runs first. Broken
    variant: the upgrade moved to a script beside the app: the app keeps the rows-only role."""
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path)
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n", "")
                    + "\nfrom alembic import command\n\n\ndef migrate() -> None:\n    command.upgrade(config, 'head')\n")
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_OWNER:?")
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output

    (project / "migrate_by_hand.py").write_text("from alembic import command\n\ncommand.upgrade(config, 'head')\n")
    main.write_text(main.read_text().replace("\nfrom alembic import command\n\n\ndef migrate() -> None:\n    command.upgrade(config, 'head')\n", ""))
    assert runner.invoke(app, ["init", str(project), "--target", "compose", "--force"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")


@pytest.mark.parametrize(("code", "found"), [
    ("Base.metadata.create_all(bind=engine)\n", True),
    # Jiyanson/…-backend: an async engine hands it to run_sync
    ("async def make(conn):\n    await conn.run_sync(Base.metadata.create_all)\n", True),
    ("await conn.run_sync(Base.metadata.create_all, checkfirst=True)\n", True),
    ("register_tortoise(app, generate_schemas=True)\n", True),
    ("create_all_users = 1\n", False),
    ("Base.metadata.create_all_tables = None\n", False),
], ids=["called", "run-sync", "run-sync-keywords", "tortoise", "a-name", "another-attribute"])
def test_an_app_that_makes_its_tables_at_start_is_found(tmp_path, code, found):
    from quayside.inspection.services import detect_schema_creation

    assert detect_schema_creation(write(tmp_path / "p", {"app/db.py": code})).value is found


def test_alembic_without_revisions_leaves_the_tables_to_the_app_as_the_owner(tmp_path):
    """Jiyanson/…-backend: alembic.ini and env.py, no revision file (only their __pycache__ was committed); the
    app makes its tables at start (run_sync(create_all)). No migrate service; the app connects as the owner.
    Broken variant: a revision file back in versions/: migrate runs, the app keeps the rows-only role."""
    project = copy_project(FIXTURES / "alembic-create-all", tmp_path)
    revision = project / "migrations" / "versions" / "0001_books.py"
    kept = revision.read_text()
    revision.unlink()
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("Base.metadata.create_all(bind=engine)\n",
                                             "async def make(conn):\n    await conn.run_sync(Base.metadata.create_all)\n"))
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert "migrate" not in services
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_OWNER:?")
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output
    revision.write_text(kept)
    assert runner.invoke(app, ["init", str(project), "--target", "compose", "--force"]).exit_code == 0
    services = YAML(typ="safe").load((project / "compose.yaml").read_text())["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://${DB_APP_USER:?")
