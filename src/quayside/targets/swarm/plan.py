"""The swarm target: a stack file from the same plan as compose, shaped for `docker stack deploy`.

One server process per container, replicated by swarm; rolling updates start the new task first and roll
back on failure; secrets are swarm secrets (files under /run/secrets), never environment variables in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quayside.errors import UserInputError
from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.options import Database, Proxy
from quayside.plan.shared import (
    POSTGRES_IMAGE,
    TRAEFIK_IMAGE,
    app_pids_limit,
    build_command,
    decide_database,
    decide_migrations,
    project_name,
    reads_secret_files,
)
from quayside.provenance import Decided

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo

STACK_FILE = "stack.yaml"
TRAEFIK_ROUTES = "traefik/dynamic.yaml"
DEFAULT_REPLICAS = 2  # two tasks: one can be replaced (update, crash, node drain) while the other serves


@dataclass(frozen=True)
class SwarmPlan:
    project: str
    image_default: str
    port: int
    command: tuple[str, ...]
    healthcheck: tuple[str, ...]
    replicas: int
    database: bool
    db_image: str
    db_user: str  # the database's name; its roles are <name>_owner (migrations) and <name>_app (the app, rows only)
    database_url_template: str  # the app's; {password} is filled in by `quayside deploy swarm` when it creates the secret
    migrate_url_template: str  # the owner's, for the migrate job
    migrate: tuple[str, ...] | None
    proxy: Proxy  # external or traefik
    proxy_image: str
    reads_secret_files: bool
    app_pids: int
    decisions: dict[str, Decided[Any]] = field(default_factory=dict, compare=False)

    @property
    def network(self) -> str:
        return "backend"


def build_swarm_plan(project: ProjectInfo, dockerfile: DockerfilePlan, *, proxy: Proxy, db: Database, replicas: int | None) -> SwarmPlan:
    decisions: dict[str, Decided[Any]] = {}
    if proxy is Proxy.NGINX:
        raise UserInputError("--proxy nginx is a compose option; a swarm stack's proxy is Traefik",
                             hint="use --proxy traefik, or --proxy external with your own edge on the stack's network")
    if replicas is not None and replicas < 1:
        raise UserInputError(f"--replicas {replicas} must be at least 1")
    if replicas is not None:
        decisions["replicas"] = Decided(replicas, "--replicas", "given on the command line")
    else:
        decisions["replicas"] = Decided(DEFAULT_REPLICAS, "default", "two tasks, so one can be replaced while the other serves")
    name = project_name(project)
    has_db, scheme = decide_database(project, db)
    decisions["database"] = has_db
    migrate = decide_migrations(project)
    if migrate.value:
        migrate = Decided(migrate.value, migrate.source, "Alembic is configured: a `migrate` replicated-job runs it on the first deploy and whenever the image changes")
    if migrate.value and not has_db.value:
        migrate = Decided(None, migrate.source, "Alembic is configured but there is no database service to migrate")
    decisions["migrate"] = migrate
    reads = reads_secret_files(project)
    if has_db.value:
        decisions["secrets"] = reads
    allow = dockerfile.decisions.get("forwarded_allow_ips")
    # one process per container: swarm replicates tasks (the guide); workers would hide crashes from health checks
    command = build_command(project, dockerfile.port, 1, allow.value if allow else None)
    user = name.replace("-", "_")
    return SwarmPlan(
        project=name,
        image_default=f"{name}:latest",
        port=dockerfile.port,
        command=command,
        healthcheck=dockerfile.healthcheck or (),
        replicas=decisions["replicas"].value,
        database=has_db.value,
        db_image=POSTGRES_IMAGE,
        db_user=user,
        database_url_template=f"{scheme}://{user}_app:{{password}}@db:5432/{user}" if has_db.value else "",
        migrate_url_template=f"{scheme}://{user}_owner:{{password}}@db:5432/{user}" if has_db.value else "",
        migrate=migrate.value,
        proxy=Proxy.TRAEFIK if proxy is Proxy.TRAEFIK else Proxy.EXTERNAL,
        proxy_image=TRAEFIK_IMAGE,
        reads_secret_files=reads.value,
        app_pids=app_pids_limit(1),
        decisions=decisions,
    )
