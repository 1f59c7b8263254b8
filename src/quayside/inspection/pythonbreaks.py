"""Releases that fail at import on a newer Python although nothing in their files says so.

A pure-Python wheel (`py3-none-any`) claims every Python 3, and a release's date does not tell either:
Svogg/fastapi_redis pins aioredis 2.0.1 (2021-12) beside fastapi 0.97 (2023-06), which makes 3.11 the Python of
its day, and aioredis 2 cannot be imported on 3.11. Each release here is one such fault, widely reported and
never fixed (its project is archived), with the error it shows and the way out; the image takes the newest
Python below it that the project allows, and verify names it when the project's own pin keeps the newer one.
A table, not a rule: only faults seen and reported are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from quayside.inspection.source import read_requirements_text


@dataclass(frozen=True)
class PythonBreak:
    name: str  # canonical distribution name
    releases: tuple[str, ...]  # the releases that fail: its last ones (no later release came), newest last
    fails_from: str  # the first Python they fail on
    symptom: str  # the error at import, as the log shows it
    instead: str  # the fix on the project's side
    reference: str


KNOWN: tuple[PythonBreak, ...] = (
    PythonBreak(
        name="aioredis",
        releases=("2.0.0", "2.0.1"),
        fails_from="3.11",
        symptom="TypeError: duplicate base class TimeoutError",
        instead="redis>=4.2 has it as redis.asyncio (`from redis import asyncio as aioredis`)",
        reference="https://github.com/aio-libs-abandoned/aioredis-py/issues/1409",
    ),
)


@dataclass(frozen=True)
class Found:
    fault: PythonBreak
    release: str  # "2.0.1", or "2.0.1 (the newest the range admits)"
    origin: str  # where the project asks for it


def found_in(root: Path, requirement_files: tuple[str, ...], pyproject: dict[str, Any] | None,
             locks: tuple[str, ...]) -> list[Found]:
    """Each listed fault the image would install: a locked release (the lock holds what comes in through other
    packages too), else an exact pin or a range that admits a failing release, in a requirements file or the
    pyproject's dependencies."""
    from quayside.inspection.source import load_lock

    found: list[Found] = []
    for fault in KNOWN:
        lock = next((name for name in locks if (root / name).is_file()), None)
        if lock is not None:
            try:
                entries = load_lock(root / lock, display=lock).get("package", [])
            except Exception:  # noqa: BLE001 - an unreadable lock is refused elsewhere, with its own message
                entries = []
            versions = [str(e.get("version")) for e in entries
                        if isinstance(e, dict) and canonicalize_name(str(e.get("name", ""))) == fault.name]
            found += [Found(fault, v, lock) for v in versions if _fails(fault, v)]
            continue
        for specifier, origin in _declared(root, requirement_files, pyproject, fault.name):
            # pip and uv take the newest release a range admits: a failing one whenever it admits any
            admitted = [v for v in fault.releases if specifier.contains(v, prereleases=True)]
            if admitted:
                exact = any(s.operator in ("==", "===") for s in specifier)
                found.append(Found(fault, admitted[-1] if exact else
                                   f"{admitted[-1]} (the newest release {str(specifier) or 'no bound'} admits)", origin))
    return found


def _fails(fault: PythonBreak, version: str) -> bool:
    try:
        return any(Version(version) == Version(release) for release in fault.releases)
    except InvalidVersion:
        return False


def _declared(root: Path, requirement_files: tuple[str, ...], pyproject: dict[str, Any] | None,
              name: str) -> list[tuple[SpecifierSet, str]]:
    """(specifier, where) of every declaration of `name` without a marker that could leave it out."""
    found: list[tuple[SpecifierSet, str]] = []
    for rel in requirement_files:
        try:
            lines = read_requirements_text(root / rel).splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            req = _requirement(re.sub(r"(^|\s)#.*$", "", line).split(" --hash")[0].strip().rstrip("\\").strip())
            if req is not None and canonicalize_name(req.name) == name:
                found.append((req.specifier, f"{rel}:{number}"))
    if pyproject is not None:
        for item in pyproject.get("project", {}).get("dependencies", []) or []:
            req = _requirement(str(item))
            if req is not None and canonicalize_name(req.name) == name:
                found.append((req.specifier, "pyproject.toml [project] dependencies"))
        poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
        for declared, spec in (poetry.items() if isinstance(poetry, dict) else ()):
            if canonicalize_name(declared) == name:
                specifier = _poetry_specifier(spec)
                if specifier is not None:
                    found.append((specifier, "pyproject.toml [tool.poetry.dependencies]"))
    return found


def _requirement(line: str) -> Requirement | None:
    if not line or line.startswith(("-", ".", "/")):
        return None
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return None
    return None if req.marker is not None or req.url else req


def _poetry_specifier(spec: Any) -> SpecifierSet | None:
    from quayside.inspection.poetryranges import NotExportable, specifier

    text = spec if isinstance(spec, str) else spec.get("version", "*") if isinstance(spec, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return SpecifierSet(specifier(text))
    except (NotExportable, ValueError):
        return None


_IN_SITE_PACKAGES = re.compile(r"/python3\.(\d+)/site-packages/([A-Za-z0-9_]+)/")


def cause_from_logs(logs: str) -> str | None:
    """The listed fault a failed start shows (its error, raised inside its package's own files), named with the
    Python it failed on and the way out."""
    for fault in KNOWN:
        if fault.symptom not in logs:
            continue
        minor = next((m[1] for m in _IN_SITE_PACKAGES.finditer(logs) if canonicalize_name(m[2]) == fault.name), None)
        if minor is None:
            continue
        older = f"3.{int(fault.fails_from.split('.')[1]) - 1}"
        return (f"{fault.name} {fault.releases[0]}–{fault.releases[-1]} fails at import on Python 3.{minor} ({fault.symptom}; a known fault, "
                f"never fixed: {fault.reference}): build on Python {older} (--python {older}, or let the project "
                f"allow it), or move the code to what replaced it: {fault.instead}; ")
    return None
