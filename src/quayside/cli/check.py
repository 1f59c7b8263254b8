"""`quayside check`: the FastAPI-aware linter, with safe and unsafe fixes, text/JSON/SARIF output."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from quayside.cli.app import app
from quayside.cli.output import out, say, table, user_errors, warn
from quayside.errors import UserInputError


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class Profile(StrEnum):
    AUTO = "auto"
    PRODUCTION = "production"


class FailOn(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def _rule_ids(values: list[str] | None, option: str) -> set[str]:
    from quayside.check.model import RULES

    ids = {i.strip() for v in values or [] for i in v.split(",") if i.strip()}
    unknown = sorted(ids - set(RULES))
    if unknown:
        raise UserInputError(f"{option}: unknown rule id {', '.join(unknown)}", hint="`quayside check --list-rules` lists them")
    return ids


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
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    explain: Annotated[str | None, typer.Option(help="Print one rule's documentation and exit.")] = None,
) -> None:
    """Lint Dockerfile, .dockerignore, compose and Kubernetes files against what FastAPI in containers needs."""
    from quayside.check import CheckConfig, run_check
    from quayside.check.docs import rule_markdown
    from quayside.check.fixes import fix_until_stable, plan_fixes
    from quayside.check.model import RULES, Finding, Severity
    from quayside.check.output import DEFAULT_DOCS_URL, format_json, format_sarif, format_text

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
        if fix and diff:
            raise UserInputError("--fix and --diff together: choose one (--diff only shows, --fix writes)")
        if unsafe_fixes and not (fix or diff):
            raise UserInputError("--unsafe-fixes goes with --fix or --diff")
        config_select = _rule_ids(select, "--select") if select else None
        ignored = _rule_ids(ignore, "--ignore")
        targets = paths or [Path(".")]
        findings: list[Finding] = []
        texts: dict[str, str] = {}
        suppressed = 0
        docs_url = None
        for path in targets:
            only = None
            root = path
            if path.is_file():
                root, only = path.parent, [path.name]
            elif not path.exists():
                raise UserInputError("no such file or directory", path=path)
            config = CheckConfig.from_pyproject(root)
            if config_select is not None:
                config.select = config_select
            config.ignore |= ignored
            config.production = profile is Profile.PRODUCTION
            docs_url = docs_url or config.docs_url
            if fix:
                outcome = fix_until_stable(root, only=only, config=config, unsafe=unsafe_fixes)
                result = outcome.result
                warn(f"fixed {outcome.fixed} finding(s)")
                if outcome.unsafe_left:
                    warn(f"{outcome.unsafe_left} more fixable with --unsafe-fixes (they may change what the image does)")
            else:
                result = run_check(root, only=only, config=config)
                if diff:
                    for w in plan_fixes(root, result.findings, result.texts, unsafe=unsafe_fixes).writes:
                        out.print(w.diff, markup=False, end="")
            prefix = "" if len(targets) == 1 else root.as_posix().rstrip("/") + "/"
            for link in result.skipped:
                warn(f"{prefix}{link} is a symlink: not followed, not linted")
            findings += [replace(f, path=prefix + f.path) for f in result.findings]
            texts.update({prefix + rel: text for rel, text in result.texts.items()})
            suppressed += result.suppressed
    threshold = Severity.parse(fail_on.value)
    code = 1 if any(f.severity >= threshold for f in findings) else 0
    if output_format is OutputFormat.JSON:
        print(format_json(findings))
    elif output_format is OutputFormat.SARIF:
        print(format_sarif(findings, texts, docs_url=docs_url or DEFAULT_DOCS_URL, exit_code=code))
    elif not diff:
        for line, style in format_text(findings, texts, suppressed=suppressed):
            if out.is_terminal and style:
                out.print(line, style=style, markup=False, highlight=False)
            else:
                say(line)
    raise typer.Exit(code)
