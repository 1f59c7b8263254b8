"""The command line: the only layer that prints and exits. Each command is a module of this package; core
modules raise typed errors (quayside.errors) and `user_errors` turns them into one message and an exit code.

Exit codes: 0 success; 1 a verify check failed, check found something at --fail-on, or the project's build
failed; 2 bad input or a file conflict; 3 the engine, a cluster or a program quayside runs failed.
"""

from __future__ import annotations

import sys
from typing import Any

# Each module registers its commands on `app`; they import what they use inside their bodies, so
# `quayside check` in a pre-commit hook does not pay for jinja2 or the verify machinery at start.
from quayside.cli import build, check, compose, deploy, init, inspect, verify  # noqa: F401
from quayside.cli.app import app
from quayside.cli.output import warn

__all__ = ["app", "main"]


def main() -> Any:
    try:
        return app()
    except KeyboardInterrupt:
        warn("interrupted")
        sys.exit(130)
