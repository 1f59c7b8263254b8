"""The docker target: Dockerfile and .dockerignore. Every other target ships these too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.plan.options import Target
from quayside.render import render
from quayside.secretfiles import ALLOWED, SECRET_PATTERNS
from quayside.targets.base import DeployTarget, Generated, TargetOptions

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan


def render_dockerfile(plan: DockerfilePlan) -> str:
    return render(f"dockerfile/Dockerfile.{plan.style.value}.j2", plan=plan)


def render_dockerignore(excluded: tuple[str, ...] = ()) -> str:
    return render("dockerfile/dockerignore.j2", secrets=SECRET_PATTERNS, allowed=ALLOWED, excluded=excluded)


def render_files(plan: DockerfilePlan) -> dict[str, str]:
    files = {"Dockerfile": render_dockerfile(plan), ".dockerignore": render_dockerignore(plan.ignore_lines)}
    if plan.workspace_requirements is not None:
        files[plan.dependency_files[0]] = plan.workspace_requirements
    if plan.written_requirements is not None:
        files[plan.dependency_files[0]] = plan.written_requirements
    return files


class DockerTarget(DeployTarget):
    target = Target.DOCKER
    orchestrated = False

    def dockerfile_workers(self, options: TargetOptions) -> int | None:
        return options.workers

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        return Generated({})

    def next_step(self, path: Path) -> str:
        return f"quayside build {path}  (or quayside verify {path})"
