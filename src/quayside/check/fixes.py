"""Apply fixes: edits per file, non-overlapping, written all together or not at all."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from quayside.check.model import Finding, TextEdit
from quayside.files import PlannedWrite, Change, unified_diff


@dataclass
class FixPlan:
    writes: list[PlannedWrite]
    applied: list[Finding]
    skipped: list[Finding]  # their edits overlapped an earlier fix in the same file


def plan_fixes(root: Path, findings: list[Finding], texts: dict[str, str]) -> FixPlan:
    edits_by_path: dict[str, list[tuple[TextEdit, Finding]]] = defaultdict(list)
    applied: list[Finding] = []
    skipped: list[Finding] = []
    taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for finding in findings:
        if finding.fix is None:
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
        exists = (root / path).exists()
        text = original if original is not None else ""
        for edit, _ in sorted(items, key=lambda item: (item[0].start, item[0].end), reverse=True):
            text = text[: edit.start] + edit.text + text[edit.end :]
        writes.append(PlannedWrite(path, root / path, text, Change.OVERWRITE if exists else Change.CREATE,
                                   unified_diff(path, original if exists else None, text)))
    return FixPlan(writes, applied, skipped)
