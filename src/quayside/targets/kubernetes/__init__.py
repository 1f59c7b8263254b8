"""The kubernetes target: `plan`, `render` (a kustomize base, staging and production overlays, the ClusterIssuer,
a migration Job) and `deploy` (`quayside deploy k8s`: migrate, apply, rollout status)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.plan.options import Target
from quayside.targets.base import DeployTarget, Generated, TargetOptions
from quayside.targets.kubernetes.plan import build_kube_plan
from quayside.targets.kubernetes.render import render_kubernetes_files

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan


class KubernetesTarget(DeployTarget):
    target = Target.KUBERNETES
    scaler = "the HorizontalPodAutoscaler"

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        plan = build_kube_plan(project, dockerfile, domain=options.domain, acme_email=options.acme_email)
        return Generated(render_kubernetes_files(plan))

    def next_step(self, path: Path) -> str:
        return f"quayside verify {path}, then quayside deploy k8s {path}"
