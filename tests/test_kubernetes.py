"""init --target kubernetes: rendered with kubectl kustomize, validated offline against several Kubernetes
versions' OpenAPI schemas (strict), and checked by quayside's own rules. No cluster runs here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from quayside.check import run_check
from quayside.cli import app
from support.projects import EXAMPLES, copy_project, tree_digest

VERSIONS = ("1.33.0", "1.35.0", "1.36.0", "1.37.0")
runner = CliRunner()
kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (its built-in kustomize renders the overlays)")


def kustomize(directory: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True).stdout
    return [d for d in YAML(typ="safe").load_all(out) if d]


@pytest.fixture(params=["guide-app", "guide-single-file", "items-service"])
def project(request, tmp_path):
    root = copy_project(EXAMPLES / request.param, tmp_path)
    result = runner.invoke(app, ["init", str(root), "--target", "kubernetes", "--domain", "api.quayside.test"])
    assert result.exit_code == 0, result.output
    return root


@kubectl
@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_validates(project, version):
    kustomizations = [project / "k8s" / "overlays" / o for o in ("staging", "production")]
    if (project / "k8s" / "migrate").is_dir():
        kustomizations += [project / "k8s" / "migrate", *(project / "k8s" / "overlays" / o / "migrate" for o in ("staging", "production"))]
    kinds = set()
    for directory in kustomizations:
        for doc in kustomize(directory):
            kubernetes_validate.validate(doc, version, strict=True)
            kinds.add(doc["kind"])
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap"} <= kinds


def test_zero_findings_and_the_cluster_wide_pieces(project):
    assert [(f.rule, f.path, f.line, f.message) for f in run_check(project).findings] == []
    issuer = YAML(typ="safe").load((project / "k8s" / "cluster" / "cluster-issuer.yaml").read_text())
    assert issuer["kind"] == "ClusterIssuer" and issuer["spec"]["acme"]["server"].startswith("https://")


@kubectl
def test_production_overlay_and_deployment_contract(project):
    docs = {d["kind"]: d for d in kustomize(project / "k8s" / "overlays" / "production")}
    deployment = docs["Deployment"]
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    assert docs["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 3
    assert deployment["metadata"]["namespace"] == docs["Service"]["metadata"]["namespace"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"].endswith(":production")
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container)
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
    assert docs["Ingress"]["spec"]["tls"][0]["hosts"] == ["api.quayside.test"]
    assert docs["Ingress"]["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    dockerfile = (project / "Dockerfile").read_text()
    assert '"--forwarded-allow-ips"' in dockerfile and '"--workers"' not in dockerfile  # behind the Ingress, one process


def test_items_service_probes_and_migration_job(tmp_path, snapshot):
    root = copy_project(EXAMPLES / "items-service", tmp_path)
    assert runner.invoke(app, ["init", str(root), "--target", "kubernetes"]).exit_code == 0
    deployment = YAML(typ="safe").load((root / "k8s" / "base" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready" and container["livenessProbe"]["httpGet"]["path"] == "/health"
    job = YAML(typ="safe").load((root / "k8s" / "migrate" / "job.yaml").read_text())
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["alembic", "upgrade", "head"]
    for name in sorted(p.relative_to(root).as_posix() for p in (root / "k8s").rglob("*.yaml")):
        snapshot.assert_match(f"kubernetes-items-service/{name}", (root / name).read_text())


def test_workers_with_kubernetes_is_refused(tmp_path):
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    before = tree_digest(root)
    result = runner.invoke(app, ["init", str(root), "--target", "kubernetes", "--workers", "4"])
    assert result.exit_code == 2 and "one process per container" in result.output
    assert tree_digest(root) == before


@pytest.mark.parametrize(("option", "value"), [("--domain", "*.example.com"), ("--domain", "https://api.example.com"),
                                               ("--domain", "api.example.com:443"), ("--acme-email", "not-an-address")])
def test_domain_and_email_are_validated_before_anything_is_written(tmp_path, option, value):
    root = copy_project(EXAMPLES / "guide-app", tmp_path)
    before = tree_digest(root)
    result = runner.invoke(app, ["init", str(root), "--target", "kubernetes", option, value])
    assert result.exit_code == 2, result.output
    assert result.output.count("error:") == 1
    assert tree_digest(root) == before


def test_the_configmap_holds_the_apps_documented_settings_and_never_its_secrets(tmp_path):
    """The settings the app's code reads (postgres-parts: POSTGRES_SERVER/USER/..., SECRET_KEY): the documented
    non-secret values in the ConfigMap, the secret names only as keys of the Secret the user creates."""
    from support.projects import FIXTURES

    root = copy_project(FIXTURES / "postgres-parts", tmp_path)
    (root / ".env.example").write_text((root / ".env.example").read_text() + "SENTRY_DSN=https://abc123@o1.ingest.example.com/1\n"
                                       "CACHE_URL=redis://:hunter2@cache:6379/0\n")
    (root / "app" / "extra_settings.py").write_text("import os\n\nSENTRY = os.environ.get('SENTRY_DSN')\nCACHE = os.getenv('CACHE_URL')\n")
    result = runner.invoke(app, ["init", str(root), "--target", "kubernetes", "--domain", "api.quayside.test"])
    assert result.exit_code == 0, result.output
    text = (root / "k8s" / "base" / "configmap.yaml").read_text()
    data = YAML(typ="safe").load(text)["data"]
    assert data["POSTGRES_SERVER"] == "localhost" and data["PROJECT_NAME"] == "parts"
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "SENTRY_DSN", "CACHE_URL"):
        assert secret not in data
        assert f"--from-literal={secret}=..." in text
    assert "hunter2" not in text and "abc123" not in text
    for version in VERSIONS:
        kubernetes_validate.validate(YAML(typ="safe").load(text), version, strict=True)
    assert [(f.rule, f.message) for f in run_check(root).findings] == []
