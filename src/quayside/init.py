"""`init`: inspect → plan → the target's files → planned writes (compared, never clobbering), applied all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from quayside.files import PlannedWrite, apply_writes, plan_lines, plan_merged, plan_writes
from quayside.inspection import inspect_project, projectconfig
from quayside.plan.dockerfile import build_plan
from quayside.plan.options import InitOptions, Style, Target
from quayside.provenance import Decided
from quayside.targets import TargetOptions, get_target
from quayside.targets.docker import render_files


@dataclass(frozen=True)
class InitRequest:
    target: Target = Target.DOCKER
    style: Style = Style.PRODUCTION
    python: str | None = None
    port: int | None = None
    forwarded_allow_ips: str | None = None
    base_image: str | None = None
    builder_image: str | None = None
    force: bool = False
    options: TargetOptions = field(default_factory=TargetOptions)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    health_path: str | None = None
    apt_build: tuple[str, ...] = ()
    apt_runtime: tuple[str, ...] = ()
    start_timeout: float | None = None


@dataclass(frozen=True)
class InitPlan:
    root: Path
    writes: list[PlannedWrite]  # compared with what is on disk
    create_only: list[PlannedWrite]  # secrets: only when missing, never shown
    decisions: dict[str, Decided[Any]]
    next_step: str


def plan_init(path: Path, request: InitRequest) -> InitPlan:
    """Everything init would write, and why; raises ConflictError only when applied."""
    info = inspect_project(path)
    if request.health_path is not None:
        given = projectconfig.health_path(request.health_path, "--health-path")
        info = replace(info, health_path=Decided(given, "--health-path", "given on the command line"))
    target = get_target(request.target)
    options = target.normalise(request.options)
    plan = build_plan(info, InitOptions(request.style, request.python, request.port, target.dockerfile_workers(options),
                                        options.proxy, request.forwarded_allow_ips, request.base_image, request.builder_image,
                                        request.include, request.exclude,
                                        projectconfig.debian_packages(request.apt_build, "--apt-build"),
                                        projectconfig.debian_packages(request.apt_runtime, "--apt-runtime"),
                                        projectconfig.start_timeout(request.start_timeout, "--start-timeout")))
    generated = target.generate(info, plan, options)
    files = {**render_files(plan), **generated.files}
    writes = plan_writes(info.root, files, force=request.force)
    writes += [plan_lines(info.root, name, lines) for name, lines in generated.ensure_lines.items()]
    writes += [plan_merged(info.root, name, text) for name, text in generated.merged.items()]
    writes += [plan_merged(info.root, name, text, secret=True) for name, text in generated.merged_secret.items()]
    missing = {name: text for name, text in generated.create_only.items()
               if not (info.root / name).exists() and not (info.root / name).is_symlink()}
    create_only = plan_writes(info.root, missing, force=False, secret=True)
    return InitPlan(info.root, writes, create_only, {**plan.decisions, **generated.decisions}, target.next_step(path))


def apply_init(plan: InitPlan) -> list[PlannedWrite]:
    """Write every planned file, or none (a conflict without --force writes nothing)."""
    applied = plan.writes + plan.create_only
    apply_writes(applied, root=plan.root)
    return applied
