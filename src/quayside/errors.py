"""Typed errors. Core modules raise these; only the CLI layer prints them and chooses the exit code."""

from __future__ import annotations

from pathlib import Path


class QuaysideError(Exception):
    """Base of every error quayside reports to a user without a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, path: Path | str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        tail = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{tail}"


class UserInputError(QuaysideError):
    """The project or the command line is not something we can work with (exit 2)."""


class ConflictError(QuaysideError):
    """A file we would write exists with other content and --force was not given (exit 2)."""

    def __init__(self, message: str, *, diffs: list[str], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.diffs = diffs


class DockerError(QuaysideError):
    """A docker CLI call failed: carries the command, its exit code and stderr (exit 3)."""

    exit_code = 3

    def __init__(self, command: list[str], returncode: int, stderr: str, *, hint: str | None = None):
        tail = stderr.strip().splitlines()[-12:]
        super().__init__(
            f"`{' '.join(command)}` failed with exit code {returncode}" + ("\n" + "\n".join(tail) if tail else ""),
            hint=hint,
        )
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class EngineUnavailable(QuaysideError):
    """No docker CLI, no engine answering, or a missing plugin (exit 3)."""

    exit_code = 3


class VerificationFailed(QuaysideError):
    """verify ran, and at least one check failed (exit 1)."""

    exit_code = 1


class KubectlError(DockerError):
    """A kubectl call failed: the command, its exit code and stderr (exit 3)."""


class ClusterUnavailable(QuaysideError):
    """No kubectl, or no cluster answers with the current kubeconfig/context (exit 3)."""

    exit_code = 3
