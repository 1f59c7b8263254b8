"""Stage 3, the targets: each is a package (or module) behind the one small interface in `base`, picked from
this registry by its `Target` name."""

from __future__ import annotations

from quayside.plan.options import Target
from quayside.targets.base import DeployTarget, Generated, TargetOptions

__all__ = ["DeployTarget", "Generated", "TargetOptions", "get_target"]


def _registry() -> dict[Target, DeployTarget]:
    # imported here: `quayside check` and `inspect` never pay for the targets
    from quayside.targets.cloud import CLOUD_TARGETS, CloudTarget
    from quayside.targets.compose import ComposeTarget
    from quayside.targets.docker import DockerTarget
    from quayside.targets.kubernetes import KubernetesTarget
    from quayside.targets.swarm import SwarmTarget

    targets: list[DeployTarget] = [DockerTarget(), ComposeTarget(), KubernetesTarget(), SwarmTarget()]
    targets += [CloudTarget(t) for t in CLOUD_TARGETS]
    return {t.target: t for t in targets}


def get_target(target: Target) -> DeployTarget:
    return _registry()[target]
