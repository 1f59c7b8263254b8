"""`quayside build`: BuildKit through docker buildx, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.app import PathArg, app
from quayside.cli.output import printing_build, user_errors


@app.command("build")
def build_cmd(
    path: PathArg = Path("."),
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Image tag (default: <dir>:quayside).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build without the layer cache.")] = False,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="ID=PATH: a BuildKit secret the Dockerfile mounts, e.g. netrc=~/.netrc for a private package index. Never stored in the image. Repeatable.")] = None,
    network: Annotated[str | None, typer.Option("--network", help="The build steps' network: default, host (an index only this host reaches) or none.")] = None,
) -> None:
    """Build the image with BuildKit (docker buildx); report size and build time."""
    from quayside.build import check_network, default_tag, parse_secrets

    with user_errors():
        root = path.resolve()
        printing_build(root, tag=tag or default_tag(root), no_cache=no_cache, secrets=parse_secrets(secret or []),
                       network=check_network(network))
