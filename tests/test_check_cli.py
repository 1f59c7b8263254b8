"""check's interface: formats (SARIF validated against the schema), exit codes, ignores, config, generated files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.check.docs import pages
from quayside.check.model import RULES
from quayside.cli import app
from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Proxy, Style, build_plan
from quayside.targets.docker import render_files
from support.projects import EXAMPLES, FIXTURES, write

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-rtm.5.json").read_text())
MESSY = {"Dockerfile": "FROM python\nRUN pip install fastapi\nCOPY . /code\nCMD uvicorn main:app --reload\n"}


def test_json_format(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path, MESSY)), "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert {"id", "severity", "file", "line", "column", "message", "fixable"} <= set(data[0])
    assert {(d["id"], d["line"]) for d in data} >= {("QS002", 1), ("QS005", 2), ("QS001", 4), ("QS009", 4)}


def test_sarif_is_valid_and_complete(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path, MESSY)), "--format", "sarif"])
    log = json.loads(result.output)
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    assert all(r["helpUri"].endswith(f"{r['id']}.md") and r["help"]["markdown"] for r in rules)
    by_rule = {r["ruleId"]: r for r in run["results"]}
    region = by_rule["QS005"]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (2, 1) and region["endColumn"] > 1
    assert rules[by_rule["QS005"]["ruleIndex"]]["id"] == "QS005"
    fix = by_rule["QS005"]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert fix["insertedContent"]["text"] == " --no-cache-dir"
    assert run["invocations"][0]["exitCode"] == 1


def test_sarif_with_no_findings_is_valid(tmp_path):
    shutil.copytree(EXAMPLES / "guide-app", tmp_path / "p")
    result = runner.invoke(app, ["check", str(tmp_path / "p"), "--format", "sarif"])
    assert result.exit_code == 0
    jsonschema.validate(json.loads(result.output), SCHEMA)


def test_text_shows_source_and_caret(tmp_path):
    result = runner.invoke(app, ["check", str(write(tmp_path, MESSY))])
    lines = result.output.splitlines()
    i = next(i for i, line in enumerate(lines) if "QS005" in line)
    assert lines[i + 1].strip() == "RUN pip install fastapi" and lines[i + 2].strip().startswith("^^^")
    assert "findings (" in lines[-1]


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("info", 1)])
def test_fail_on(tmp_path, fail_on, code):
    assert runner.invoke(app, ["check", str(write(tmp_path, MESSY)), "--fail-on", fail_on]).exit_code == code


def test_fail_on_error_passes_warnings(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\nRUN pip install fastapi\n"})
    assert runner.invoke(app, ["check", str(root), "--fail-on", "error", "--select", "QS005"]).exit_code == 0
    assert runner.invoke(app, ["check", str(root), "--select", "QS005"]).exit_code == 1


def test_ignore_comment(tmp_path):
    root = write(tmp_path, {"Dockerfile": "FROM python:3.12\n# keep the cache: built once in CI\n# quayside: ignore=QS005\nRUN pip install fastapi\nRUN pip install httpx\n"})
    lines = [f.line for f in run_check(root).findings if f.rule == "QS005"]
    assert lines == [5]
    assert "1 ignored by comments" in runner.invoke(app, ["check", str(root), "--select", "QS005"]).output


def test_pyproject_config(tmp_path):
    root = write(tmp_path, {**MESSY, "pyproject.toml": '[tool.quayside.check]\nignore = ["QS002"]\nseverity = { QS005 = "error" }\n'})
    findings = run_check(root).findings
    assert "QS002" not in {f.rule for f in findings}
    assert next(f for f in findings if f.rule == "QS005").severity.label == "error"
    root2 = write(tmp_path / "b", {**MESSY, "pyproject.toml": '[tool.quayside.check]\nselect = ["QS009"]\n'})
    assert {f.rule for f in run_check(root2).findings} == {"QS009"}


@pytest.mark.parametrize(("config", "needle"), [
    ('[tool.quayside.check]\nignore = ["QS999"]\n', "unknown rule id QS999"),
    ('[tool.quayside.check]\nseverity = { QS005 = "fatal" }\n', "is not a severity"),
])
def test_bad_config_is_exit_2(tmp_path, config, needle):
    root = write(tmp_path, {**MESSY, "pyproject.toml": config})
    result = runner.invoke(app, ["check", str(root)])
    assert result.exit_code == 2 and needle in result.output


def test_list_rules_and_explain():
    listed = runner.invoke(app, ["check", "--list-rules"])
    assert listed.exit_code == 0 and all(rid in listed.output for rid in RULES)
    explained = runner.invoke(app, ["check", "--explain", "qs001"])
    assert explained.exit_code == 0 and "# QS001 shell-pid1" in explained.output and "## Flagged" in explained.output
    assert runner.invoke(app, ["check", "--explain", "QS999"]).exit_code == 2


def test_single_dockerfile_path(tmp_path):
    root = write(tmp_path, {"prod.Dockerfile": "FROM python:latest\n", "Dockerfile": "FROM python:3.12\n"})
    data = json.loads(runner.invoke(app, ["check", str(root / "prod.Dockerfile"), "--format", "json", "--select", "QS002"]).output)
    assert [(d["file"], d["line"]) for d in data] == [("prod.Dockerfile", 1)]


def test_missing_path_is_exit_2(tmp_path):
    assert runner.invoke(app, ["check", str(tmp_path / "nope")]).exit_code == 2


def _generated_projects():
    """Every project × style × options that init accepts (a refusal is tested in test_init, not here)."""
    # a workspace's app is its member folder
    projects = [EXAMPLES / "guide-app", EXAMPLES / "guide-single-file",
                *sorted(p / "service" if p.name == "uv-workspace" else p for p in FIXTURES.iterdir())]
    cases = []
    for project in projects:
        info = inspect_project(project)
        for style in Style:
            for extra in ({}, {"proxy": Proxy.EXTERNAL, "workers": 2}, {"port": 9000}):
                try:
                    build_plan(info, InitOptions(style=style, **extra))
                except UserInputError:
                    continue
                cases.append((project, style, extra))
    return cases


GENERATED = _generated_projects()


@pytest.mark.parametrize(("project", "style", "extra"), GENERATED,
                         ids=[f"{p.name}-{s.value}-{'-'.join(map(str, e.values())) or 'default'}" for p, s, e in GENERATED])
def test_everything_init_generates_has_zero_findings(tmp_path, project, style, extra):
    whole = project.parent if project.parent.name == "uv-workspace" else project  # a member needs its workspace
    shutil.copytree(whole, tmp_path / whole.name, ignore=shutil.ignore_patterns("Dockerfile", ".dockerignore"))
    root = tmp_path / project.relative_to(whole.parent)
    plan = build_plan(inspect_project(root), InitOptions(style=style, **extra))
    for name, content in render_files(plan).items():
        (root / name).write_text(content)
    assert [(f.rule, f.line, f.message) for f in run_check(root).findings] == []


def test_generated_cases_cover_every_style():
    assert {s for _, s, _ in GENERATED} == set(Style) and len(GENERATED) >= 60


def test_rule_docs_are_generated_and_current():
    for name, text in pages().items():
        assert (ROOT / "docs" / "rules" / name).read_text() == text, f"docs/rules/{name}: run python -m quayside.check.docs"
