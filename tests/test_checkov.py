"""checkov (Bridgecrew's IaC scanner) over what quayside generates: zero failures, except the checks listed
in docs/security.md as not applying, each with its reason. The lists below are that document's, kept in step
by test_the_documented_exceptions_are_the_tested_ones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from support.projects import EXAMPLES, ROOT, copy_project

runner = CliRunner()
# Not applying at init time: the image does not exist yet; `quayside deploy k8s --image REF@sha256:…` pins it.
KUBERNETES_NOT_APPLICABLE = {"CKV_K8S_43"}
# The guide's own Dockerfile runs as root without a HEALTHCHECK (its header says so); production has both.
GUIDE_STYLES_BY_DESIGN = {"CKV_DOCKER_2", "CKV_DOCKER_3"}


def _checkov() -> str | None:
    for candidate in (os.environ.get("QUAYSIDE_CHECKOV"), str(ROOT / ".venv-tools" / "checkov" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHECKOV = _checkov()
pytestmark = pytest.mark.skipif(CHECKOV is None and os.environ.get("QUAYSIDE_REQUIRE_TOOLS") != "1",
                                reason="needs checkov: scripts/test installs it into .venv-tools/checkov")


def _failed(path: Path, framework: str) -> list[tuple[str, str]]:
    assert CHECKOV is not None, "QUAYSIDE_REQUIRE_TOOLS=1 but no checkov: scripts/test installs it"
    flag = "-d" if path.is_dir() else "-f"
    proc = subprocess.run([CHECKOV, flag, str(path), "--framework", framework, "-o", "json", "--quiet", "--skip-download"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.stdout.strip(), proc.stderr
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    return [(c["check_id"], c.get("resource", "")) for r in reports for c in r.get("results", {}).get("failed_checks", [])]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (its built-in kustomize renders the overlays)")
@pytest.mark.parametrize("example", ["guide-app", "items-service"])
def test_kubernetes_overlays_pass_checkov(tmp_path, example):
    project = copy_project(EXAMPLES / example, tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "kubernetes"]).exit_code == 0
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for overlay in ("staging", "production"):
        for directory in (project / "k8s" / "overlays" / overlay, project / "k8s" / "overlays" / overlay / "migrate"):
            if (directory / "kustomization.yaml").is_file():
                out = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True).stdout
                (rendered / f"{overlay}-{directory.name}.yaml").write_text(out)
    failed = _failed(rendered, "kubernetes")
    assert {check for check, _ in failed} <= KUBERNETES_NOT_APPLICABLE, failed


@pytest.mark.parametrize("style", ["production", "guide", "multistage", "uv"])
def test_dockerfiles_pass_checkov(tmp_path, style):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--style", style]).exit_code == 0
    failed = {check for check, _ in _failed(project / "Dockerfile", "dockerfile")}
    if style == "production":
        assert failed == set()
    else:
        assert failed == GUIDE_STYLES_BY_DESIGN
        assert "CKV_DOCKER_2" in (project / "Dockerfile").read_text()  # the header says so


def test_checkov_fails_a_broken_variant(tmp_path):
    """The test above can fail: a Deployment with the service-account token and no CPU limit is flagged."""
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "kubernetes"]).exit_code == 0
    deployment = project / "k8s" / "base" / "deployment.yaml"
    text = deployment.read_text().replace("automountServiceAccountToken: false", "automountServiceAccountToken: true")
    deployment.write_text(text.replace('              cpu: "1"\n', ""))
    failed = {check for check, _ in _failed(project / "k8s" / "base", "kubernetes")}
    assert {"CKV_K8S_38", "CKV_K8S_11"} <= failed


def test_the_documented_exceptions_are_the_tested_ones():
    text = (ROOT / "docs" / "security.md").read_text()
    for check in KUBERNETES_NOT_APPLICABLE | GUIDE_STYLES_BY_DESIGN:
        assert check in text
