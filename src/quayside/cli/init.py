"""`quayside init`: render the target's files from the project's plan; never overwrite without --force."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.app import PathArg, app
from quayside.cli.output import out, say, user_errors
from quayside.files import Change
from quayside.plan.options import Database, Proxy, Style, Target


@app.command("init")
def init_cmd(
    path: PathArg = Path("."),
    style: Annotated[Style, typer.Option(help="production (default): everything the guide recommends; guide: the guide's Dockerfile; multistage; uv.")] = Style.PRODUCTION,
    target: Annotated[Target, typer.Option(help="docker: Dockerfile + .dockerignore; compose: also compose.yaml and .env.example; kubernetes: a kustomize base and overlays under k8s/; swarm: stack.yaml; cloudrun, ecs, aci, fly, render, railway: that platform's file.")] = Target.DOCKER,
    proxy: Annotated[Proxy, typer.Option(help="none; external: behind a TLS proxy you run; traefik or nginx: compose adds that proxy (HTTPS).")] = Proxy.NONE,
    db: Annotated[Database, typer.Option(help="compose, swarm, cloud targets: a database service (auto: the one the project's driver, settings or compose file names; mariadb: compose only).")] = Database.AUTO,
    prestart: Annotated[str | None, typer.Option("--prestart", help="compose: a command run once after migrations, before the app (default: the project's prestart.sh).")] = None,
    domain: Annotated[str, typer.Option(help="kubernetes: the Ingress host.")] = "app.example.com",
    acme_email: Annotated[str, typer.Option(help="kubernetes: the ACME account e-mail of the ClusterIssuer.")] = "admin@example.com",
    replicas: Annotated[int | None, typer.Option(help="swarm: tasks of the app (default 2).")] = None,
    python: Annotated[str | None, typer.Option(help="Python version X.Y (default: from the project).")] = None,
    port: Annotated[int | None, typer.Option(help="Port the server listens on (default 8000; 80 for --style guide).")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes per container (default 1; 2 in compose, one host).")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(help="Addresses/networks trusted for X-Forwarded-* (implies --proxy external).")] = None,
    base_image: Annotated[str | None, typer.Option(help="Runtime base image (default python:X.Y-slim; python:X.Y for guide).")] = None,
    builder_image: Annotated[str | None, typer.Option(help="Build-stage image (default: the runtime base).")] = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Copy this file or folder into the image too (repeatable; also [tool.quayside] include).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Never copy this file or folder (repeatable; also [tool.quayside] exclude).")] = None,
    health_path: Annotated[str | None, typer.Option("--health-path", help="The route health checks ask for (default: the app's health route, else its OpenAPI schema).")] = None,
    apt_build: Annotated[list[str] | None, typer.Option("--apt-build", help="A Debian package the builder stage needs to compile dependencies, e.g. libpq-dev (repeatable).")] = None,
    apt_runtime: Annotated[list[str] | None, typer.Option("--apt-runtime", help="A Debian package the app needs at run time, e.g. libpq5 (repeatable).")] = None,
    start_timeout: Annotated[float | None, typer.Option("--start-timeout", help="Seconds the app may take to start (migrations, model loading): the HEALTHCHECK start period (default 30).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files that differ.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Explain each decision.")] = False,
) -> None:
    """Render Dockerfile and .dockerignore (and the target's files) from the project's plan. Never overwrites without --force."""
    from quayside.init import InitRequest, apply_init, plan_init
    from quayside.targets import TargetOptions

    request = InitRequest(target, style, python, port, forwarded_allow_ips, base_image, builder_image, force,
                          TargetOptions(proxy, db, workers, replicas, domain, acme_email, prestart),
                          tuple(include or ()), tuple(exclude or ()), health_path, tuple(apt_build or ()), tuple(apt_runtime or ()), start_timeout)
    with user_errors():
        plan = plan_init(path, request)
        if verbose:
            for name, decided in plan.decisions.items():
                say(f"- {decided.explain(name)}")
        if dry_run:
            for p in plan.writes:
                if p.diff:
                    out.print(p.diff, markup=False, end="")
            for p in plan.writes:
                say(f"{p.change.value:>9}  {p.name}  (dry run: nothing written)")
            for p in plan.create_only:
                say(f"{p.change.value:>9}  {p.name}  (dry run; random secrets, not shown)")
            return
        applied = apply_init(plan)
    for p in applied:
        say(f"{p.change.value:>9}  {p.path}")
    if any(p.change in (Change.CREATE, Change.OVERWRITE) for p in applied):
        say(f"next: {plan.next_step}")
