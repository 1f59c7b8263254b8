"""The CLI surface: version, help on every command, inspect's output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from quayside import __version__
from quayside.cli import app
from support.projects import EXAMPLES, FIXTURES

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"quayside {__version__}"


@pytest.mark.parametrize("command", ["inspect", "init", "build", "verify"])
def test_help_on_every_command(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_inspect_json_has_the_documented_fields():
    proc = subprocess.run([sys.executable, "-m", "quayside", "inspect", str(FIXTURES / "src-entrypoint"), "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["entrypoint"] == "myservice.main:app" and data["health_path"] == "/healthz"
    for key in ("entrypoint", "app_path", "installer", "python_version", "server", "health_path", "lifespan", "sources"):
        assert key in data
    assert data["sources"]["entrypoint"] == "pyproject [tool.fastapi]"


def test_inspect_verbose_explains_decisions():
    result = runner.invoke(app, ["inspect", str(EXAMPLES / "guide-app"), "--verbose"])
    assert result.exit_code == 0
    assert "fastapi-cli's default paths" in result.output and "requirements.txt is present" in result.output


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"main.py": "app = (\n", "requirements.txt": "fastapi[standard]\n"}, "main.py: syntax error at line 1"),
        ({"requirements.txt": "fastapi[standard]\n"}, "no FastAPI app found"),
        ({"main.py": "from fastapi import FastAPI\napp = FastAPI()\n", "pyproject.toml": "[tool\n"}, "pyproject.toml: invalid TOML"),
    ],
)
def test_inspect_bad_input_is_one_message_exit_2(tmp_path, files, needle):
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    proc = subprocess.run([sys.executable, "-m", "quayside", "inspect", str(tmp_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert needle in proc.stderr and proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_inspect_path_is_a_file(tmp_path):
    target = tmp_path / "main.py"
    target.write_text("")
    proc = subprocess.run([sys.executable, "-m", "quayside", "inspect", str(target)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "is not a directory" in proc.stderr


def test_verify_needs_exactly_one_target():
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 2 and "one of them" in result.output
