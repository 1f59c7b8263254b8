"""The swarm target: `plan` (one process per task, rolling updates, secrets), `render` (stack.yaml, DEPLOY.md) and
`deploy` (`quayside deploy swarm`: build, secrets, `docker stack deploy`, wait for convergence)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.plan.options import Target
from quayside.targets.base import DeployTarget, Generated, TargetOptions
from quayside.targets.swarm.plan import build_swarm_plan
from quayside.targets.swarm.render import render_swarm_files

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan


class SwarmTarget(DeployTarget):
    target = Target.SWARM
    accepts_replicas = True
    scaler = "swarm (--replicas)"

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        swarm = build_swarm_plan(project, dockerfile, proxy=options.proxy, db=options.db, replicas=options.replicas)
        return Generated(render_swarm_files(swarm), decisions=swarm.decisions)

    def next_step(self, path: Path) -> str:
        return f"quayside verify {path}, then quayside deploy swarm {path}"
