"""The kubernetes target: a kustomize base (Deployment, Service, Ingress, HPA, PDB, ConfigMap), staging and
production overlays, the cert-manager ClusterIssuer, and a migration Job when Alembic is configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.shared import ALEMBIC_UPGRADE, probe_paths, project_name

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo

OVERLAYS = ("staging", "production")


@dataclass(frozen=True)
class KubePlan:
    name: str
    port: int
    uid: int
    health_path: str
    ready_path: str
    domain: str
    acme_email: str
    migrate: tuple[str, ...] | None


def build_kube_plan(project: ProjectInfo, dockerfile: DockerfilePlan, *, domain: str, acme_email: str) -> KubePlan:
    health, ready = probe_paths(project)
    return KubePlan(
        name=project_name(project),
        port=dockerfile.port,
        uid=dockerfile.uid,
        health_path=health,
        ready_path=ready,
        domain=domain,
        acme_email=acme_email,
        migrate=ALEMBIC_UPGRADE if (project.root / "alembic.ini").is_file() else None,
    )
