"""`quayside deploy swarm` and `quayside deploy k8s`: roll out and wait until the new version serves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quayside.cli.app import PathArg, deploy_app
from quayside.cli.output import printing_build, say, table, user_errors

if TYPE_CHECKING:
    from quayside.targets.swarm.deploy import ServiceStatus


@deploy_app.command("swarm")
def deploy_swarm_cmd(
    path: PathArg = Path("."),
    stack: Annotated[str | None, typer.Option("--stack", help="Stack name (default: the directory's name).")] = None,
    image: Annotated[str | None, typer.Option(help="Deploy this image (e.g. from your registry) instead of building one.")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds to wait for the stack to converge.")] = 300,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the stack instead (volumes and secrets are kept).")] = False,
) -> None:
    """Build the image (tagged with its content), create missing secrets, `docker stack deploy`, and wait until
    every service runs its replicas healthy and every job has completed. A rolled-back update exits 3."""
    from quayside.targets.swarm import deploy as swarm

    root = path.resolve()
    name = stack or swarm.default_stack_name(root)

    def progress(states: list[ServiceStatus]) -> None:
        say("  " + ", ".join(f"{s.name.removeprefix(name + '_')} {s.completed if s.is_job else s.running}/{s.desired}"
                             f"{' ' + s.update if s.update else ''}" for s in states))

    with user_errors():
        if remove:
            removed = swarm.remove(name)
            say(f"removed stack {name}" if removed else f"no stack {name}: nothing to remove")
            return
        deployment = swarm.deploy_project(root, stack=name, image=image, timeout=timeout, build=printing_build,
                                          on_start=lambda ref: say(f"deploying {ref} as stack {name} ..."),
                                          on_change=progress)
    for secret in deployment.created_secrets:
        say(f"created secret {secret}")
    rows = [(s.name, s.mode, f"{s.completed}/{s.desired} completed" if s.is_job else f"{s.running}/{s.desired}",
             s.update or "-", s.image) for s in deployment.services]
    table(f"quayside deploy swarm: {name} converged", rows, ("service", "mode", "tasks", "update", "image"))


@deploy_app.command("k8s")
def deploy_k8s_cmd(
    path: PathArg = Path("."),
    overlay: Annotated[str, typer.Option(help="Which k8s/overlays/ directory: staging or production.")] = "staging",
    image: Annotated[str | None, typer.Option(help="Deploy this image (pushed to a registry the cluster pulls from).")] = None,
    context: Annotated[str | None, typer.Option(help="kubeconfig context (default: the current one).")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds to wait for the migration job and for the rollout.")] = 300,
) -> None:
    """Render the overlay, run the migration Job to completion (when Alembic is configured), apply, and wait for
    `kubectl rollout status`. A failed migration stops before the app changes; a failed rollout exits 3."""
    from quayside.targets.kubernetes.deploy import deploy

    with user_errors():
        rollout = deploy(path.resolve(), overlay=overlay, image=image, context=context, timeout=timeout)
    for line in rollout.applied:
        say(f"  {line}")
    if rollout.migrated:
        say("  migration job completed before the rollout")
    say(f"deployment/{rollout.deployment} rolled out in namespace {rollout.namespace} ({rollout.image})")
