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
