"""Findings as text (grouped by file, with the source line and a caret), JSON, or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections import defaultdict

from quayside.check.model import RULES, Finding, Severity

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
DEFAULT_DOCS_URL = "docs/rules/"  # relative to the quayside repository; [tool.quayside.check] docs-url overrides


def format_text(findings: list[Finding], texts: dict[str, str], *, suppressed: int = 0) -> list[tuple[str, str | None]]:
    """Lines to print, each with an optional rich style (the CLI drops styles when not on a terminal)."""
    out: list[tuple[str, str | None]] = []
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_file[f.path].append(f)
    styles = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    for path, items in by_file.items():
        out.append((path, "bold"))
        lines = texts.get(path, "").splitlines()
        for f in items:
            fix = "" if f.fix is None else " [fixable]" if f.fixable_with(unsafe=False) else " [unsafe fix]"
            out.append((f"  {f.line}:{f.column}  {f.severity.label:<7} {f.rule} {f.name}  {f.message}{fix}", styles[f.severity]))
            if 0 < f.line <= len(lines):
                source = lines[f.line - 1].rstrip()
                out.append((f"      {source}", None))
                width = max(1, min(f.end_column, len(source) + 1) - f.column) if f.end_line == f.line else max(1, len(source) - f.column + 1)
                out.append((f"      {' ' * (f.column - 1)}{'^' * width}", styles[f.severity]))
        out.append(("", None))
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    summary = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    if findings:
        summary += " (" + ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True) if n) + ")"
    fixable = sum(1 for f in findings if f.fixable_with(unsafe=False))
    unsafe = sum(1 for f in findings if f.fixable) - fixable
    if fixable:
        summary += f"; {fixable} fixable with --fix"
    if unsafe:
        summary += f"; {unsafe} more with --fix --unsafe-fixes"
    if suppressed:
        summary += f"; {suppressed} ignored by comments"
    out.append((summary, "bold"))
    return out


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2)


def _rule_descriptor(rule_id: str, docs_url: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    properties: dict[str, Any] = {"tags": ["fastapi", "docker"], "fixable": rule.fixable}
    if rule.fixable:
        properties["fixSafety"] = rule.fix_safety.value
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc().split("\n\n", 1)[0]},
        "help": {"text": rule.doc(), "markdown": rule.doc()},
        "helpUri": f"{docs_url}{rule.id}.md",
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": properties,
    }


def _region_of_offsets(text: str, start: int, end: int) -> dict[str, int]:
    return {"charOffset": start, "charLength": end - start}


def format_sarif(findings: list[Finding], texts: dict[str, str], *, docs_url: str = DEFAULT_DOCS_URL, exit_code: int = 0) -> str:
    rule_ids = sorted(RULES)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line, "endColumn": f.end_column},
                }
            }],
        }
        if f.fix is not None:
            by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for edit in f.fix.edits:
                by_path[edit.path].append({
                    "deletedRegion": _region_of_offsets(texts.get(edit.path, ""), edit.start, edit.end),
                    "insertedContent": {"text": edit.text},
                })
            result["properties"] = {"fixSafety": f.fix.safety.value}
            result["fixes"] = [{
                "description": {"text": f.fix.description},
                "artifactChanges": [{"artifactLocation": {"uri": p, "uriBaseId": "%SRCROOT%"}, "replacements": r} for p, r in by_path.items()],
            }]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "quayside",
                "version": _version(),
                "informationUri": "https://fastapi.tiangolo.com/deployment/docker/",
                "rules": [_rule_descriptor(rid, docs_url) for rid in rule_ids],
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2)


def _version() -> str:
    from importlib.metadata import version  # only SARIF names the tool's version: plain output does not pay for it

    return version("quayside")
