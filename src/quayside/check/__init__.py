"""`quayside check`: a FastAPI-aware linter for Dockerfiles, .dockerignore, compose and Kubernetes files."""

from __future__ import annotations

from pathlib import Path

from quayside.check import rules as _rules  # noqa: F401 - registers every rule
from quayside.check.context import CheckContext, load_context, plan_units
from quayside.check.lazyre import lazy_compile
from quayside.check.model import RULES, Finding, Severity
from quayside.errors import UserInputError
from quayside.record import field, record

_IGNORE = lazy_compile(r"#\s*quayside:\s*ignore\s*=\s*([A-Za-z0-9_, ]+)")


@record
class CheckConfig:
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    docs_url: str | None = None
    production: bool = False  # --profile production: every compose file is judged as a deployment
    targets: tuple[str, ...] = ()  # --target: the stages that are the images (default: see rules._util.final_images)

    @classmethod
    def from_pyproject(cls, root: Path) -> CheckConfig:
        path = root / "pyproject.toml"
        if not path.is_file():
            return cls()
        from quayside.inspection.source import load_toml  # only when there is a pyproject.toml to read

        table = load_toml(path, display="pyproject.toml").get("tool", {}).get("quayside", {}).get("check", {})
        if not isinstance(table, dict):
            raise UserInputError("[tool.quayside.check] must be a table", path="pyproject.toml")
        config = cls()
        for key in ("select", "ignore"):
            if key in table:
                ids = table[key]
                if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                    raise UserInputError(f"[tool.quayside.check] {key} must be a list of rule ids", path="pyproject.toml")
                _known(ids, f"[tool.quayside.check] {key}")
                if key == "select":
                    config.select = set(ids)
                else:
                    config.ignore = set(ids)
        if "docs-url" in table:
            config.docs_url = str(table["docs-url"])
        severities = table.get("severity", {})
        if not isinstance(severities, dict):
            raise UserInputError("[tool.quayside.check] severity must be a table of id = level", path="pyproject.toml")
        _known(list(severities), "[tool.quayside.check] severity")
        for rule_id, level in severities.items():
            try:
                config.severity[rule_id] = Severity.parse(str(level))
            except ValueError as exc:
                raise UserInputError(f"[tool.quayside.check] severity {rule_id}: {exc}", path="pyproject.toml") from None
        return config


def _known(ids: list[str], where: str) -> None:
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise UserInputError(f"{where}: unknown rule id {', '.join(unknown)}", path="pyproject.toml",
                             hint="`quayside check --list-rules` lists them")


def ignored_on_line(lines: list[str], line: int) -> set[str]:
    """Rule ids from `# quayside: ignore=...` comments in the comment block right above `line` (lines: the file's)."""
    ids: set[str] = set()
    index = line - 2
    while 0 <= index < len(lines):
        stripped = lines[index].strip()
        if not stripped.startswith("#"):
            break
        m = _IGNORE.search(stripped)
        if m:
            ids |= {i.strip() for i in m.group(1).split(",") if i.strip()}
        index -= 1
    return ids


@record
class CheckResult:
    findings: list[Finding]
    suppressed: int
    context: CheckContext  # the checked folder's own unit (its top-level files)
    texts: dict[str, str] = field(default_factory=dict)  # every file read, by path relative to the folder
    contexts: list[CheckContext] = field(default_factory=list)  # one per build context found
    skipped: list[str] = field(default_factory=list)  # symlinks quayside did not follow


def run_check(root: Path, *, only: list[str] | None = None, config: CheckConfig | None = None) -> CheckResult:
    if not root.is_dir():
        raise UserInputError("is not a directory", path=root, hint="pass the project directory, or a Dockerfile path")
    config = config or CheckConfig.from_pyproject(root)
    units, loaded = plan_units(root, only=only)
    findings: list[Finding] = []
    suppressed = 0
    split_lines: dict[str, list[str]] = {}
    contexts = [load_context(root, unit=unit, loaded=loaded) for unit in units]
    for ctx in contexts:
        ctx.production_profile = config.production
        ctx.targets = config.targets
    if config.targets:
        stages = sorted({st.name for ctx in contexts for df in ctx.dockerfiles for st in df.stages if st.name})
        if not any(df.stage_named(t) for ctx in contexts for df in ctx.dockerfiles for t in config.targets):
            raise UserInputError(f"--target {', '.join(config.targets)}: no Dockerfile checked has a stage of that name",
                                 hint=f"its stages: {', '.join(stages)}" if stages else "name a stage with `FROM image AS name`")
    for ctx in contexts:
        for rule_id, rule in sorted(RULES.items()):
            if (config.select is not None and rule_id not in config.select and rule_id != "QS000") or rule_id in config.ignore:
                continue
            for finding in rule.check(ctx):
                if finding.rule != rule_id:
                    raise AssertionError(f"{rule_id} produced a finding for {finding.rule}")
                lines = split_lines.get(finding.path)
                if lines is None:  # split once per file: a file can have thousands of findings
                    lines = split_lines[finding.path] = ctx.texts.get(finding.path, "").splitlines()
                if rule_id in ignored_on_line(lines, finding.line):
                    suppressed += 1
                    continue
                if rule_id in config.severity:
                    finding = Finding(**{**finding.__dict__, "severity": config.severity[rule_id]})
                findings.append(finding)
    # a compose file shared by two build contexts is linted with each: report its findings once
    unique = sorted(set(findings), key=lambda f: (f.path, f.line, f.column, f.rule, f.message))
    texts = {rel: text for ctx in contexts for rel, text in ctx.texts.items()}
    main = next((ctx for ctx in contexts if ctx.root == root), contexts[0] if contexts else load_context(root))
    return CheckResult(unique, suppressed, main, texts, contexts, loaded.skipped)
