"""The compose target: app + (Postgres) + a one-off migration service, from the same plan as the Dockerfile."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.options import Proxy
from quayside.plan.shared import (
    POSTGRES_IMAGE,
    TRAEFIK_IMAGE,
    app_pids_limit,
    build_command,
    decide_database,
    decide_migrations,
    health_target,
    project_name,
    watchdog_check,
)
from quayside.provenance import Decided

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.targets.base import TargetOptions

# nginx's maintained stable line: 1.22 reached its end of life in 2023, and a minor pinned forever goes stale
NGINX_IMAGE = "nginx:stable"
LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"
COMPOSE_WORKERS = 2  # one host, no orchestrator: a couple of processes use its cores (the guide)


@dataclass(frozen=True)
class ComposePlan:
    project: str
    image: str
    port: int
    command: tuple[str, ...]
    database: bool
    db_image: str
    database_url: str  # the app's: the DML-only role
    migrate_url: str  # the migrate service's: the role that owns the database
    migrate: tuple[str, ...] | None
    watchdog: tuple[str, ...] = ()  # the app's health check, which also ends a hung server (see plan.shared)
    proxy: Proxy = Proxy.NONE
    proxy_image: str = ""
    app_pids: int = 256
    writable: tuple[str, ...] = ()  # folders under /code the app writes to: a named volume each (read-only root)
    decisions: dict[str, Decided[Any]] = field(default_factory=dict, compare=False)

    @property
    def db_name(self) -> str:
        return self.project.replace("-", "_")

    @property
    def writable_volumes(self) -> list[tuple[str, str]]:
        """(volume name, mount path) of each writable folder: a new named volume starts as the image's folder,
        owned by the app user."""
        return [("app-" + folder.replace("/", "-").replace(".", "-").replace("_", "-").lower(), f"/code/{folder}")
                for folder in self.writable]

    @property
    def fronted(self) -> bool:
        """A proxy service in this compose project: the app is reachable only through it."""
        return self.proxy in (Proxy.TRAEFIK, Proxy.NGINX)


def build_compose_plan(project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> ComposePlan:
    decisions: dict[str, Decided[Any]] = {}
    name = project_name(project)
    has_db, scheme = decide_database(project, options.db)
    decisions["database"] = has_db
    migrate = decide_migrations(project)
    decisions["migrate"] = migrate
    if migrate.value and not has_db.value:
        migrate = Decided(None, migrate.source, "Alembic is configured but there is no database service to migrate")
    workers = options.workers or COMPOSE_WORKERS
    decisions["workers"] = Decided(workers, "--workers" if options.workers else "default",
                                   "given on the command line" if options.workers else "one host without an orchestrator: two worker processes (the guide)")
    command = build_command(project, dockerfile.port, workers, dockerfile.decisions.get("forwarded_allow_ips", Decided(None, "", "")).value)
    return ComposePlan(
        project=name,
        image=f"{name}:latest",
        port=dockerfile.port,
        command=command,
        database=has_db.value,
        db_image=POSTGRES_IMAGE,
        database_url=_url(scheme, "DB_APP_USER", "DB_APP_PASSWORD") if has_db.value else "",
        migrate_url=_url(scheme, "DB_OWNER", "DB_OWNER_PASSWORD") if has_db.value else "",
        migrate=migrate.value,
        watchdog=watchdog_check(dockerfile.port, health_target(project).value),
        proxy=options.proxy,
        app_pids=app_pids_limit(workers),
        writable=dockerfile.writable,
        proxy_image={Proxy.TRAEFIK: TRAEFIK_IMAGE, Proxy.NGINX: NGINX_IMAGE}.get(options.proxy, ""),
        decisions=decisions,
    )


def _url(scheme: str, user: str, password: str) -> str:
    # compose fills these in from .env; `:?` stops `up` with the variable's name when .env lacks it
    need = "is not set, see .env.example"  # no ": " in it: the URL is a plain YAML scalar
    return (f"{scheme}://${{{user}:?{user} {need}}}:${{{password}:?{password} {need}}}"
            f"@db:5432/${{POSTGRES_DB:?POSTGRES_DB {need}}}")


def env_file(plan: ComposePlan, *, example: bool) -> str:
    """The .env compose reads: .env.example with placeholders, .env (written once, 0600, never overwritten) with
    random passwords. Compose interpolates it into each service's environment: no service gets the whole file."""

    def password() -> str:
        return "change-me" if example else secrets.token_urlsafe(24)

    lines = ["# Settings for compose.yaml. Keep .env out of version control (init adds it to .gitignore) and out",
             "# of images (.dockerignore does)."]
    if plan.database:
        lines += ["# Postgres: the superuser (only the db's init script uses it), the role that owns the database",
                  "# (migrations) and the app's role (rows only). Roles are created when the volume is first made.",
                  f"POSTGRES_PASSWORD={password()}", f"POSTGRES_DB={plan.db_name}",
                  f"DB_OWNER={plan.db_name}_owner", f"DB_OWNER_PASSWORD={password()}",
                  f"DB_APP_USER={plan.db_name}_app", f"DB_APP_PASSWORD={password()}"]
    if plan.fronted:
        lines += ["# The public name of the app; DNS for it must point at this host.", "APP_DOMAIN=app.example.com",
                  "# Where the proxy listens (80 and 443 on every address in production).",
                  "PROXY_BIND=0.0.0.0", "HTTP_PORT=80", "HTTPS_PORT=443"]
    if plan.proxy is Proxy.TRAEFIK:
        lines += ["# Let's Encrypt account e-mail and directory (use the staging directory while testing).",
                  "ACME_EMAIL=admin@example.com", f"ACME_CA_SERVER={LETSENCRYPT_DIRECTORY}"]
    if not plan.fronted:
        lines += ["# Where the app is published on this host (an empty APP_PORT picks a free port).",
                  "APP_BIND=127.0.0.1", f"APP_PORT={plan.port}"]
    return "\n".join(lines) + "\n"
