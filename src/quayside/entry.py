"""The `quayside` program: `check` with plain arguments and output to a pipe starts on the fast path
(quayside.checkcli); everything else goes to the typer application."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def main() -> Any:
    from quayside.checkcli import run_fast

    try:
        code = run_fast(sys.argv[1:])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from quayside.cli import main as full

    return full()
