import os
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    # DATABASE_URL set (e.g. a real Postgres): test against it; otherwise a fresh SQLite file
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'items.db'}"


@pytest.fixture(scope="session")
def migrated(database_url):
    os.environ["DATABASE_URL"] = database_url
    from app.config import get_settings

    get_settings.cache_clear()
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    yield database_url


@pytest.fixture
def client(migrated):
    from app.main import app

    with TestClient(app) as test_client:
        yield test_client
