"""Cloud container services and PaaS targets: Cloud Run, ECS (Fargate), Azure Container Instances, Fly.io,
Render and Railway, from the same plan as the Dockerfile.

Every platform runs one server process per container and scales containers; every one puts a TLS proxy in
front. The port is pinned: the platform's port setting (containerPort, internal_port, PORT) is the port the
exec-form CMD listens on, because an exec-form CMD cannot expand $PORT without a shell, and a shell as PID 1
would swallow SIGTERM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.options import Database, Target
from quayside.plan.shared import build_command, decide_database, decide_migrations, probe_paths, project_name

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo

MEMORY_MB = 512
GRACE_SECONDS = 30  # every platform's stop timeout is set above uvicorn's graceful shutdown

# The platform's own file for each target (DEPLOY.md and, for Cloud Run, a migration job come beside it).
MAIN_FILE = {
    Target.CLOUDRUN: "deploy/cloudrun/service.yaml",
    Target.ECS: "deploy/ecs/task-definition.json",
    Target.ACI: "deploy/aci/container-group.yaml",
    Target.FLY: "fly.toml",
    Target.RENDER: "render.yaml",
    Target.RAILWAY: "railway.json",
}


@dataclass(frozen=True)
class CloudPlan:
    target: Target
    name: str
    port: int
    uid: int
    command: tuple[str, ...]
    healthcheck: tuple[str, ...]
    health_path: str
    ready_path: str
    database: bool
    migrate: tuple[str, ...] | None
    memory_mb: int = MEMORY_MB
    grace_seconds: int = GRACE_SECONDS


def build_cloud_plan(project: ProjectInfo, dockerfile: DockerfilePlan, target: Target, db: Database) -> CloudPlan:
    health, ready = probe_paths(project)
    has_db, _ = decide_database(project, db)
    migrate = decide_migrations(project).value if has_db.value else None
    allow = dockerfile.decisions.get("forwarded_allow_ips")
    return CloudPlan(
        target=target,
        name=project_name(project),
        port=dockerfile.port,
        uid=dockerfile.uid,
        command=build_command(project, dockerfile.port, 1, allow.value if allow else None),
        healthcheck=dockerfile.healthcheck or (),
        health_path=health,
        ready_path=ready,
        database=has_db.value,
        migrate=migrate,
    )
