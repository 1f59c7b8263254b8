"""The one runner for every external program quayside drives (docker, kubectl).

Each call is traced on the `quayside.engine` logger (the CLI shows it with --debug or QUAYSIDE_DEBUG=1): the
command, its exit code and how long it took. A failure goes to the program's own `fail` function, which turns
it into a typed error carrying the command, the exit code and stderr.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, NoReturn

log = logging.getLogger("quayside.engine")


@dataclass(frozen=True)
class Result:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Program:
    """How to run one program: where it is, its environment, and how its failures become typed errors."""

    name: str
    missing: Callable[[], NoReturn]  # no such binary on PATH
    fail: Callable[[list[str], int, str], NoReturn]  # (shown command, exit code, stderr)
    timed_out: Callable[[list[str], float, str], NoReturn]
    env: Callable[[], dict[str, str]] = field(default=lambda: dict(os.environ))

    def binary(self) -> str:
        found = shutil.which(self.name)
        if not found:
            self.missing()
        return found


def run(program: Program, args: list[str], *, timeout: float, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None, shown_args: list[str] | None = None) -> Result:
    binary = program.binary()
    shown = [program.name, *(shown_args if shown_args is not None else args)]
    started = time.monotonic()
    log.debug("$ %s", " ".join(shown))
    try:
        proc = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=timeout, input=input, check=False,
            env={**program.env(), **(env or {})}, stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        log.debug("  timed out after %.1fs", timeout)
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        program.timed_out(shown, timeout, stderr)
    log.debug("  exit %d in %.2fs", proc.returncode, time.monotonic() - started)
    if check and proc.returncode != 0:
        program.fail(shown, proc.returncode, proc.stderr)
    return Result(shown, proc.returncode, proc.stdout, proc.stderr)


def stream(program: Program, args: list[str], on_line: Callable[[str], None], *, timeout: float) -> Result:
    """A long command (a build): each output line (stdout and stderr merged) goes to on_line as it comes."""
    binary = program.binary()
    shown = [program.name, *args]
    started = time.monotonic()
    log.debug("$ %s", " ".join(shown))
    lines: list[str] = []
    proc = subprocess.Popen(
        [binary, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, bufsize=1, env=program.env(),
    )
    assert proc.stdout is not None  # PIPE was asked for
    try:
        for line in _lines(proc.stdout):
            lines.append(line)
            on_line(line)
        returncode = proc.wait(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    log.debug("  exit %d in %.2fs", returncode, time.monotonic() - started)
    output = "\n".join(lines)
    if returncode != 0:
        program.fail(shown, returncode, output)
    return Result(shown, returncode, output, output)


def _lines(handle: IO[str]) -> Iterator[str]:
    for raw in handle:
        yield raw.rstrip("\n")
