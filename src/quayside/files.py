"""Writing generated files: compare before writing, never clobber without --force, all or nothing, inside the
project only.

- Every path stays inside the project: a target, or a parent folder of one, that is a symlink leading out of the
  project is refused before anything is read or written (so an outside file is neither shown nor replaced).
- Only regular files are read: a FIFO, socket or device where a file would go is refused, never opened, and a
  file larger than MAX_COMPARE_BYTES is refused before it is read.
- Modes: a new file gets the mode the user's umask allows (0600 for a secret file, whatever the umask); a
  replaced file keeps its own mode.
- All or nothing: every file is staged next to its target first, then a journal is written and the renames
  run with SIGINT/SIGTERM held back until they are done. A run killed outright (SIGKILL, power loss) leaves the
  journal, and the next run of quayside in that project rolls the half-done change back first.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import json
import os
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from quayside.errors import ConflictError, UserInputError

MAX_COMPARE_BYTES = 2 * 1024 * 1024
JOURNAL = ".quayside-journal"
TMP_SUFFIX = ".quayside-tmp"
BACKUP_SUFFIX = ".quayside-backup"


class Change(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # exists with other content; written only with --force
    OVERWRITE = "overwrite"
    UPDATE = "update"  # lines added to a file of the user's (.gitignore): never needs --force


@dataclass(frozen=True)
class PlannedWrite:
    name: str
    path: Path
    content: str
    change: Change
    diff: str
    secret: bool = False  # written 0600 whatever the umask; its diff is never shown


def unified_diff(name: str, old: str | None, new: str) -> str:
    old_lines = (old or "").splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(
            old_lines, new.splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null", tofile=f"b/{name}",
        )
    )


def inside(root: Path, name: str) -> Path:
    """The path `name` names under root, refusing anything that would leave the project (.., absolute paths,
    symlinked folders or files pointing outside). Symlinks that stay inside are followed."""
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise UserInputError(f"{name}: not a path inside the project")
    real_root = root.resolve()
    path = root / name
    current = root
    for part in Path(name).parts:
        current = current / part
        if current.is_symlink():
            target = current.resolve()
            if not target.is_relative_to(real_root):
                rel = current.relative_to(root).as_posix()
                raise UserInputError(f"{rel} is a symlink that leads out of the project; quayside writes only inside it",
                                     path=rel, hint="replace the link with a real folder or file, or move it away")
    # a file linked to another place inside the project is written where the link points; the link stays
    return path.resolve() if path.is_symlink() else path


def read_existing(path: Path, name: str) -> str | None:
    """The current text of a file quayside would write, or None when there is none. Never opens anything but a
    regular file, and never reads a huge one."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserInputError(f"cannot look at the existing {name}: {exc.strerror}", path=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise UserInputError(f"{name} is a directory; quayside would write a file there", path=name)
    if not stat.S_ISREG(info.st_mode):
        raise UserInputError(f"{name} is not a regular file (a FIFO, socket or device); quayside writes only files",
                             path=name, hint="move it away, then run again")
    if info.st_size > MAX_COMPARE_BYTES:
        raise UserInputError(f"the existing {name} is {info.st_size} bytes, too large to be a file quayside wrote",
                             path=name, hint="move it away, then run again")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        head = path.read_bytes()[:2]
        if head in (b"\xff\xfe", b"\xfe\xff"):
            # git reads .gitignore and the like as bytes: one saved as UTF-16 (Suyash-Rajput/CRUD's) matches nothing
            raise UserInputError(f"the existing {name} is saved as UTF-16, which quayside cannot add lines to"
                                 + (" (and git reads as bytes: none of its patterns match anything)" if name.endswith("ignore") else ""),
                                 path=name, hint="save it as UTF-8 (no BOM), then run again") from None
        raise UserInputError(f"cannot read the existing {name} to compare: {exc}", path=name) from None
    except OSError as exc:
        raise UserInputError(f"cannot read the existing {name} to compare: {exc}", path=name) from None


def plan_writes(root: Path, files: dict[str, str], *, force: bool, secret: bool = False) -> list[PlannedWrite]:
    with project_lock(root):  # what a run that is still writing leaves is not for us to roll back or remove
        recover(root)
        for name in files:
            _remove_orphans(inside(root, name))
    planned = []
    for name, content in files.items():
        path = inside(root, name)
        old = read_existing(path, name)
        if old is None:
            change = Change.CREATE
        elif old == content:
            change = Change.UNCHANGED
        else:
            change = Change.OVERWRITE if force else Change.CONFLICT
        diff = "" if change is Change.UNCHANGED or secret else unified_diff(name, old, content)
        planned.append(PlannedWrite(name, path, content, change, diff, secret))
    return planned


def plan_lines(root: Path, name: str, lines: tuple[str, ...]) -> PlannedWrite:
    """A file of the user's that must contain these lines (.gitignore): missing ones are appended, nothing
    is reordered or removed, so it needs no --force."""
    path = inside(root, name)
    old = read_existing(path, name)
    present = {line.strip() for line in (old or "").splitlines()}
    missing = [line for line in lines if line not in present]
    if not missing:
        return PlannedWrite(name, path, old or "", Change.UNCHANGED, "")
    head = old or ""
    if head and not head.endswith("\n"):
        head += "\n"
    content = head + "".join(f"{line}\n" for line in missing)
    return PlannedWrite(name, path, content, Change.CREATE if old is None else Change.UPDATE, unified_diff(name, old, content))


def plan_merged(root: Path, name: str, content: str, *, secret: bool = False) -> PlannedWrite:
    """A file of the user's rewritten with every line of theirs kept (the caller merged it): no --force."""
    path = inside(root, name)
    old = read_existing(path, name)
    if old == content:
        return PlannedWrite(name, path, content, Change.UNCHANGED, "", secret)
    change = Change.CREATE if old is None else Change.UPDATE
    return PlannedWrite(name, path, content, change, "" if secret else unified_diff(name, old, content), secret)


def _mode_for(p: PlannedWrite) -> int:
    if p.secret:
        return 0o600
    if p.path.exists():
        return stat.S_IMODE(p.path.stat().st_mode)  # the user's file keeps its mode
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the renames are done (the main thread only can block them)."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # no pthread_sigmask here: nothing to hold
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


LOCK_WAIT_SECONDS = 60


@contextlib.contextmanager
def project_lock(root: Path) -> Iterator[None]:
    """One quayside run at a time writes in a project: another run's journal is live, not left over, while its
    owner holds this lock. The lock is on the project folder itself (flock), so no lock file is left behind."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield  # no folder yet: nothing to race on
        return
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UserInputError("another quayside run is writing in this project", path=root,
                                         hint="wait for it to finish, then run again") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def apply_writes(planned: list[PlannedWrite], *, root: Path | None = None) -> None:
    """Write every CREATE/OVERWRITE/UPDATE, or none: staged files first, then a journal, then the renames."""
    conflicts = [p for p in planned if p.change is Change.CONFLICT]
    if conflicts:
        names = ", ".join(p.name for p in conflicts)
        raise ConflictError(
            f"{names} already exist{'s' if len(conflicts) == 1 else ''} with other content; nothing was written",
            diffs=[p.diff for p in conflicts],
            hint="review the diff above, then run again with --force to replace, or --dry-run to only look",
        )
    todo = [p for p in planned if p.change in (Change.CREATE, Change.OVERWRITE, Change.UPDATE)]
    if not todo:
        return
    base = root or _common_root(todo)
    with project_lock(base):
        _stage_and_rename(todo, base)


def _stage_and_rename(todo: list[PlannedWrite], base: Path) -> None:
    staged: list[tuple[PlannedWrite, Path]] = []
    made_dirs: list[Path] = []
    try:
        for p in todo:
            for d in [d for d in reversed(p.path.parents) if not d.exists()]:
                d.mkdir()
                made_dirs.append(d)
            mode = _mode_for(p)
            fd, name = tempfile.mkstemp(prefix=f".{p.path.name}.", suffix=TMP_SUFFIX, dir=p.path.parent)  # 0600
            staged.append((p, Path(name)))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(p.content)
            os.chmod(name, mode)
    except BaseException as exc:  # an error or an interrupt while staging: nothing of the user's changed yet
        for _, staged_file in staged:
            staged_file.unlink(missing_ok=True)
        _remove_dirs(made_dirs)
        if isinstance(exc, OSError):
            raise UserInputError(f"cannot write into {todo[0].path.parent}: {exc.strerror}", path=todo[0].path.parent,
                                 hint="check that the directory is writable") from None
        raise
    journal = base / JOURNAL
    entries = [{"target": str(p.path), "tmp": str(tmp),
                "backup": str(p.path.with_name(f".{p.path.name}{BACKUP_SUFFIX}")) if p.path.exists() else None}
               for p, tmp in staged]
    with _signals_held():
        try:
            # the journal first: whatever happens after it, the next run can put everything back
            _write_journal(journal, entries, made_dirs)
            for entry in entries:
                if entry["backup"]:
                    Path(entry["backup"]).unlink(missing_ok=True)
                    os.link(str(entry["target"]), entry["backup"])  # the old file stays reachable until the end
            for p, staged_file in staged:
                os.replace(staged_file, p.path)
        except BaseException as exc:  # an error, or an interrupt raised in here: put everything back
            _roll_back(entries, made_dirs)
            journal.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise UserInputError(f"writing failed and was rolled back: {exc.strerror or exc}", path=exc.filename) from None
            raise
        for entry in entries:
            if entry["backup"]:
                Path(entry["backup"]).unlink(missing_ok=True)
        journal.unlink(missing_ok=True)


def _common_root(todo: list[PlannedWrite]) -> Path:
    return Path(os.path.commonpath([str(p.path.parent) for p in todo]))


def _write_journal(journal: Path, entries: list[dict[str, str | None]], made_dirs: list[Path]) -> None:
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"files": entries, "made_dirs": [str(d) for d in made_dirs]}, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _roll_back(entries: list[dict[str, str | None]], made_dirs: list[Path]) -> None:
    """Put every target back as it was: the backup (a hard link to the old file) returns, a new file goes.
    Renames happen only after every backup exists, so a target whose backup is missing was never replaced."""
    for entry in reversed(entries):
        target, tmp = Path(str(entry["target"])), Path(str(entry["tmp"]))
        backup = Path(entry["backup"]) if entry["backup"] else None
        if backup is not None and backup.exists():
            if target.exists() and os.path.samefile(backup, target):
                backup.unlink()  # never replaced: rename() between two links of one file would do nothing
            else:
                os.replace(backup, target)
        elif backup is None and not tmp.exists():
            target.unlink(missing_ok=True)  # created by this change: its staged file was renamed onto it
        tmp.unlink(missing_ok=True)
    _remove_dirs(made_dirs)


def recover(root: Path) -> bool:
    """Roll back a change a killed run left half done (its journal is still there). Returns whether it did."""
    journal = root / JOURNAL
    if not journal.is_file() or journal.is_symlink():
        return False
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        entries = [e for e in data["files"] if Path(str(e["target"])).resolve().is_relative_to(root.resolve())]
        made = [Path(d) for d in data.get("made_dirs", []) if Path(d).resolve().is_relative_to(root.resolve())]
    except (OSError, ValueError, KeyError, TypeError):
        raise UserInputError(f"{JOURNAL} is left from an interrupted run and cannot be read", path=JOURNAL,
                             hint=f"check the files it names, then delete {JOURNAL}") from None
    with _signals_held():
        _roll_back(entries, made)
        journal.unlink(missing_ok=True)
    return True


def _remove_orphans(path: Path) -> None:
    """Staged files a killed run left beside this target (named by quayside, so they are ours)."""
    if not path.parent.is_dir():
        return
    for orphan in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"):
        if orphan.is_file() and not orphan.is_symlink():
            orphan.unlink(missing_ok=True)


def _remove_dirs(made: list[Path]) -> None:
    for d in reversed(made):
        with contextlib.suppress(OSError):  # not empty any more: someone else wrote there; leave it
            d.rmdir()
