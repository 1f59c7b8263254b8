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
