"""Releases that fail at import on a newer Python (inspection/pythonbreaks.py): the image takes the newest Python
below the fault that the project allows, and verify names the fault when the project keeps the newer one."""

from __future__ import annotations

import pytest

from quayside.inspection import inspect_project, pythonbreaks

APP = "import aioredis\nfrom fastapi import FastAPI\napp = FastAPI()\n"

# (id, files the project has, the Python the image takes)
MOVES = [
    ("exact pin", {"requirements.txt": "fastapi[standard]\naioredis==2.0.1\n"}, "3.10"),
    ("2.0.0 pinned", {"requirements.txt": "fastapi[standard]\naioredis==2.0.0\n"}, "3.10"),
    ("no bound: the newest, 2.0.1", {"requirements.txt": "fastapi[standard]\naioredis\n"}, "3.10"),
    ("a range that admits 2", {"requirements.txt": "fastapi[standard]\naioredis>=1.3\n"}, "3.10"),
    ("UTF-16 requirements", {"requirements.txt": "\ufefffastapi[standard]\naioredis==2.0.1\n".encode("utf-16-le")}, "3.10"),
    ("PEP 621", {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\ndependencies = ["fastapi[standard]", "aioredis>=2"]\n'},
     "3.10"),
    ("Poetry caret", {"pyproject.toml": '[tool.poetry]\nname = "x"\nversion = "0"\n[tool.poetry.dependencies]\n'
                                        'python = "^3.8"\nfastapi = { version = "*", extras = ["standard"] }\naioredis = "^2.0.1"\n'}, "3.10"),
    ("in a lock, through another package",
     {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\ndependencies = ["fastapi[standard]", "fastapi-admin"]\n',
      "uv.lock": 'version = 1\nrequires-python = ">=3.9"\n[[package]]\nname = "fastapi-admin"\nversion = "1.0.4"\n'
                 '[[package]]\nname = "aioredis"\nversion = "2.0.1"\n'}, "3.10"),
]

# (id, files, the Python that stays)
NOOPS = [
    ("aioredis 1", {"requirements.txt": "fastapi[standard]\naioredis==1.3.1\n"}, "3.12"),
    ("bounded below 2", {"requirements.txt": "fastapi[standard]\naioredis<2\n"}, "3.12"),
    ("only for old Pythons", {"requirements.txt": 'fastapi[standard]\naioredis==2.0.1 ; python_version < "3.11"\n'}, "3.12"),
    ("redis.asyncio instead", {"requirements.txt": "fastapi[standard]\nredis>=4.2\n"}, "3.12"),
    ("a name that only begins alike", {"requirements.txt": "fastapi[standard]\naioredis-cluster==2.0.1\n"}, "3.12"),
    ("locked 1.3.1", {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\ndependencies = ["fastapi[standard]", "aioredis"]\n',
                      "uv.lock": 'version = 1\nrequires-python = ">=3.9"\n[[package]]\nname = "aioredis"\nversion = "1.3.1"\n'},
     "3.12"),
    ("the project names 3.12 itself", {"requirements.txt": "fastapi[standard]\naioredis==2.0.1\n", ".python-version": "3.12\n"},
     "3.12"),
    ("requires-python allows no older one",
     {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\nrequires-python = ">=3.11"\n'
                        'dependencies = ["fastapi[standard]", "aioredis==2.0.1"]\n'}, "3.12"),
]


def _project(tmp_path, files):
    (tmp_path / "main.py").write_text(APP)
    for name, text in files.items():
        path = tmp_path / name
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "python"), [case[1:] for case in MOVES], ids=[case[0] for case in MOVES])
def test_a_release_that_fails_on_the_chosen_python_moves_it_below(tmp_path, files, python):
    decided = inspect_project(_project(tmp_path, files)).python_version
    assert decided.value == python
    assert "aioredis" in decided.reason and "duplicate base class TimeoutError" in decided.reason
    assert "end of life" in decided.reason  # 3.10 is past it: the reason says so


@pytest.mark.parametrize(("files", "python"), [case[1:] for case in NOOPS], ids=[case[0] for case in NOOPS])
def test_releases_that_run_or_a_python_the_project_names_stay(tmp_path, files, python):
    assert inspect_project(_project(tmp_path, files)).python_version.value == python


def test_a_kept_python_says_why_and_the_way_out(tmp_path):
    decided = inspect_project(_project(tmp_path, NOOPS[-2][1])).python_version
    assert "the project names its Python itself" in decided.reason and "redis.asyncio" in decided.reason


def test_the_move_stops_at_the_fault_not_at_older_ones(tmp_path):
    """A project that allows 3.9 too takes 3.10, the newest below 3.11, not the oldest it allows."""
    files = {"pyproject.toml": '[project]\nname = "x"\nversion = "0"\nrequires-python = ">=3.9"\n'
                               'dependencies = ["fastapi[standard]", "aioredis==2.0.1"]\n'}
    assert inspect_project(_project(tmp_path, files)).python_version.value == "3.10"


LOG_311 = """Traceback (most recent call last):
  File "/code/main.py", line 1, in <module>
    import aioredis
  File "/opt/venv/lib/python3.11/site-packages/aioredis/__init__.py", line 1, in <module>
    from aioredis.client import Redis, StrictRedis
  File "/opt/venv/lib/python3.11/site-packages/aioredis/exceptions.py", line 14, in <module>
    class TimeoutError(asyncio.TimeoutError, builtins.TimeoutError, RedisError):
TypeError: duplicate base class TimeoutError
"""


@pytest.mark.parametrize(("logs", "named"), [
    (LOG_311, "Python 3.11"),
    (LOG_311.replace("python3.11", "python3.13"), "Python 3.13"),
])
def test_verify_names_the_fault_from_the_log(logs, named):
    cause = pythonbreaks.cause_from_logs(logs)
    assert cause is not None and named in cause and "--python 3.10" in cause and "redis.asyncio" in cause


@pytest.mark.parametrize("logs", [
    "TypeError: duplicate base class TimeoutError\n  File \"/code/app/errors.py\", line 3\n",  # the app's own class
    LOG_311.replace("TypeError: duplicate base class TimeoutError", "TypeError: something else"),
    "",
], ids=["raised in the app's own code", "another error in aioredis", "no logs"])
def test_verify_leaves_other_errors_alone(logs):
    assert pythonbreaks.cause_from_logs(logs) is None


def test_without_the_table_the_fault_goes_unseen(tmp_path, monkeypatch):
    """The broken variant: with the table empty, the same project gets quayside's default, 3.11's fault and all."""
    monkeypatch.setattr(pythonbreaks, "KNOWN", ())
    assert inspect_project(_project(tmp_path, MOVES[0][1])).python_version.value == "3.12"
    assert pythonbreaks.cause_from_logs(LOG_311) is None
