"""init --target compose: snapshots, .env handling, never clobbering, round-trip merge into a user's file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from conftest import EXAMPLES, copy_project, tree_digest
from quayside.check import run_check
from quayside.cli import app
from quayside.composeplan import Database, build_compose_plan, env_file
from quayside.plan import InitOptions, Proxy, build_plan
from quayside.project import inspect_project
from quayside.render import render_compose

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("QUAYSIDE_UPDATE_SNAPSHOTS") == "1"
runner = CliRunner()


def _compose(project: Path, db: Database = Database.AUTO, **options):
    info = inspect_project(project)
    return build_compose_plan(info, build_plan(info, InitOptions(**options)), InitOptions(**options), db)


@pytest.mark.parametrize("example,db", [("items-service", Database.AUTO), ("guide-app", Database.AUTO), ("guide-app", Database.POSTGRES)])
def test_compose_snapshot(example, db):
    plan = _compose(EXAMPLES / example, db)
    text = render_compose(plan)
    snapshot = SNAPSHOTS / f"compose-{example}-{db.value}.yaml"
    if UPDATE:
        snapshot.write_text(text)
    assert text == snapshot.read_text()
    assert YAML(typ="safe").load(text)["services"]["app"]["ports"] == ["${APP_BIND:-127.0.0.1}:${APP_PORT-8000}:8000"]


def test_items_service_plan():
    plan = _compose(EXAMPLES / "items-service")
    assert plan.database and plan.migrate == ("alembic", "upgrade", "head")
    assert plan.database_url.startswith("postgresql+psycopg://${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/")
    assert plan.command[-2:] == ("--workers", "2")
    assert not _compose(EXAMPLES / "guide-app").database


def test_env_files_never_carry_the_example_password():
    plan = _compose(EXAMPLES / "items-service")
    example, real = env_file(plan, example=True), env_file(plan, example=False)
    assert "POSTGRES_PASSWORD=change-me" in example
    password = next(line for line in real.splitlines() if line.startswith("POSTGRES_PASSWORD=")).split("=", 1)[1]
    assert len(password) >= 24 and password != "change-me"
    assert password not in render_compose(plan)


@pytest.mark.parametrize("proxy", [Proxy.TRAEFIK, Proxy.NGINX])
def test_proxy_services_are_refused_until_built(proxy):
    with pytest.raises(Exception, match="not built yet"):
        _compose(EXAMPLES / "guide-app", proxy=proxy)


def test_init_compose_writes_env_once_and_is_clean(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 0, result.output
    env = (project / ".env").read_text()
    assert [f.rule for f in run_check(project).findings] == []
    again = runner.invoke(app, ["init", str(project), "--target", "compose", "--force"])
    assert again.exit_code == 0 and (project / ".env").read_text() == env  # never rewritten, even with --force
    assert "unchanged" in again.output


def test_dry_run_hides_secrets(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--dry-run"])
    assert result.exit_code == 0 and "random secrets, not shown" in result.output
    assert "POSTGRES_PASSWORD=change-me" in result.output  # the example file, not the real one
    assert tree_digest(project) == before


USER_COMPOSE = """\
# my own services, with comments that must survive
services:
  cache:
    image: redis:7  # pinned on purpose
    mem_limit: 64m
"""


def test_existing_user_compose_is_merged_round_trip_only_with_force(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / "compose.yaml").write_text(USER_COMPOSE)
    before = tree_digest(project)
    refused = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert refused.exit_code == 2 and "+  app:" in refused.output and "already exist" in refused.output
    assert tree_digest(project) == before
    forced = runner.invoke(app, ["init", str(project), "--target", "compose", "--force"])
    assert forced.exit_code == 0, forced.output
    merged = (project / "compose.yaml").read_text()
    assert merged.startswith("# my own services, with comments that must survive")
    assert "image: redis:7  # pinned on purpose" in merged
    services = YAML(typ="safe").load(merged)["services"]
    assert list(services) == ["cache", "app", "migrate", "db"]
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0  # now unchanged


def test_user_service_named_app_is_left_alone(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "compose.yaml").write_text("services:\n  app:\n    image: mine:1  # keep\n")
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--force"])
    assert result.exit_code == 0
    assert (project / "compose.yaml").read_text() == "services:\n  app:\n    image: mine:1  # keep\n"


def test_broken_user_compose_is_one_error(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "compose.yaml").write_text("services: [unclosed\n")
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--force"])
    assert result.exit_code == 2 and "invalid YAML" in result.output and "Traceback" not in result.output
    assert tree_digest(project) == before


@pytest.mark.parametrize("example", ["guide-app", "guide-single-file", "items-service"])
@pytest.mark.parametrize("db", ["auto", "postgres", "none"])
@pytest.mark.parametrize("extra", [[], ["--proxy", "external"], ["--workers", "3", "--port", "9000"]])
def test_every_compose_output_has_zero_findings(tmp_path, example, db, extra):
    project = copy_project(EXAMPLES / example, tmp_path)
    result = runner.invoke(app, ["init", str(project), "--target", "compose", "--db", db, *extra])
    assert result.exit_code == 0, result.output
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(project).findings] == []
