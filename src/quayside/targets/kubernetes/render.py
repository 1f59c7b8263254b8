"""The kubernetes target's files: the kustomize base, the overlays, the ClusterIssuer and the migration Job."""

from __future__ import annotations

from quayside.render import render
from quayside.targets.kubernetes.plan import OVERLAYS, KubePlan

BASE = ("kustomization.yaml", "configmap.yaml", "deployment.yaml", "service.yaml", "ingress.yaml", "hpa.yaml", "pdb.yaml",
        "networkpolicy.yaml")


def render_kubernetes_files(k: KubePlan) -> dict[str, str]:
    def tpl(name: str, **extra: object) -> str:
        return render(f"kubernetes/{name}.j2", k=k, **extra)

    files = {f"k8s/base/{name}": tpl(name) for name in BASE}
    for overlay in OVERLAYS:
        files[f"k8s/overlays/{overlay}/kustomization.yaml"] = tpl("overlay.yaml", overlay=overlay)
    files["k8s/cluster/cluster-issuer.yaml"] = tpl("cluster-issuer.yaml")
    if k.migrate:
        files["k8s/migrate/kustomization.yaml"] = tpl("migrate-kustomization.yaml")
        files["k8s/migrate/job.yaml"] = tpl("migrate-job.yaml")
        for overlay in OVERLAYS:
            files[f"k8s/overlays/{overlay}/migrate/kustomization.yaml"] = tpl("migrate-overlay.yaml", overlay=overlay)
    return files
