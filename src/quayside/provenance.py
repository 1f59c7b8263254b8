"""Every decision quayside makes records where it came from, so `--verbose` can explain it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Decided(Generic[T]):
    value: T
    source: str  # short, machine-friendly: "pyproject [tool.fastapi]", "auto-discovery app/main.py"
    reason: str  # one sentence for --verbose

    def explain(self, name: str) -> str:
        shown = self.value if hasattr(self.value, "entrypoint") else repr(self.value)
        return f"{name} = {shown}: {self.reason} (source: {self.source})"
