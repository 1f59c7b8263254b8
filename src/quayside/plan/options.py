"""The closed sets and options a user chooses: style, target, proxy, database (each an enum, never a bare str)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Proxy(StrEnum):
    NONE = "none"
    EXTERNAL = "external"  # some TLS proxy in front (a load balancer, an Ingress): trust its headers
    TRAEFIK = "traefik"
    NGINX = "nginx"


class Target(StrEnum):
    DOCKER = "docker"  # Dockerfile + .dockerignore
    COMPOSE = "compose"  # ... + compose.yaml, .env.example (and .env when missing)
    KUBERNETES = "kubernetes"  # ... + a kustomize base and staging/production overlays under k8s/
    SWARM = "swarm"  # ... + stack.yaml for `docker stack deploy`
    CLOUDRUN = "cloudrun"  # ... + deploy/cloudrun/service.yaml (Knative), a migration job
    ECS = "ecs"  # ... + deploy/ecs/task-definition.json (Fargate)
    ACI = "aci"  # ... + deploy/aci/container-group.yaml
    FLY = "fly"  # ... + fly.toml
    RENDER = "render"  # ... + render.yaml (Blueprint)
    RAILWAY = "railway"  # ... + railway.json


class Style(StrEnum):
    PRODUCTION = "production"
    GUIDE = "guide"
    MULTISTAGE = "multistage"
    UV = "uv"


class Database(StrEnum):
    AUTO = "auto"
    POSTGRES = "postgres"
    MARIADB = "mariadb"  # compose only (MySQL protocol)
    NONE = "none"


@dataclass(frozen=True)
class InitOptions:
    style: Style = Style.PRODUCTION
    python: str | None = None
    port: int | None = None
    workers: int | None = None
    proxy: Proxy = Proxy.NONE
    forwarded_allow_ips: str | None = None
    base_image: str | None = None
    builder_image: str | None = None
    include: tuple[str, ...] = ()  # --include: copied into the runtime image besides the import closure
    exclude: tuple[str, ...] = ()  # --exclude: never copied
    apt_build: tuple[str, ...] = ()  # --apt-build: Debian packages for the builder stage
    apt_runtime: tuple[str, ...] = ()  # --apt-runtime: Debian packages the app needs at run time
    start_timeout: float | None = None  # --start-timeout: the HEALTHCHECK start period
