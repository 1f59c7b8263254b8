"""Every error quayside reports. Core modules raise these; only the CLI prints them and turns them into exit codes.

Exit codes: 1 a check failed (verify, check --fail-on: the CLI decides) or the project's image did not build;
2 bad input or a file conflict; 3 the engine, a cluster, or a program quayside runs failed.
"""

from __future__ import annotations

from pathlib import Path


class QuaysideError(Exception):
    """Base of every error quayside reports to a user without a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        tail = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{tail}"


# --- the user's input (exit 2) ---------------------------------------------------------------------------


class UserInputError(QuaysideError):
    """The project or the command line is not something we can work with (exit 2)."""


class ConflictError(QuaysideError):
    """A file we would write exists with other content and --force was not given (exit 2)."""

    def __init__(self, message: str, *, diffs: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.diffs = diffs


class RenderError(QuaysideError):
    """A template is missing or failed to render: a broken installation or a bug, never the user's input (exit 3)."""

    exit_code = 3


# --- programs quayside runs (exit 3) ------------------------------------------------------------------------


class CommandFailed(QuaysideError):
    """An external program failed: carries the command, its exit code and stderr (exit 3)."""

    exit_code = 3

    def __init__(self, command: list[str], returncode: int, stderr: str, *, hint: str | None = None) -> None:
        tail = stderr.strip().splitlines()[-12:]
        super().__init__(
            f"`{' '.join(command)}` failed with exit code {returncode}" + ("\n" + "\n".join(tail) if tail else ""),
            hint=hint,
        )
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class DockerError(CommandFailed):
    """A docker CLI call failed."""


class KubectlError(CommandFailed):
    """A kubectl call failed."""


class EngineUnavailable(QuaysideError):
    """No docker CLI, no engine answering, or a missing plugin (exit 3)."""

    exit_code = 3


class ImageNotFound(QuaysideError):
    """The engine answers, but has no image by that name (exit 3)."""

    exit_code = 3


class ClusterUnavailable(QuaysideError):
    """No kubectl, or no cluster answers with the current kubeconfig/context (exit 3)."""

    exit_code = 3


# --- the project's own build failed (exit 1) -------------------------------------------------------------

class BuildFailed(QuaysideError):
    """The project's image did not build (a step failed): its own output and what fixes it (exit 1). A failure
    of the engine or buildx stays a DockerError (exit 3)."""

    exit_code = 1


# --- a target's run failed (exit 3) -------------------------------------------------------------------------


class ComposeUpFailed(QuaysideError):
    """`docker compose up` failed or a service never became healthy; carries the failing services' logs (exit 3)."""

    exit_code = 3


class DeployFailed(QuaysideError):
    """A swarm stack rolled back or did not converge; carries the tasks' errors and logs (exit 3)."""

    exit_code = 3


class RolloutFailed(QuaysideError):
    """A Kubernetes migration Job or rollout failed; the app was not (or not fully) changed (exit 3)."""

    exit_code = 3
