"""The typer application and its global options; each command lives in a module of its own beside this one."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.output import say, set_debug

app = typer.Typer(
    name="quayside",
    help="Containerise a FastAPI project the way the FastAPI Docker guide says, and prove it on a real engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
deploy_app = typer.Typer(help="Deploy to an orchestrator and wait until the new version serves.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")

PathArg = Annotated[Path, typer.Argument(help="The project directory.", show_default=True)]


def _version(value: bool) -> None:
    if value:
        say(f"quayside {version('quayside')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = None,
    debug: Annotated[bool, typer.Option("--debug", envvar="QUAYSIDE_DEBUG", help="Trace every docker/kubectl command on stderr.")] = False,
) -> None:
    """quayside: inspect → init → build → verify."""
    set_debug(debug)
