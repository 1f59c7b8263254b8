"""The compose target: `plan` (app, Postgres, migrate, proxy), `render` (compose.yaml, DEPLOY.md, nginx conf),
`environment` (each service's settings under the names the app reads) and `run` (`quayside up`/`down`). Beside a
compose file of the project's own, quayside writes compose.quayside.yaml and never touches or shadows theirs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.files import inside, read_existing
from quayside.plan.options import Target
from quayside.targets.base import DeployTarget, Generated, TargetOptions
from quayside.targets.compose.envfile import env_file_name
from quayside.targets.compose.plan import build_compose_plan, env_file, merge_env, missing_env
from quayside.targets.compose.render import render_compose_files

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan


class ComposeTarget(DeployTarget):
    target = Target.COMPOSE
    orchestrated = False  # one host: --workers is how it uses the cores

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        compose = build_compose_plan(project, dockerfile, options)
        files = render_compose_files(compose)
        merged = {".env.example": merge_env(read_existing(inside(project.root, ".env.example"), ".env.example"),
                                            env_file(compose, example=True))}
        # .env holds the user's secrets: created once with random values, 0600, never shown; an existing one only
        # gains the keys our services need and it lacks
        secret_env = env_file(compose, example=False)
        name = env_file_name(project.root)
        existing = read_existing(inside(project.root, name), name)
        create_only = {name: secret_env} if existing is None and not (project.root / name).is_symlink() else {}
        merged_secret = {name: missing_env(existing, secret_env)} if existing is not None else {}
        return Generated(files, create_only, compose.decisions, ensure_lines={".gitignore": (name,)},
                         merged=merged, merged_secret=merged_secret)

    def next_step(self, path: Path) -> str:
        return f"quayside up {path}  (or quayside verify {path} --compose)"
