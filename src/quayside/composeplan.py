"""The compose target: app + (Postgres) + a one-off migration service, from the same plan as the Dockerfile."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from quayside.errors import UserInputError
from quayside.plan import DockerfilePlan, InitOptions, Proxy, build_command
from quayside.provenance import Decided

if TYPE_CHECKING:
    from quayside.project import ProjectInfo

POSTGRES_IMAGE = "postgres:17"
TRAEFIK_IMAGE = "traefik:v3.7"
NGINX_IMAGE = "nginx:1.22"
LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"
COMPOSE_WORKERS = 2  # one host, no orchestrator: a couple of processes use its cores (the guide)
POSTGRES_DRIVERS = {"psycopg": "postgresql+psycopg", "psycopg-binary": "postgresql+psycopg", "asyncpg": "postgresql+asyncpg",
                    "psycopg2": "postgresql", "psycopg2-binary": "postgresql"}
ORMS = {"sqlalchemy", "sqlmodel"}


class Database(StrEnum):
    AUTO = "auto"
    POSTGRES = "postgres"
    NONE = "none"


@dataclass(frozen=True)
class ComposePlan:
    project: str
    image: str
    port: int
    command: tuple[str, ...]
    database: bool
    db_image: str
    database_url: str
    migrate: tuple[str, ...] | None
    proxy: str = "none"  # none | external | traefik | nginx
    proxy_image: str = ""
    decisions: dict[str, Decided[Any]] = field(default_factory=dict, compare=False)

    @property
    def fronted(self) -> bool:
        """A proxy service in this compose project: the app is reachable only through it."""
        return self.proxy in ("traefik", "nginx")


def project_name(project: ProjectInfo) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", project.root.name.lower()).strip("-_") or "app"


def _database(project: ProjectInfo, choice: Database) -> tuple[Decided[bool], str]:
    names = {d.name for d in project.dependencies.declared}
    driver = next((d for d in POSTGRES_DRIVERS if d in names), None)
    if choice is Database.NONE:
        return Decided(False, "--db none", "no database service"), ""
    scheme = "postgresql"
    if driver and names & ORMS:
        scheme = POSTGRES_DRIVERS[driver]  # SQLAlchemy picks the driver from the URL scheme
    if choice is Database.POSTGRES:
        return Decided(True, "--db postgres", "given on the command line"), scheme
    if driver:
        return Decided(True, f"dependency {driver}", f"{driver} is a PostgreSQL driver: the app talks to Postgres"), scheme
    if names & ORMS:
        return Decided(True, f"dependency {sorted(names & ORMS)[0]}", "an ORM is declared: Postgres is the compose default"), scheme
    return Decided(False, "dependencies", "no database driver or ORM among the dependencies"), ""


def _migrations(project: ProjectInfo) -> Decided[tuple[str, ...] | None]:
    root = project.root
    if (root / "alembic.ini").is_file():
        return Decided(("alembic", "upgrade", "head"), "alembic.ini",
                       "Alembic is configured: a one-off `migrate` service runs it before the app starts")
    return Decided(None, "project", "no alembic.ini: no migration step")


def build_compose_plan(project: ProjectInfo, dockerfile: DockerfilePlan, options: InitOptions, db: Database) -> ComposePlan:
    decisions: dict[str, Decided[Any]] = {}
    name = project_name(project)
    has_db, scheme = _database(project, db)
    decisions["database"] = has_db
    migrate = _migrations(project)
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
        database_url=f"{scheme}://${{POSTGRES_USER}}:${{POSTGRES_PASSWORD}}@db:5432/${{POSTGRES_DB}}" if has_db.value else "",
        migrate=migrate.value,
        proxy=options.proxy.value,
        proxy_image={Proxy.TRAEFIK: TRAEFIK_IMAGE, Proxy.NGINX: NGINX_IMAGE}.get(options.proxy, ""),
        decisions=decisions,
    )


def env_file(plan: ComposePlan, *, example: bool) -> str:
    """The .env compose reads: .env.example with placeholders, .env (written once, never overwritten) with a random password."""
    password = "change-me" if example else secrets.token_urlsafe(24)
    lines = ["# Settings for compose.yaml. Keep .env out of version control and out of images (.dockerignore does)."]
    if plan.database:
        lines += [f"POSTGRES_USER={plan.project.replace('-', '_')}", f"POSTGRES_PASSWORD={password}", f"POSTGRES_DB={plan.project.replace('-', '_')}"]
    if plan.fronted:
        lines += ["# The public name of the app; DNS for it must point at this host.", "APP_DOMAIN=app.example.com",
                  "# Where the proxy listens (80 and 443 on every address in production).",
                  "PROXY_BIND=0.0.0.0", "HTTP_PORT=80", "HTTPS_PORT=443"]
    if plan.proxy == "traefik":
        lines += ["# Let's Encrypt account e-mail and directory (use the staging directory while testing).",
                  "ACME_EMAIL=admin@example.com", f"ACME_CA_SERVER={LETSENCRYPT_DIRECTORY}"]
    if not plan.fronted:
        lines += ["# Where the app is published on this host (an empty APP_PORT picks a free port).",
                  "APP_BIND=127.0.0.1", f"APP_PORT={plan.port}"]
    return "\n".join(lines) + "\n"
