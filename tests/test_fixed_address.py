"""A database URL written in the code with an IP or localhost as its host: no database beside the app answers
there. verify names that line when the app cannot reach its database, or hangs until it is unhealthy."""

from __future__ import annotations

from quayside.inspection.services import fixed_addresses
from quayside.verify import stack
from support.projects import write

HANGING = "sqlalchemy.exc.OperationalError: (MySQLdb.OperationalError) (2002, \"Can't connect to server on '172.17.0.2' (115)\")\n"


def test_ip_and_localhost_hosts_are_found_and_service_names_are_not(tmp_path):
    root = write(tmp_path / "p", {
        "app/database.py": 'URL = "mysql://root:pw@172.17.0.2:3306/shop"\nCACHE = "redis://localhost:6379/0"\n',
        "app/settings.py": 'URL = "postgresql://app:pw@db:5432/app"\nDOCS = "https://10.0.0.1/docs"\n',
        "app/direct.py": 'import redis\nfrom sqlalchemy import create_engine\n\n'
                         'def connect():\n    return create_engine("postgresql://u:p@127.0.0.1/shop")\n',
        "tests/test_db.py": 'URL = "postgresql://u:p@127.0.0.1/test"\n',
    })
    assert fixed_addresses(root) == ("its database at 172.17.0.2 (app/database.py:1)",
                                      "its cache at localhost (app/database.py:2)", "its database at 127.0.0.1 (app/direct.py:5)")


def test_a_default_that_a_setting_replaces_is_no_fixed_address(tmp_path):
    """zaikays/FastApiTest: `broker_url: str = "redis://localhost:6379/0"`, a parameter's default."""
    root = write(tmp_path / "p", {
        "celery_service.py": 'import os\n\nclass CeleryService:\n    def __init__(self, broker_url: str = "redis://localhost:6379/0"):\n'
                             '        self.url = broker_url\n\nURL = os.getenv("DATABASE_URL", "postgresql://u:p@localhost/x")\n',
        "settings.py": 'from pydantic_settings import BaseSettings\n\nclass S(BaseSettings):\n'
                       '    database_url: str = "postgresql://u:p@localhost/x"\n',
    })
    assert fixed_addresses(root) == ()


def test_the_stack_names_the_line_when_the_app_cannot_reach_its_database():
    cause = stack._cause(HANGING, (), ("its database at 172.17.0.2 (app/database.py:5)",))
    assert cause.startswith("the app's code connects to its database at 172.17.0.2 (app/database.py:5)")
    # the broken variant, without the addresses: the general cause, which sends the user to the wrong fix
    assert stack._cause(HANGING, (), ()) .startswith("the app could not reach MySQL")


def test_a_script_the_image_does_not_hold_is_no_fixed_address(tmp_path):
    """josejnra/fastapi-base: alembic_commands.py at the root sets APP_DATABASE_URL to localhost for itself; the
    image holds app/ only, so it never runs there. The same line inside app/ is found (the broken variant)."""
    from quayside.inspection import inspect_project
    from quayside.verify import _fixed_addresses

    script = 'import os\n\nos.environ["APP_DATABASE_URL"] = "postgresql+asyncpg://postgres:postgres@localhost/postgres"\n'
    root = write(tmp_path / "p", {
        "requirements.txt": "fastapi[standard]\nsqlalchemy\nasyncpg\n",
        "app/__init__.py": "",
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "alembic_commands.py": script,
    })
    info = inspect_project(root)
    assert fixed_addresses(root) == ("its database at localhost (alembic_commands.py:3)",)  # every module, as before
    assert _fixed_addresses(info) == ()
    (root / "app" / "db.py").write_text(script)
    (root / "app" / "main.py").write_text("from fastapi import FastAPI\n\nfrom app import db\n\napp = FastAPI()\n")
    assert _fixed_addresses(inspect_project(root)) == ("its database at localhost (app/db.py:3)",)


def test_a_cache_at_localhost_is_named_a_cache():
    """Andriinef/trading_app: `aioredis.from_url("redis://localhost")` at startup, the database's URL from settings."""
    logs = "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n"
    cause = stack._cause(logs, (), ("its cache at localhost (apps/main.py:39)",))
    assert cause.startswith("the app's code connects to its cache at localhost (apps/main.py:39), an address no cache "
                            "beside it answers at"), cause
