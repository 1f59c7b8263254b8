"""The kubernetes target: a kustomize base (Deployment, Service, Ingress, HPA, PDB, ConfigMap), staging and
production overlays, the cert-manager ClusterIssuer, and a migration Job when Alembic is configured."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quayside.errors import UserInputError
from quayside.plan.dockerfile import DockerfilePlan
from quayside.plan.shared import (
    CONNECTION_URL,
    app_settings,
    decide_migrations,
    probe_paths,
    project_name,
    with_schema_import,
)

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
    writable: tuple[str, ...] = ()  # folders under /code the app writes to: an emptyDir each (read-only root)
    config: tuple[tuple[str, str], ...] = ()  # the app's non-secret settings, with the values the project documents
    secret_names: tuple[str, ...] = ()  # the app's secret settings: keys of the Secret NAME-secrets
    documented_file: str | None = None

    @property
    def writable_volumes(self) -> list[tuple[str, str]]:
        return [("write-" + folder.strip(".").replace("/", "-").replace(".", "-").replace("_", "-").lower(), f"/code/{folder}")
                for folder in self.writable]


# RFC 1123 host names: what an Ingress host and a certificate's name may be (no wildcard: cert-manager's
# HTTP-01 challenge cannot prove one).
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _checked(domain: str, acme_email: str) -> tuple[str, str]:
    if not _HOST.fullmatch(domain):
        raise UserInputError(f"--domain {domain!r} is not a host name an Ingress and a certificate can use",
                             hint="pass one lower-case name such as api.example.com (no wildcard, no scheme, no port)")
    if not _EMAIL.fullmatch(acme_email):
        raise UserInputError(f"--acme-email {acme_email!r} is not an e-mail address", hint="e.g. --acme-email ops@example.com")
    return domain, acme_email


def build_kube_plan(project: ProjectInfo, dockerfile: DockerfilePlan, *, domain: str, acme_email: str) -> KubePlan:
    domain, acme_email = _checked(domain, acme_email)
    health, ready = probe_paths(project)
    config, secret_names, documented_file = app_settings(project)
    return KubePlan(
        config=config,
        secret_names=secret_names,
        documented_file=documented_file,
        name=project_name(project),
        port=dockerfile.port,
        uid=dockerfile.uid,
        health_path=health,
        ready_path=ready,
        domain=domain,
        acme_email=acme_email,
        migrate=with_schema_import(project, decide_migrations(project, "a migration Job")).value,
        # linked SQLite files go unused when the Secret gives the app a database URL: no volume for them
        writable=tuple(f for f in dockerfile.writable if not (f == dockerfile.data_folder and dockerfile.linked_files
                                                               and set(dockerfile.linked_files) <= set(dockerfile.linked_databases)
                                                               and any(CONNECTION_URL.search(n) for n in secret_names))),
    )
