"""--fix: before → after for every fixable rule; fixes are atomic and their result is clean for that rule."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.check.model import RULES
from quayside.cli import app
from support.projects import tree_digest, write

runner = CliRunner()

FIXES = [
    pytest.param("QS001", "FROM python:3.12\nUSER app\nCMD fastapi run main.py --port 8000\n",
     'FROM python:3.12\nUSER app\nCMD ["fastapi", "run", "main.py", "--port", "8000"]\n', id="QS001-shell-form-cmd"),
    pytest.param("QS001", "FROM python:3.12\nENTRYPOINT uvicorn main:app --host 0.0.0.0\n",
     'FROM python:3.12\nENTRYPOINT ["uvicorn", "main:app", "--host", "0.0.0.0"]\n', id="QS001-shell-form-entrypoint"),
    pytest.param("QS005", "FROM python:3.12\nRUN pip install -r requirements.txt\n",
     "FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt\n", id="QS005-pip-install"),
    pytest.param("QS005", "FROM python:3.12\nRUN pip install -U pip \\\n    && pip3 install fastapi\n",
     "FROM python:3.12\nRUN pip install --no-cache-dir -U pip \\\n    && pip3 install --no-cache-dir fastapi\n", id="QS005-pip-and-pip3-continued"),
    pytest.param("QS008", 'FROM python:3.12-slim\nHEALTHCHECK --interval=5s CMD curl -f http://127.0.0.1:8000/health || exit 1\nCMD ["fastapi", "run", "main.py"]\n',
     'FROM python:3.12-slim\nHEALTHCHECK --interval=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\', timeout=3)"]\nCMD ["fastapi", "run", "main.py"]\n', id="QS008-curl-healthcheck-on-slim"),
    pytest.param("QS009", 'FROM python:3.12\nCMD ["fastapi", "dev", "main.py", "--reload"]\n',
     'FROM python:3.12\nCMD ["fastapi", "run", "main.py"]\n', id="QS009-fastapi-dev-reload"),
    pytest.param("QS009", 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--port", "80"]\n',
     'FROM python:3.12\nCMD ["uvicorn", "main:app", "--port", "80", "--host", "0.0.0.0"]\n', id="QS009-uvicorn-default-host"),
    pytest.param("QS012", 'FROM python:3.12\nENV PATH="/opt/venv/bin:$PATH"\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n',
     'FROM python:3.12\nENV PATH="/opt/venv/bin:$PATH"\nCMD ["fastapi", "run", "main.py"]\n', id="QS012-uv-run-wrapper"),
    pytest.param("QS018", "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/uv uv sync --no-install-project\n",
     "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-install-project\n", id="QS018-uv-sync-unlocked"),
    pytest.param("QS020", "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\n",
     "FROM python:3.12\nRUN apt-get update && apt-get install --no-install-recommends -y gcc \\\n    && rm -rf /var/lib/apt/lists/*\n", id="QS020-apt-install-recommends"),
    pytest.param("QS020", "FROM python:3.12\nRUN apt-get install -y --no-install-recommends gcc && apt-get install -y chromium && rm -rf /var/lib/apt/lists/*\n",
     "FROM python:3.12\nRUN apt-get install -y --no-install-recommends gcc && apt-get install --no-install-recommends -y chromium && rm -rf /var/lib/apt/lists/*\n",
     id="QS020-only-the-bare-install"),
    pytest.param("QS027", "FROM python:3.12-slim\nRUN uv sync --locked && uv --no-cache pip install x\n",
     "FROM python:3.12-slim\nRUN uv sync --no-cache --locked && uv --no-cache pip install x\n", id="QS027-uv-no-cache"),
]


# The fixes that may change what the image does (ruff's "unsafe"): applied only with --unsafe-fixes.
UNSAFE = {"QS008", "QS012", "QS016", "QS020"}


def _unsafe_flag(rule_id: str) -> list[str]:
    return ["--unsafe-fixes"] if rule_id in UNSAFE else []


@pytest.mark.parametrize(("rule_id", "before", "after"), FIXES)
def test_fix(tmp_path, rule_id, before, after):
    root = write(tmp_path, {"Dockerfile": before})
    result = runner.invoke(app, ["check", str(root), "--select", rule_id, "--fix", *_unsafe_flag(rule_id)])
    assert (root / "Dockerfile").read_text() == after
    assert result.exit_code == 0, result.output
    assert not [f for f in run_check(root).findings if f.rule == rule_id]


@pytest.mark.parametrize(("rule_id", "before", "after"), [p for p in FIXES if p.values[0] in UNSAFE])
def test_unsafe_fix_needs_unsafe_fixes(tmp_path, rule_id, before, after):
    root = write(tmp_path, {"Dockerfile": before})
    result = runner.invoke(app, ["check", str(root), "--select", rule_id, "--fix"])
    assert (root / "Dockerfile").read_text() == before
    assert result.exit_code == 1
    assert "1 more fixable with --unsafe-fixes" in result.output
    assert "[unsafe fix]" in result.output


def test_fix_safety_is_declared_as_documented():
    assert {rid for rid, rule in RULES.items() if rule.fixable and rule.fix_safety.value == "unsafe"} == UNSAFE
    for rule in RULES.values():
        assert rule.references, f"{rule.id} cites no reference"


def test_every_fixable_rule_has_a_fix_case():
    assert {p.values[0] for p in FIXES} | {"QS016"} == {rid for rid, rule in RULES.items() if rule.fixable}


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\n"})
    assert runner.invoke(app, ["check", str(root), "--unsafe-fixes"]).exit_code == 2


def test_dockerignore_fix_creates_and_extends(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\nCOPY . /code\n"})
    runner.invoke(app, ["check", str(root), "--select", "QS016", "--fix", "--unsafe-fixes"])
    created = (root / ".dockerignore").read_text().splitlines()
    assert {"**/.venv", "**/.env", "**/.git", "**/__pycache__"} <= set(created)
    (root / ".dockerignore").write_text("**/.venv\nnode_modules")
    runner.invoke(app, ["check", str(root), "--select", "QS016", "--fix", "--unsafe-fixes"])
    assert (root / ".dockerignore").read_text() == "**/.venv\nnode_modules\n**/.env\n**/.git\n**/__pycache__\n"


def test_diff_writes_nothing(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\nRUN pip install fastapi\nCOPY . /code\n"})
    before = tree_digest(root)
    result = runner.invoke(app, ["check", str(root), "--diff"])
    assert "+RUN pip install --no-cache-dir fastapi" in result.output and "+++ b/.dockerignore" not in result.output
    result = runner.invoke(app, ["check", str(root), "--diff", "--unsafe-fixes"])
    assert "+RUN pip install --no-cache-dir fastapi" in result.output and "+++ b/.dockerignore" in result.output
    assert tree_digest(root) == before
    assert result.exit_code == 1


def test_fix_is_all_or_nothing(tmp_path, fail_nth_replace):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\nRUN pip install fastapi\nCOPY . /code\n"})
    before = tree_digest(root)
    fail_nth_replace(2)
    result = runner.invoke(app, ["check", str(root), "--fix", "--unsafe-fixes"])
    assert result.exit_code == 2 and "rolled back" in result.output
    assert tree_digest(root) == before


def test_fix_and_diff_together_is_a_usage_error(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\n"})
    assert runner.invoke(app, ["check", str(root), "--fix", "--diff"]).exit_code == 2
