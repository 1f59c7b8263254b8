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

from quayside.composeplan import Database, _database, _migrations, project_name
from quayside.plan import DockerfilePlan, build_command

if TYPE_CHECKING:
    from quayside.project import ProjectInfo

CLOUD_TARGETS = ("cloudrun", "ecs", "aci", "fly", "render", "railway")
MEMORY_MB = 512
GRACE_SECONDS = 30  # every platform's stop timeout is set above uvicorn's graceful shutdown

FILES = {
    "cloudrun": ("deploy/cloudrun/service.yaml",),
    "ecs": ("deploy/ecs/task-definition.json",),
    "aci": ("deploy/aci/container-group.yaml",),
    "fly": ("fly.toml",),
    "render": ("render.yaml",),
    "railway": ("railway.json",),
}


@dataclass(frozen=True)
class CloudPlan:
    target: str
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


def build_cloud_plan(project: ProjectInfo, dockerfile: DockerfilePlan, target: str, db: Database) -> CloudPlan:
    app = project.app.value
    health = project.health_path.value or app.openapi_url or "/"
    has_db, _ = _database(project, db)
    migrate = _migrations(project).value if has_db.value else None
    allow = dockerfile.decisions.get("forwarded_allow_ips")
    return CloudPlan(
        target=target,
        name=project_name(project),
        port=dockerfile.port,
        uid=dockerfile.uid,
        command=build_command(project, dockerfile.port, 1, allow.value if allow else None),
        healthcheck=dockerfile.healthcheck or (),
        health_path=health,
        ready_path=project.ready_path.value or health,
        database=has_db.value,
        migrate=migrate,
    )
