"""git through the one runner, read-only: when the project last changed, as its own history says.

Inspection uses it for one fact (the day unpinned requirements resolve as of), so every failure here means
"the history does not tell": no git, no work tree, a repository git refuses to read (another owner), or files
edited since. None of them stops inspect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from quayside.engine import runner
from quayside.errors import CommandFailed


class GitUnavailable(Exception):
    """No git on PATH, or a call that failed: the caller goes on without history."""


def _missing() -> NoReturn:
    raise GitUnavailable("git is not installed")


def _fail(command: list[str], returncode: int, stderr: str) -> NoReturn:
    raise CommandFailed(command, returncode, stderr)


def _timed_out(command: list[str], timeout: float, stderr: str) -> NoReturn:
    raise CommandFailed(command, -1, f"timed out after {timeout:g}s\n{stderr}")


# no pager, no prompts, no system config that could run a program; LC_ALL for stable messages
GIT = runner.Program("git", _missing, _fail, _timed_out,
                     env=lambda: {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
                                  "GIT_PAGER": "cat", "LC_ALL": "C"})


@dataclass(frozen=True)
class LastChange:
    committed: str  # committer date, ISO 8601 with offset
    commit: str  # abbreviated hash


def last_change(folder: Path, files: tuple[str, ...]) -> LastChange | None:
    """The newest commit that touched `folder`, when `files` (relative to it) are committed as they are on disk.
    None when the history cannot say: no git, not a work tree, nothing committed there, or one of `files`
    untracked, ignored or edited since (what is on disk then is newer than any commit)."""
    try:
        inside = runner.run(GIT, ["-C", str(folder), "rev-parse", "--is-inside-work-tree"], timeout=20, check=False)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        if files:
            tracked = runner.run(GIT, ["-C", str(folder), "ls-files", "--", *files], timeout=30)
            changed = runner.run(GIT, ["-C", str(folder), "status", "--porcelain", "--", *files], timeout=30)
            if len(tracked.stdout.splitlines()) < len(set(files)) or changed.stdout.strip():
                return None  # untracked or ignored (never in the history), or edited since
        logged = runner.run(GIT, ["-C", str(folder), "log", "-1", "--format=%cI %h", "--", "."], timeout=30)
    except (GitUnavailable, CommandFailed, OSError):
        return None
    committed, _, commit = logged.stdout.strip().partition(" ")
    return LastChange(committed, commit) if committed and commit else None


# the project's own ignore files (.gitignore at any depth, .git/info/exclude), not this machine's global one
_PROJECT_EXCLUDES = ["-c", "core.excludesFile=/dev/null"]
MAX_IGNORED = 500  # ignored paths listed below the copied folders; a tree with more is someone's cache


def _in_work_tree(folder: Path) -> bool:
    inside = runner.run(GIT, ["-C", str(folder), "rev-parse", "--is-inside-work-tree"], timeout=20, check=False)
    return inside.returncode == 0 and inside.stdout.strip() == "true"


def _git_args(folder: Path, empty: str) -> list[str]:
    """In a work tree, git reads it as it is (tracked files are never ignored); elsewhere (a downloaded copy
    with its .gitignore), an empty repository of quayside's own, outside the project, reads the folder as its
    work tree: nothing is written into the project."""
    if _in_work_tree(folder):
        return [*_PROJECT_EXCLUDES, "-C", str(folder)]
    runner.run(GIT, ["init", "-q", "--bare", empty], timeout=30)
    return [*_PROJECT_EXCLUDES, f"--git-dir={empty}", f"--work-tree={folder}", "-C", str(folder)]


def ignored(folder: Path, paths: list[str]) -> frozenset[str]:
    """Which of `paths` (relative to `folder`, existing or not) the project's .gitignore files keep out of its
    repository, and git does not track: what a clean checkout, and so an image built in CI, never holds
    (a key.json of Supabase keys). Empty when git cannot tell."""
    import tempfile

    if not paths:
        return frozenset()
    try:
        with tempfile.TemporaryDirectory(prefix="quayside-git-") as empty:
            found = runner.run(GIT, [*_git_args(folder, empty), "check-ignore", "--", *paths], timeout=30, check=False)
    except (GitUnavailable, CommandFailed, OSError):
        return frozenset()
    if found.returncode not in (0, 1):  # 1: none of them is ignored
        return frozenset()
    return frozenset(line.strip().rstrip("/") for line in found.stdout.splitlines() if line.strip()) & set(paths)


def ignored_below(folder: Path, folders: list[str]) -> list[str]:
    """Files and folders below `folders` that the project's .gitignore files keep out of its repository and
    git does not track (an app/config/key.json beside the code), relative to `folder`, sorted. Empty when git
    cannot tell or when there are more than MAX_IGNORED."""
    import tempfile

    if not folders:
        return []
    try:
        with tempfile.TemporaryDirectory(prefix="quayside-git-") as empty:
            found = runner.run(GIT, [*_git_args(folder, empty), "ls-files", "--others", "--ignored", "--exclude-standard",
                                     "--directory", "--", *folders], timeout=60, check=False)
    except (GitUnavailable, CommandFailed, OSError):
        return []
    lines = [line.strip().rstrip("/") for line in found.stdout.splitlines() if line.strip()]
    return sorted(lines) if found.returncode == 0 and len(lines) <= MAX_IGNORED else []
