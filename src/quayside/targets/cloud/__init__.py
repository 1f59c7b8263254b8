"""The cloud container services and PaaS targets (Cloud Run, ECS, ACI, Fly.io, Render, Railway): one `plan` and
one `render` for six platforms, each a target of its own in the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.errors import UserInputError
from quayside.plan.options import Proxy, Target
from quayside.targets.base import DeployTarget, Generated, TargetOptions
from quayside.targets.cloud.plan import build_cloud_plan
from quayside.targets.cloud.render import render_cloud_files

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan

CLOUD_TARGETS = (Target.CLOUDRUN, Target.ECS, Target.ACI, Target.FLY, Target.RENDER, Target.RAILWAY)


class CloudTarget(DeployTarget):
    def __init__(self, target: Target) -> None:
        self.target = target

    def normalise(self, options: TargetOptions) -> TargetOptions:
        if options.proxy in (Proxy.TRAEFIK, Proxy.NGINX):
            raise UserInputError(f"--proxy {options.proxy} with --target {self.target}: the platform's own proxy terminates TLS",
                                 hint="leave --proxy out (or use --proxy external)")
        return super().normalise(options)

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        return Generated(render_cloud_files(build_cloud_plan(project, dockerfile, self.target, options.db)))

    def next_step(self, path: Path) -> str:
        return f"quayside verify {path}, then deploy as {path / 'DEPLOY.md'} says"
