"""Writing generated files: compare before writing, never clobber without --force, all or nothing."""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from quayside.errors import ConflictError, UserInputError


class Change(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # exists with other content; written only with --force
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class PlannedWrite:
    name: str
    path: Path
    content: str
    change: Change
    diff: str


def unified_diff(name: str, old: str | None, new: str) -> str:
    old_lines = (old or "").splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(
            old_lines, new.splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null", tofile=f"b/{name}",
        )
    )


def plan_writes(root: Path, files: dict[str, str], *, force: bool) -> list[PlannedWrite]:
    planned = []
    for name, content in files.items():
        path = root / name
        if path.is_dir():
            raise UserInputError(f"{name} is a directory; quayside would write a file there", path=path)
        old: str | None = None
        if path.exists():
            try:
                old = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UserInputError(f"cannot read the existing {name} to compare: {exc}", path=path) from None
        if old is None:
            change = Change.CREATE
        elif old == content:
            change = Change.UNCHANGED
        else:
            change = Change.OVERWRITE if force else Change.CONFLICT
        planned.append(PlannedWrite(name, path, content, change, "" if change is Change.UNCHANGED else unified_diff(name, old, content)))
    return planned


def apply_writes(planned: list[PlannedWrite]) -> None:
    """Write every CREATE/OVERWRITE, or none: temp files first, then renames, rolled back on failure."""
    conflicts = [p for p in planned if p.change is Change.CONFLICT]
    if conflicts:
        names = ", ".join(p.name for p in conflicts)
        raise ConflictError(
            f"{names} already exist{'s' if len(conflicts) == 1 else ''} with other content; nothing was written",
            diffs=[p.diff for p in conflicts],
            hint="review the diff above, then run again with --force to replace, or --dry-run to only look",
        )
    todo = [p for p in planned if p.change in (Change.CREATE, Change.OVERWRITE)]
    staged: list[tuple[PlannedWrite, Path]] = []
    made_dirs: list[Path] = []
    try:
        for p in todo:
            missing = [d for d in reversed(p.path.parents) if not d.exists()]
            for d in missing:
                d.mkdir()
                made_dirs.append(d)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.path.name}.", suffix=".quayside-tmp", dir=p.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(p.content)
            os.chmod(tmp, 0o644)
            staged.append((p, Path(tmp)))
    except OSError as exc:
        for _, staged_tmp in staged:
            staged_tmp.unlink(missing_ok=True)
        _remove_dirs(made_dirs)
        raise UserInputError(f"cannot write into {todo[0].path.parent}: {exc.strerror}", path=todo[0].path.parent,
                             hint="check that the directory is writable") from None
    done: list[tuple[PlannedWrite, bytes | None]] = []
    try:
        for p, staged_tmp in staged:
            previous = p.path.read_bytes() if p.path.exists() else None
            os.replace(staged_tmp, p.path)
            done.append((p, previous))
    except OSError as exc:
        for p, previous in reversed(done):
            if previous is None:
                p.path.unlink(missing_ok=True)
            else:
                p.path.write_bytes(previous)
        for _, staged_tmp in staged:
            staged_tmp.unlink(missing_ok=True)
        _remove_dirs(made_dirs)
        raise UserInputError(f"writing failed and was rolled back: {exc}", path=exc.filename) from None


def _remove_dirs(made: list[Path]) -> None:
    for d in reversed(made):
        with contextlib.suppress(OSError):  # not empty any more: someone else wrote there; leave it
            d.rmdir()
