"""The compose target: `plan` (app, Postgres, migrate, proxy), `render` (compose.yaml, DEPLOY.md, nginx conf),
`merge` (into a compose file the user wrote, round-trip) and `run` (`quayside up`/`down`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quayside.files import inside, read_existing
from quayside.plan.options import Target
from quayside.provenance import is_generated
from quayside.targets.base import DeployTarget, Generated, TargetOptions
from quayside.targets.compose.merge import merge_into
from quayside.targets.compose.plan import build_compose_plan, env_file
from quayside.targets.compose.render import render_compose_files

if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo
    from quayside.plan.dockerfile import DockerfilePlan

COMPOSE_FILE = "compose.yaml"


class ComposeTarget(DeployTarget):
    target = Target.COMPOSE
    orchestrated = False  # one host: --workers is how it uses the cores

    def generate(self, project: ProjectInfo, dockerfile: DockerfilePlan, options: TargetOptions) -> Generated:
        compose = build_compose_plan(project, dockerfile, options)
        files = render_compose_files(compose)
        # a regular file of reasonable size, inside the project: never a FIFO, a huge file or a link out
        text = read_existing(inside(project.root, COMPOSE_FILE), COMPOSE_FILE)
        if text is not None and not is_generated(text):
            # the user's file: theirs, plus the services and volumes it lacks
            files[COMPOSE_FILE] = merge_into(text, files[COMPOSE_FILE])
        files[".env.example"] = env_file(compose, example=True)
        # .env holds the user's secrets: created once with random values, never compared, shown or overwritten
        create_only = {} if (project.root / ".env").exists() else {".env": env_file(compose, example=False)}
        return Generated(files, create_only, compose.decisions, ensure_lines={".gitignore": (".env",)})

    def next_step(self, path: Path) -> str:
        return f"quayside up {path}  (or quayside verify {path})"
