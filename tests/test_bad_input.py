"""A corpus of broken projects and files, against every command: one clear message, the documented exit
code, no traceback, and nothing created, changed or half-written (the tree's hashes before and after)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from support.projects import tree_digest

runner = CliRunner()

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
REQ = "fastapi[standard]\n"
OK = {"main.py": APP, "requirements.txt": REQ}
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=False)) + "services: {app: {image: busybox, command: *i}}\n"

# (case, files, exit code, message) — run through every project command
PROJECT_CASES = [
    ("no-app", {"requirements.txt": REQ, "util.py": "x = 1\n"}, 2, "no FastAPI app found"),
    ("two-apps", {"requirements.txt": REQ, "src/a/__init__.py": "", "src/a/main.py": APP, "src/b/__init__.py": "", "src/b/main.py": APP},
     2, "two equally good app candidates"),
    ("syntax-error", {"requirements.txt": REQ, "main.py": "def broken(:\n"}, 2, "syntax error at line 1"),
    ("newer-syntax", {"requirements.txt": REQ, "main.py": APP + "type Alias = list[int]\ntry:\n    pass\nexcept ValueError, TypeError:\n    pass\n"},
     2, "syntax error"),
    ("empty-pyproject", {"main.py": APP, "pyproject.toml": ""}, 2, "no dependency file"),
    ("invalid-pyproject", {"main.py": APP, "pyproject.toml": "[project\nname = "}, 2, "invalid TOML"),
    ("pyproject-wrong-types", {"main.py": APP, "pyproject.toml": "[project]\ndependencies = 'fastapi'\n"}, 2, "must be a list"),
    ("empty-requirements", {"main.py": APP, "requirements.txt": ""}, 2, "no server in the dependencies"),
    ("invalid-requirements", {"main.py": APP, "requirements.txt": "fastapi[standard\n"}, 2, "not a valid requirement"),
    ("broken-uv-lock", {"main.py": APP, "pyproject.toml": "[project]\ndependencies = ['fastapi[standard]']\n", "uv.lock": "version = \n"}, 2, "invalid TOML"),
    ("binary-requirements", {"main.py": APP, "requirements.txt": b"\x00\xff\xfe"}, 2, "NUL bytes"),
    ("requirements-is-a-directory", {"main.py": APP, "requirements.txt/x": ""}, 2, "no dependency file"),
    # a Dockerfile whose pip lines install only the installer itself declares nothing of the app's
    ("dockerfile-installs-only-pip", {"main.py": APP, "Dockerfile": "FROM python:3.12-slim\nRUN pip install --upgrade pip "
                                      "setuptools wheel && pip install -r extra.txt\nCOPY . .\n"},
     2, "no dependency file"),
]

COMMANDS = [
    ["inspect"],
    ["inspect", "--json"],
    ["init"],
    ["init", "--target", "compose"],
    ["init", "--style", "guide", "--dry-run"],
    ["verify"],
]


def _write(root, files):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _assert_one_clean_error(result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert message in result.output
    assert result.output.count("error:") == 1


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
@pytest.mark.parametrize(("case", "files", "code", "message"), PROJECT_CASES, ids=[c[0] for c in PROJECT_CASES])
def test_project_commands(tmp_path, case, files, code, message, command):
    root = _write(tmp_path / case, files)
    before = tree_digest(root)
    result = runner.invoke(app, [*command, str(root)])
    _assert_one_clean_error(result, code, message)
    assert tree_digest(root) == before


@pytest.mark.parametrize("command", [["inspect"], ["init"], ["check"], ["build"], ["verify"], ["up"], ["down"]])
def test_path_is_a_file(tmp_path, command):
    target = tmp_path / "main.py"
    target.write_text(APP)
    before = tree_digest(tmp_path)
    result = runner.invoke(app, [*command, str(target)])
    if command == ["check"]:
        # check accepts a single file (a Dockerfile): a Python file is not one, which is a parse finding
        assert result.exit_code == 1 and "QS000" in result.output
    else:
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("command", [["inspect"], ["init"], ["check"], ["build"], ["verify"], ["up"]])
def test_missing_path(tmp_path, command):
    result = runner.invoke(app, [*command, str(tmp_path / "nope")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output


@pytest.mark.parametrize("command", [["build"], ["up"], ["down"]])
def test_nothing_to_build_or_start(tmp_path, command):
    root = _write(tmp_path / "p", OK)
    before = tree_digest(root)
    result = runner.invoke(app, [*command, str(root)])
    assert result.exit_code == 2 and ("run `quayside init" in result.output), result.output
    assert tree_digest(root) == before


CHECK_CASES = [
    ("binary-dockerfile", {"Dockerfile": b"\x7fELF\x00\x00\x01"}, "NUL bytes"),
    ("huge-dockerfile", {"Dockerfile": "FROM python:3.12-slim\n" + "RUN true\n" * 400_000}, "larger than quayside reads"),
    ("latin1-dockerfile", {"Dockerfile": "FROM python:3.12-slim\n# caf\xe9\n".encode("latin-1")}, "not UTF-8"),
    ("yaml-bomb", {"Dockerfile": "FROM python:3.12-slim\n", "compose.yaml": BILLION_LAUGHS}, "YAML refused"),
    ("invalid-yaml", {"Dockerfile": "FROM python:3.12-slim\n", "compose.yaml": "services:\n  app: [\n"}, "invalid YAML"),
    ("k8s-not-yaml", {"Dockerfile": "FROM python:3.12-slim\n", "k8s/app.yaml": "kind: Deployment\n\tbad: tab\n"}, "invalid YAML"),
]


@pytest.mark.parametrize(("case", "files", "message"), CHECK_CASES, ids=[c[0] for c in CHECK_CASES])
def test_check_reports_unreadable_files_as_findings(tmp_path, case, files, message):
    root = _write(tmp_path / case, {**OK, **files})
    before = tree_digest(root)
    result = runner.invoke(app, ["check", str(root), "--format", "json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    findings = json.loads(result.output)
    assert any(f["id"] == "QS000" and message in f["message"] for f in findings), findings
    assert tree_digest(root) == before
    diff = runner.invoke(app, ["check", str(root), "--diff"])
    assert diff.exit_code == 1 and "Traceback" not in diff.output and tree_digest(root) == before


def test_yaml_anchors_and_merge_keys_are_fine(tmp_path):
    compose = ("x-common: &common\n  restart: unless-stopped\n  mem_limit: 256m\n"
               "services:\n  app:\n    <<: *common\n    build: .\n  worker:\n    <<: *common\n    image: worker:1\n")
    root = _write(tmp_path / "p", {**OK, "Dockerfile": "FROM python:3.12-slim\n", "compose.yaml": compose})
    result = runner.invoke(app, ["check", str(root), "--format", "json", "--select", "QS000,QS022"])
    assert result.exit_code == 0 and json.loads(result.output) == []
