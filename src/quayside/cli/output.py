"""The consoles, error reporting, tables and build progress every command shares: the only place that prints."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from quayside.errors import ConflictError, QuaysideError, UserInputError

if TYPE_CHECKING:
    from quayside.build import BuildResult, Step

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(line: str) -> None:
    out.print(line, markup=False, highlight=False)


def warn(line: str) -> None:
    err.print(line, markup=False, highlight=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """A QuaysideError becomes one message (a conflict also shows its diffs) and its exit code, never a traceback."""
    try:
        yield
    except ConflictError as exc:
        for diff in exc.diffs:
            out.print(diff, markup=False, end="")
        warn(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except QuaysideError as exc:
        warn(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        # the file system refused or changed under us (a folder gone while walking it): one line, not a traceback;
        # --debug keeps the traceback for a report
        if _debug_handler in logging.getLogger("quayside.engine").handlers:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        warn(f"error: {exc.strerror or exc}{where}; run it again, and with --debug for where it happened")
        raise typer.Exit(3) from None


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner swaps it between invocations)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: that flushes the old stream, which a test runner may have closed
        super().emit(record)


_debug_handler = _StderrHandler()
_debug_handler.setFormatter(logging.Formatter("debug: %(message)s"))


def set_debug(on: bool) -> None:
    """Trace every external command (the engine runner logs each one) on stderr, or stop tracing."""
    engine = logging.getLogger("quayside.engine")
    engine.removeHandler(_debug_handler)
    if on:
        engine.addHandler(_debug_handler)
        engine.setLevel(logging.DEBUG)


def table(title: str, rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    """A rich table on a terminal; plain aligned lines otherwise (logs, CI, pipes)."""
    if out.is_terminal:
        from rich.table import Table

        shown = Table(title=title, show_lines=False)
        for h in headers:
            shown.add_column(h, overflow="fold")
        for row in rows:
            shown.add_row(*row)
        out.print(shown)
        return
    say(title)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        say("  ".join(cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)).rstrip())


def _step_printer() -> tuple[Callable[[Step, str], None], Callable[[], None]]:
    """Live status on a terminal; one plain line per step otherwise."""
    if out.is_terminal:
        status = out.status("building…")
        status.start()

        def on_tty(step: Step, event: str) -> None:
            label = f"[{step.stage + ' ' if step.stage else ''}{step.index}/{step.total}] {step.name[:90]}"
            if event == "start":
                status.update(f"building {label}")
            elif event in ("cached", "done"):
                suffix = "CACHED" if step.cached else f"{step.seconds or 0:.1f}s"
                say(f"  {label}  {suffix}")

        return on_tty, status.stop

    def on_plain(step: Step, event: str) -> None:
        if event in ("cached", "done"):
            suffix = "CACHED" if step.cached else f"{step.seconds or 0:.1f}s"
            say(f"step {step.id}: [{step.stage + ' ' if step.stage else ''}{step.index}/{step.total}] {step.name[:120]}  {suffix}")

    return on_plain, lambda: None


def printing_build(root: Path, *, tag: str, dockerfile: str = "Dockerfile", no_cache: bool = False,
                   secrets: Mapping[str, Path] | None = None, network: str | None = None) -> BuildResult:
    """build_image with its progress shown, then one summary line."""
    from quayside.build import build_image

    if not root.is_dir():
        raise UserInputError("is not a directory", path=root, hint="pass the project directory")
    on_step, stop = _step_printer()
    try:
        result = build_image(root, tag=tag, dockerfile=dockerfile, on_step=on_step, no_cache=no_cache, secrets=secrets,
                             network=network)
    finally:
        stop()
    cached = sum(1 for s in result.steps if s.cached)
    say(f"built {result.tag} ({result.image_id[:19]}) in {result.seconds:.1f}s: "
        f"{result.size_bytes / 1e6:.1f} MB, {cached}/{len(result.steps)} steps cached")
    return result
