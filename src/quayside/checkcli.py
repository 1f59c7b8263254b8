"""`quayside check`'s body and its fast start path, outside the cli package so that importing them does not
import typer or rich.

CI steps and pre-commit hooks run `check` on a few files with output to a pipe, where start-up is most of the
time. `run_fast` reads check's options from a table (`parse_fast`; argparse cost 5-7 ms of a 45 ms start,
its help formatter importing shutil and gettext importing locale) and runs the same body as the typer
command (`run`), so the two cannot drift apart. Anything else (a terminal, help, --list-rules,
--explain, an option or value it does not know) falls back to the typer command, whose messages stay the one
source of truth; test_check_cli.py compares both paths option by option. Like the cli package, this is a
printing layer: `run` raises QuaysideError and prints only through the Printer it is given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from quayside.errors import UserInputError
from quayside.record import field, record, replace


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


@record
class CheckOptions:
    paths: list[Path] = field(default_factory=list)
    output_format: OutputFormat = OutputFormat.TEXT
    fail_on: FailOn = FailOn.WARNING
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    profile: Profile = Profile.AUTO
    select: list[str] | None = None
    ignore: list[str] | None = None
    target: list[str] | None = None


@record
class Printer:
    say: Callable[[str], None]  # one line on stdout
    warn: Callable[[str], None]  # one line on stderr
    raw: Callable[[str], None]  # text as it is (diffs carry their own newlines)
    styled: Callable[[str, str], None] | None = None  # a line with a rich style, on a terminal only


def rule_ids(values: list[str] | None, option: str) -> set[str]:
    from quayside.check.model import RULES

    ids = {i.strip() for v in values or [] for i in v.split(",") if i.strip()}
    unknown = sorted(ids - set(RULES))
    if unknown:
        raise UserInputError(f"{option}: unknown rule id {', '.join(unknown)}", hint="`quayside check --list-rules` lists them")
    return ids


def run(options: CheckOptions, printer: Printer) -> int:
    """Lint, print, and return the exit code (1 when a finding reaches --fail-on)."""
    from quayside.check import CheckConfig, run_check
    from quayside.check.model import Finding, Severity
    from quayside.check.output import DEFAULT_DOCS_URL, format_json, format_sarif, format_text

    if options.fix and options.diff:
        raise UserInputError("--fix and --diff together: choose one (--diff only shows, --fix writes)")
    if options.unsafe_fixes and not (options.fix or options.diff):
        raise UserInputError("--unsafe-fixes goes with --fix or --diff")
    config_select = rule_ids(options.select, "--select") if options.select else None
    ignored = rule_ids(options.ignore, "--ignore")
    targets = options.paths or [Path(".")]
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
        config.production = options.profile is Profile.PRODUCTION
        config.targets = tuple(options.target or ())
        docs_url = docs_url or config.docs_url
        if options.fix:
            from quayside.check.fixes import fix_until_stable

            outcome = fix_until_stable(root, only=only, config=config, unsafe=options.unsafe_fixes)
            result = outcome.result
            printer.warn(f"fixed {outcome.fixed} finding(s)")
            if outcome.unsafe_left:
                printer.warn(f"{outcome.unsafe_left} more fixable with --unsafe-fixes (they may change what the image does)")
        else:
            result = run_check(root, only=only, config=config)
            if options.diff:
                from quayside.check.fixes import plan_fixes

                for w in plan_fixes(root, result.findings, result.texts, unsafe=options.unsafe_fixes).writes:
                    printer.raw(w.diff)
        prefix = "" if len(targets) == 1 else root.as_posix().rstrip("/") + "/"
        for link in result.skipped:
            printer.warn(f"{prefix}{link} is a symlink: not followed, not linted")
        findings += [replace(f, path=prefix + f.path) for f in result.findings]
        texts.update({prefix + rel: text for rel, text in result.texts.items()})
        suppressed += result.suppressed
    threshold = Severity.parse(options.fail_on.value)
    code = 1 if any(f.severity >= threshold for f in findings) else 0
    if options.output_format is OutputFormat.JSON:
        printer.say(format_json(findings))
    elif options.output_format is OutputFormat.SARIF:
        printer.say(format_sarif(findings, texts, docs_url=docs_url or DEFAULT_DOCS_URL, exit_code=code))
    elif not options.diff:
        for line, style in format_text(findings, texts, suppressed=suppressed):
            if printer.styled is not None and style:
                printer.styled(line, style)
            else:
                printer.say(line)
    return code


# check's options on the fast path: anything not in these tables (or a value an option refuses) goes to typer
VALUE_OPTIONS: dict[str, tuple[str, Callable[[str], object]]] = {
    "--format": ("output_format", OutputFormat),
    "--fail-on": ("fail_on", FailOn),
    "--profile": ("profile", Profile),
}
LIST_OPTIONS = {"--select": "select", "--ignore": "ignore", "--target": "target"}  # repeatable
FLAG_OPTIONS = {"--fix": "fix", "--unsafe-fixes": "unsafe_fixes", "--diff": "diff"}


def parse_fast(args: list[str]) -> CheckOptions | None:
    """check's arguments as click reads them, or None for anything else (typer then reports or handles it)."""
    options = CheckOptions()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            options.paths += [Path(a) for a in args[i:]]
            break
        if not arg.startswith("-") or arg == "-":
            options.paths.append(Path(arg))
            continue
        name, has_value, value = arg.partition("=")
        if name in FLAG_OPTIONS and not has_value:
            setattr(options, FLAG_OPTIONS[name], True)
            continue
        if name not in VALUE_OPTIONS and name not in LIST_OPTIONS:
            return None
        if not has_value:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if name in LIST_OPTIONS:
            attr = LIST_OPTIONS[name]
            setattr(options, attr, [*(getattr(options, attr) or []), value])
        else:
            attr, kind = VALUE_OPTIONS[name]
            try:
                setattr(options, attr, kind(value))
            except ValueError:
                return None
    return options


def run_fast(argv: list[str]) -> int | None:
    """The exit code, or None when the typer command should handle these arguments."""
    if not argv or argv[0] != "check" or sys.stdout.isatty() or os.environ.get("QUAYSIDE_NO_FAST_PATH"):
        return None
    if any(a in ("-h", "--help", "--list-rules") or a.startswith("--explain") for a in argv[1:]):
        return None
    options = parse_fast(argv[1:])
    if options is None:
        return None
    from quayside.errors import QuaysideError

    def say(line: str) -> None:
        print(line)

    def warn(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        return run(options, Printer(say, warn, lambda text: print(text, end="")))
    except QuaysideError as exc:
        warn(f"error: {exc}")
        return exc.exit_code
