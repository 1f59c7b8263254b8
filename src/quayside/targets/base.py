"""The one small interface every target implements (as hatch's builders do), and what `init` gets back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quayside.errors import UserInputError
from quayside.plan.options import Database, Proxy, Target

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan
    from quayside.provenance import Decided


@dataclass(frozen=True)
class TargetOptions:
    """The init options a target reads besides the Dockerfile's own."""

    proxy: Proxy = Proxy.NONE
    db: Database = Database.AUTO
    workers: int | None = None
    replicas: int | None = None
    domain: str = "app.example.com"
    acme_email: str = "admin@example.com"
    prestart: str | None = None  # --prestart CMD: a one-off step after migrations, before the app


@dataclass(frozen=True)
class Generated:
    """A target's files. `files` are compared and never clobbered without --force; `create_only` files (secrets)
    are written only when missing, 0600, and never shown."""

    files: dict[str, str]
    create_only: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, Decided[Any]] = field(default_factory=dict)
    # lines a file of the user's must hold (`.env` in .gitignore): appended when missing, never needing --force
    ensure_lines: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # files of the user's merged with ours (.env.example): every line of theirs kept, so no --force is needed;
    # `merged_secret` ones (.env) are never shown
    merged: dict[str, str] = field(default_factory=dict)
    merged_secret: dict[str, str] = field(default_factory=dict)


class DeployTarget(ABC):
    target: Target
    orchestrated = True  # replicas, not worker processes; a proxy in front; the Dockerfile bakes no --workers
    accepts_replicas = False
    scaler = "the platform"  # who adds replicas instead of --workers

    def normalise(self, options: TargetOptions) -> TargetOptions:
        """Check the options against this target and fill in its defaults (raise UserInputError when they clash)."""
        if options.replicas is not None and not self.accepts_replicas:
            raise UserInputError("--replicas is a swarm option",
                                 hint="compose: --workers; kubernetes: the HPA in k8s/base/hpa.yaml")
        if not self.orchestrated:
            return options
        if options.workers and options.workers > 1:
            raise UserInputError(f"--workers with --target {self.target}: run one process per container and let "
                                 f"{self.scaler} add replicas (the guide)")
        if options.proxy is Proxy.NONE:
            # behind the Ingress controller, an edge proxy on the overlay, the platform's proxy
            return replace(options, proxy=Proxy.EXTERNAL)
        return options

    def dockerfile_workers(self, options: TargetOptions) -> int | None:
        """--workers baked into the image's CMD: only where nothing else runs the command (the docker target)."""
        return None

    @abstractmethod
    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        """The files this target adds to the Dockerfile and .dockerignore."""

    @abstractmethod
    def next_step(self, path: Path) -> str:
        """What to run after init, shown to the user."""
