"""Regular expressions compiled on first use.

`quayside check` on one Dockerfile in CI is mostly start-up, and compiling every rule's patterns at import
was a fifth of it; most runs use a few of them. No kept library does this, so it is written here.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        value = getattr(self._compiled, name)
        setattr(self, name, value)  # kept: the next use is a plain attribute lookup, not this method
        return value


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile, deferred until a method of the pattern is first called."""
    return _Lazy(pattern, flags)  # type: ignore[return-value]  # it stands in for the pattern
