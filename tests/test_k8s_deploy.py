"""deploy k8s against a fake kubectl at the boundary (no cluster can run here): it renders with the real kubectl's
kustomize, and records every cluster call. Plus the real kubectl with no cluster: one clear error, exit 3."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.cli import app
from support.projects import EXAMPLES, copy_project

runner = CliRunner()
pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (its kustomize renders the overlays)")

FAKE = """#!/bin/sh
# a cluster that answers: kustomize is the real one, everything else is recorded
printf '%s\\n' "$*" >> "$KUBECTL_LOG"
case "$1" in
  kustomize) exec "$REAL_KUBECTL" "$@" ;;
  apply) cat > "$KUBECTL_LOG.apply.$(date +%s%N)"; echo "applied (fake)" ;;
  get) echo "{\\"status\\": {\\"conditions\\": [{\\"type\\": \\"$JOB_RESULT\\", \\"status\\": \\"True\\", \\"message\\": \\"BackoffLimitExceeded\\"}]}}" ;;
  logs) echo "alembic: relation already exists" ;;
  rollout) [ "$ROLLOUT" = ok ] || { echo "error: deployment exceeded its progress deadline" >&2; exit 1; }; echo "successfully rolled out" ;;
  *) echo ok ;;
esac
"""


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    real = shutil.which("kubectl")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("REAL_KUBECTL", real)
    monkeypatch.setenv("KUBECTL_LOG", str(log))
    monkeypatch.setenv("JOB_RESULT", "Complete")
    monkeypatch.setenv("ROLLOUT", "ok")

    def calls() -> list[str]:
        return [line for line in log.read_text().splitlines() if not line.startswith("kustomize")]

    def applied() -> list[list[dict]]:
        return [list(YAML(typ="safe").load_all(p.read_text())) for p in sorted(tmp_path.glob("calls.log.apply.*"))]

    return calls, applied


def _project(tmp_path, example="items-service") -> Path:
    root = copy_project(EXAMPLES / example, tmp_path / "p", "items")
    assert runner.invoke(app, ["init", str(root), "--target", "kubernetes"]).exit_code == 0
    return root


def test_migrations_complete_before_the_app_is_applied(tmp_path, cluster):
    calls, applied = cluster
    root = _project(tmp_path)
    result = runner.invoke(app, ["deploy", "k8s", str(root), "--overlay", "production", "--image", "registry.test/items:2"])
    assert result.exit_code == 0, result.output
    assert calls() == [
        "version --output=json",
        "delete job items-migrate -n items-production --ignore-not-found --wait=true",
        "apply -f -",
        "get job items-migrate -n items-production -o json",
        "apply -f -",
        "rollout status deployment/items -n items-production --timeout=300s",
    ]
    job_docs, app_docs = applied()
    assert job_docs[0]["metadata"]["namespace"] == "items-production"
    images = {c["image"] for d in job_docs + app_docs if d["kind"] in ("Job", "Deployment")
              for c in d["spec"]["template"]["spec"]["containers"]}
    assert images == {"registry.test/items:2"}  # the Job migrates with the version being rolled out
    assert {d["kind"] for d in app_docs} >= {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    assert "rolled out in namespace items-production" in result.output


def test_a_failed_migration_stops_before_the_app_changes(tmp_path, cluster, monkeypatch):
    calls, applied = cluster
    monkeypatch.setenv("JOB_RESULT", "Failed")
    result = runner.invoke(app, ["deploy", "k8s", str(_project(tmp_path))])
    assert result.exit_code == 3 and "migration job items-migrate failed: BackoffLimitExceeded" in result.output
    assert "relation already exists" in result.output  # the job's logs
    assert len(applied()) == 1 and not any(c.startswith("rollout") for c in calls())


def test_a_failed_rollout_is_exit_3_with_the_way_back(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("ROLLOUT", "fail")
    result = runner.invoke(app, ["deploy", "k8s", str(_project(tmp_path, "guide-app"))])
    assert result.exit_code == 3 and "progress deadline" in result.output and "rollout undo" in result.output


def test_no_cluster_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = runner.invoke(app, ["deploy", "k8s", str(_project(tmp_path, "guide-app")), "--timeout", "5"])
    assert result.exit_code == 3, result.output
    assert result.output.count("error:") == 1 and "no Kubernetes cluster answers" in result.output
    assert "localhost:8080" in result.output


def test_missing_overlay_is_a_user_error(tmp_path):
    result = runner.invoke(app, ["deploy", "k8s", str(_project(tmp_path, "guide-app")), "--overlay", "qa"])
    assert result.exit_code == 2 and "no kustomization" in result.output


def test_a_broken_kustomization_is_a_user_error(tmp_path):
    root = _project(tmp_path, "guide-app")
    (root / "k8s" / "overlays" / "staging" / "kustomization.yaml").write_text("resources:\n  - ../../nowhere\n")
    result = runner.invoke(app, ["deploy", "k8s", str(root)])
    assert result.exit_code == 2 and result.output.count("error:") == 1 and "kubectl kustomize" in result.output
