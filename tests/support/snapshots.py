"""Byte-stable output: every generated file is compared with its snapshot under tests/snapshots/.

QUAYSIDE_UPDATE_SNAPSHOTS=1 writes them instead (review the diff before committing)."""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"


class Snapshots:
    def __init__(self, directory: Path = SNAPSHOTS, *, update: bool | None = None) -> None:
        self.directory = directory
        self.update = os.environ.get("QUAYSIDE_UPDATE_SNAPSHOTS") == "1" if update is None else update

    def path(self, name: str) -> Path:
        return self.directory / name

    def assert_match(self, name: str, text: str) -> None:
        """`name` is the snapshot's path under tests/snapshots/ (e.g. "compose-items-service-auto-none/compose.yaml")."""
        snapshot = self.path(name)
        if self.update:
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            snapshot.write_text(text, encoding="utf-8")
        assert snapshot.is_file(), f"no snapshot {name}: run with QUAYSIDE_UPDATE_SNAPSHOTS=1 and review it"
        assert text == snapshot.read_text(encoding="utf-8"), f"{name} differs from its snapshot"
