"""Cloud container services and PaaS targets: Cloud Run, ECS (Fargate), Azure Container Instances, Fly.io,
Render and Railway, from the same plan as the Dockerfile.

Every platform runs one server process per container and scales containers; every one puts a TLS proxy in
front. The port is pinned: the platform's port setting (containerPort, internal_port, PORT) is the port the
exec-form CMD listens on, because an exec-form CMD cannot expand $PORT without a shell, and a shell as PID 1
would swallow SIGTERM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.options import Database, Target
from quayside.plan.shared import (
    app_settings,
    build_command,
    database_part,
    decide_database,
    decide_migrations,
    probe_paths,
    project_name,
    with_schema_import,
)

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
    # the settings the app's code reads: plain values the project documents, secrets by name (each from the
    # platform's secret store), and settings documented with a local address, which each deployment sets
    config: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    per_deployment: tuple[tuple[str, str], ...] = ()
    database_url: str | None = None  # the secret that is the database's connection URL (a platform database fills it)
    from_database: tuple[tuple[str, str], ...] = ()  # (setting, property) a Render database fills: host, password...

    def secret_id(self, name: str) -> str:
        """The platform secret's name for setting `name`: DATABASE_URL → NAME-database-url."""
        return f"{self.name}-{name.lower().replace('_', '-')}"


# what a Render database gives each part of its connection (render.yaml `fromDatabase.property`)
RENDER_PROPERTY = {"url": "connectionString", "host": "host", "port": "port", "user": "user", "password": "password",
                   "name": "database"}
_LOCAL_ADDRESS = re.compile(r"(?i)^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|host\.docker\.internal)$|://(?:[^@/]*@)?(?:localhost|127\.0\.0\.1)\b")
_DATABASE_URL = re.compile(r"(?:DATABASE|DB|SQLALCHEMY|POSTGRES|MYSQL|MARIADB)\w*_(?:URL|URI|DSN)$")
_DATABASE_PARTS = re.compile(r"(?:POSTGRES|MYSQL|MARIADB|DB|DATABASE)_?(?:PASSWORD|PASS)$")


def _settings(project: ProjectInfo, has_db: bool) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...],
                                                           tuple[tuple[str, str], ...], str | None]:
    config, secrets, _ = app_settings(project)
    per_deployment = tuple((n, v) for n, v in config if _LOCAL_ADDRESS.search(v))
    config = tuple(item for item in config if item not in per_deployment)
    database_url = next((n for n in secrets if _DATABASE_URL.search(n)), None)
    if has_db and database_url is None and not any(_DATABASE_PARTS.search(n) for n in secrets):
        # no setting of the app names its database: DATABASE_URL, the convention most settings read
        database_url, secrets = "DATABASE_URL", ("DATABASE_URL", *secrets)
    return config, secrets, per_deployment, database_url


def build_cloud_plan(project: ProjectInfo, dockerfile: DockerfilePlan, target: Target, db: Database) -> CloudPlan:
    health, ready = probe_paths(project)
    has_db, _ = decide_database(project, db)
    migrate = with_schema_import(project, decide_migrations(project, "a release job")).value if has_db.value else None
    allow = dockerfile.decisions.get("forwarded_allow_ips")
    config, secrets, per_deployment, database_url = _settings(project, has_db.value)
    from_database: tuple[tuple[str, str], ...] = ()
    if target is Target.RENDER and has_db.value:
        # a Render database hands out its URL and each part of it: the app's own names get them
        names = [n for n, _ in config] + list(secrets) + [n for n, _ in per_deployment]
        from_database = tuple((n, RENDER_PROPERTY[part]) for n in names
                              if (part := "url" if n == database_url else database_part(n)) in RENDER_PROPERTY)
        wired = {n for n, _ in from_database}
        config = tuple(item for item in config if item[0] not in wired)
        secrets = tuple(n for n in secrets if n not in wired)
        per_deployment = tuple(item for item in per_deployment if item[0] not in wired)
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
        config=config,
        secrets=secrets,
        per_deployment=per_deployment,
        database_url=database_url,
        from_database=from_database,
    )
