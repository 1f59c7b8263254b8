"""`quayside check`: the FastAPI-aware linter, with safe and unsafe fixes, text/JSON/SARIF output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quayside.checkcli import CheckOptions, FailOn, OutputFormat, Printer, Profile, run
from quayside.cli.app import app
from quayside.cli.output import out, say, table, user_errors, warn
from quayside.errors import UserInputError


@app.command("check")
def check_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Folders (every Dockerfile, compose file and Kubernetes manifest in them, at any depth) or files (linted by their kind). Default: the current folder.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text, json (one object per finding) or sarif (2.1.0).")] = OutputFormat.TEXT,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")] = FailOn.WARNING,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes (all of a file's fixes or none).")] = False,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="With --fix or --diff: also the fixes that may change what the image does.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Show what --fix would change; write nothing.")] = False,
    profile: Annotated[Profile, typer.Option(help="auto: a compose file is judged as a deployment when its name or content says so (QS022); production: every compose file is.")] = Profile.AUTO,
    select: Annotated[list[str] | None, typer.Option(help="Only these rule ids (comma-separated or repeated).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Skip these rule ids.")] = None,
    target: Annotated[list[str] | None, typer.Option(help="The stage that is the image, as `docker build --target` (repeatable). Default: the last stage, stages a compose file or CI workflow builds as a target, and production-named stages nothing builds on.")] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    explain: Annotated[str | None, typer.Option(help="Print one rule's documentation and exit.")] = None,
) -> None:
    """Lint Dockerfile, .dockerignore, compose and Kubernetes files against what FastAPI in containers needs."""
    from quayside.check.docs import rule_markdown
    from quayside.check.model import RULES

    with user_errors():
        if list_rules:
            rows = [(r.id, r.name, r.severity.label, r.fix_safety.value if r.fixable else "", r.summary) for _, r in sorted(RULES.items())]
            table("quayside check rules", rows, ("id", "name", "severity", "fix", "what"))
            return
        if explain is not None:
            rule = RULES.get(explain.upper())
            if rule is None:
                raise UserInputError(f"--explain {explain}: no such rule", hint="`quayside check --list-rules` lists them")
            say(rule_markdown(rule))
            return
        options = CheckOptions(paths or [], output_format, fail_on, fix, unsafe_fixes, diff, profile, select, ignore, target)
        printer = Printer(say, warn, lambda text: out.print(text, markup=False, end=""),
                          (lambda line, style: out.print(line, style=style, markup=False, highlight=False)) if out.is_terminal else None)
        code = run(options, printer)
    raise typer.Exit(code)
