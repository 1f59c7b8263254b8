"""`quayside up` / `quayside down`: the compose project, started and waited for, or stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.app import PathArg, app
from quayside.cli.output import out, say, table, user_errors


@app.command("up")
def up_cmd(
    path: PathArg = Path("."),
    project_name: Annotated[str | None, typer.Option("--project-name", "-p", help="Compose project name (default: from compose.yaml).")] = None,
    wait_timeout: Annotated[int | None, typer.Option(help="Seconds to wait for every service to be healthy (default: 180, or [tool.quayside] start-timeout + 120 when longer).")] = None,
) -> None:
    """Build and start the compose project, wait until every service is healthy, print its URLs."""
    from quayside.targets.compose.run import up

    with user_errors():
        if wait_timeout is None:
            wait_timeout = _default_wait(path.resolve())
        if out.is_terminal:
            with out.status("docker compose up --wait ..."):
                states = up(path.resolve(), project_name, wait_timeout=wait_timeout)
        else:
            states = up(path.resolve(), project_name, on_line=say, wait_timeout=wait_timeout)
    rows = [(s.name, s.state, s.health or "-", " ".join(s.urls) or "-") for s in states]
    table("quayside up", rows, ("service", "state", "health", "urls"))


@app.command("down")
def down_cmd(
    path: PathArg = Path("."),
    project_name: Annotated[str | None, typer.Option("--project-name", "-p", help="Compose project name.")] = None,
    volumes: Annotated[bool, typer.Option("--volumes", help="Also delete the named volumes (the database's data).")] = False,
) -> None:
    """Stop and remove the compose project's containers. Volumes (data) are kept unless --volumes."""
    from quayside.targets.compose.run import down

    with user_errors():
        down(path.resolve(), project_name, volumes=volumes)
    say("stopped" + (" and removed the volumes" if volumes else "; volumes kept (--volumes removes them)"))


def _default_wait(root: Path) -> int:
    """Migrations or a model that take minutes to load: `up` waits as long as the app may take to start."""
    from quayside.inspection.projectconfig import read_config
    from quayside.inspection.source import load_toml

    pyproject = root / "pyproject.toml"
    config = read_config(load_toml(pyproject, display="pyproject.toml") if pyproject.is_file() else None)
    return max(180, int(config.start_timeout or 0) + 120)
