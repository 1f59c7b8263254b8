"""Apply fixes: edits per file, non-overlapping, written all together or not at all."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quayside.check.model import Finding, TextEdit

if TYPE_CHECKING:
    from quayside.check import CheckConfig, CheckResult
from quayside.files import Change, PlannedWrite, apply_writes, inside, unified_diff


@dataclass
class FixPlan:
    writes: list[PlannedWrite]
    applied: list[Finding]
    skipped: list[Finding]  # their edits overlapped an earlier fix in the same file
    unsafe: list[Finding]  # fixable, but only with --unsafe-fixes


def plan_fixes(root: Path, findings: list[Finding], texts: dict[str, str], *, unsafe: bool = False) -> FixPlan:
    edits_by_path: dict[str, list[tuple[TextEdit, Finding]]] = defaultdict(list)
    applied: list[Finding] = []
    skipped: list[Finding] = []
    held_back = [f for f in findings if f.fixable and not f.fixable_with(unsafe=unsafe)]
    taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for finding in findings:
        if finding.fix is None or not finding.fixable_with(unsafe=unsafe):
            continue
        edits = finding.fix.edits
        clash = any(
            any(not (e.end <= s or e.start >= t) or (e.start == e.end == s == t) for s, t in taken[e.path])
            for e in edits
        )
        if clash:
            skipped.append(finding)
            continue
        for e in edits:
            taken[e.path].append((e.start, e.end))
            edits_by_path[e.path].append((e, finding))
        applied.append(finding)
    writes = []
    for path, items in edits_by_path.items():
        original = texts.get(path)
        target = inside(root, path)  # a fix never writes through a link out of the project
        exists = target.exists()
        text = original if original is not None else ""
        for edit, _ in sorted(items, key=lambda item: (item[0].start, item[0].end), reverse=True):
            text = text[: edit.start] + edit.text + text[edit.end :]
        writes.append(PlannedWrite(path, target, text, Change.OVERWRITE if exists else Change.CREATE,
                                   unified_diff(path, original if exists else None, text)))
    return FixPlan(writes, applied, skipped, held_back)


MAX_PASSES = 5


@dataclass
class FixOutcome:
    result: CheckResult  # the findings after the last pass
    fixed: int
    unsafe_left: int  # fixes held back for --unsafe-fixes


def fix_until_stable(root: Path, *, only: list[str] | None, config: CheckConfig, unsafe: bool) -> FixOutcome:
    """Apply fixes, recheck, repeat: a fix can make another possible (shell form → exec form → --reload removable).
    Each pass writes all of its files or none."""
    from quayside.check import run_check

    result = run_check(root, only=only, config=config)
    plan = plan_fixes(root, result.findings, result.texts, unsafe=unsafe)
    fixed = 0
    for _ in range(MAX_PASSES):
        if not plan.writes:
            break
        apply_writes(plan.writes, root=root)
        fixed += len(plan.applied)
        result = run_check(root, only=only, config=config)
        plan = plan_fixes(root, result.findings, result.texts, unsafe=unsafe)
    return FixOutcome(result, fixed, len(plan.unsafe))
