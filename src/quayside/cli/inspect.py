"""`quayside inspect`: the project's facts, each with where it came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.app import PathArg, app
from quayside.cli.output import out, say, table, user_errors


@app.command("inspect")
def inspect_cmd(
    path: PathArg = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Explain each decision.")] = False,
) -> None:
    """Find the app, its dependencies, Python version and server, without importing any user code."""
    from quayside.inspection import inspect_project
    from quayside.plan.dockerfile import RUNTIME_EXTRAS

    with user_errors():
        info = inspect_project(path)
        content = info.runtime_content(extras=RUNTIME_EXTRAS)
    data = info.to_json()
    data["runtime_content"] = [{"path": e.path, "directory": e.is_dir, "why": e.why} for e in content.entries]
    data["left_out"] = list(content.skipped)
    if as_json:
        if out.is_terminal:
            out.print_json(json.dumps(data))
        else:
            print(json.dumps(data, indent=2))
        return
    sources = data["sources"]
    rows = [(name, str(data[name]), sources[name]) for name in sources]
    rows.insert(1, ("app_path", data["app_path"], sources["entrypoint"]))
    rows.append(("dependency_files", ", ".join(data["dependency_files"]), sources["installer"]))
    table(f"quayside inspect {info.root}", rows, ("fact", "value", "source"))
    if verbose:
        for name, decided in info.decisions().items():
            say(f"- {decided.explain(name)}")
        for route in info.routes:
            say(f"  route {route.method} {route.path}  ({route.file}:{route.line})")
        for entry in content.entries:
            say(f"  copies {entry.path}{'/' if entry.is_dir else ''}  ({entry.why})")
        for skipped in content.skipped:
            say(f"  leaves out {skipped}")
        for local in info.dependencies.local_paths:
            say(f"  note: {local} installs from the project itself: the dependency layer needs that path")
