"""The Python version the image should use: `.python-version`, then requires-python, then lock files, else a default."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from quayside.errors import UserInputError
from quayside.inspection.source import load_lock, read_text
from quayside.provenance import Decided

DEFAULT_PYTHON = "3.12"
# the python:X.Y images quayside will pick from a range, newest last
KNOWN_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
# past these, a Python gets no security fixes: quayside picks one only when the project's pins leave no other
END_OF_LIFE = {"3.8": "2024-10", "3.9": "2025-10", "3.10": "2026-10"}
# each Python's release day: requirements resolved as of a day get the Python of that day
RELEASED = {"3.8": "2019-10-14", "3.9": "2020-10-05", "3.10": "2021-10-04", "3.11": "2022-10-24", "3.12": "2023-10-02",
            "3.13": "2024-10-07", "3.14": "2025-10-07"}
# how long after a Python's release its wheels are out for most libraries: until then it is not yet "of the time"
WHEELS_LAG_DAYS = 60

_VERSION_IN_TEXT = re.compile(r"(?:^|[^\d.])(3\.\d{1,2})(?:\.\d+)?")


def _pick(specifier: SpecifierSet) -> str | None:
    # prefer the default when the range allows it; else the newest allowed
    def allows(minor: str) -> bool:
        # every patch release, so an exact pin (Poetry's "3.11.7", ==3.11.7) allows its minor
        return any(Version(f"{minor}.{patch}") in specifier for patch in range(100))

    if allows(DEFAULT_PYTHON):
        return DEFAULT_PYTHON
    # the floor the project declares is what it surely supports; else the newest below the default
    newer = [c for c in KNOWN_PYTHONS if Version(c) > Version(DEFAULT_PYTHON) and allows(c)]
    older = [c for c in KNOWN_PYTHONS if Version(c) < Version(DEFAULT_PYTHON) and allows(c)]
    return newer[0] if newer else (older[-1] if older else None)


def _poetry_range(text: str) -> str:
    """Poetry's ^ and ~ ranges in PEP 440 terms (only what python constraints use)."""
    parts = []
    for clause in text.split(","):
        clause = clause.strip()
        m = re.fullmatch(r"\^(\d+)\.(\d+)(?:\.\d+)?", clause)
        if m:
            parts += [f">={m[1]}.{m[2]}", f"<{int(m[1]) + 1}"]
            continue
        m = re.fullmatch(r"~(\d+)\.(\d+)(?:\.\d+)?", clause)
        if m:
            parts += [f">={m[1]}.{m[2]}", f"<{m[1]}.{int(m[2]) + 1}"]
            continue
        if clause == "*":
            continue  # any version
        if re.fullmatch(r"\d+(\.\d+)*(\.\*)?", clause):
            parts.append(f"=={clause}")  # Poetry's bare "3.11.7" (or "3.11.*") means exactly that
            continue
        parts.append(clause)
    return ",".join(parts)


def _fits(raw: str) -> bool:
    try:
        return _pick(SpecifierSet(raw)) is not None
    except InvalidSpecifier:
        return False


def _from_range(raw: str, source: str, what: str) -> Decided[str]:
    try:
        specifier = SpecifierSet(raw)
    except InvalidSpecifier:
        raise UserInputError(f"{what} {raw!r} is not a valid version range", path=source.split(" ")[0]) from None
    chosen = _pick(specifier)
    if chosen is None:
        raise UserInputError(
            f"{what} {raw!r} allows none of Python {', '.join(KNOWN_PYTHONS)}",
            path=source.split(" ")[0],
            hint="widen the range, or pass --python X.Y",
        )
    how = "the default" if chosen == DEFAULT_PYTHON else "the version nearest the default that it allows"
    return Decided(chosen, source, f"{what} is {raw!r}; {chosen} is {how}")


def detect(root: Path, pyproject: dict[str, Any] | None) -> Decided[str]:
    pinned = root / ".python-version"
    if pinned.is_file():
        first = next((line.strip() for line in read_text(pinned, what=".python-version").splitlines() if line.strip()), "")
        m = _VERSION_IN_TEXT.search(first)
        if not m:
            raise UserInputError(
                f".python-version says {first!r}, which names no CPython 3.x version",
                path=".python-version",
                hint="write a version such as 3.12, or pass --python X.Y",
            )
        return Decided(m[1], ".python-version", f".python-version pins {first}")
    if pyproject is not None:
        requires = pyproject.get("project", {}).get("requires-python")
        if isinstance(requires, str):
            return _from_range(requires, "pyproject.toml requires-python", "requires-python")
        poetry_python = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
        if isinstance(poetry_python, str):
            source, what = "pyproject.toml [tool.poetry.dependencies] python", "Poetry's python constraint"
            # Poetry's `||`: any of the alternatives; the one that allows the default wins, else the first that fits
            decided = [_from_range(_poetry_range(alt), source, what) for alt in poetry_python.split("||")
                       if _fits(_poetry_range(alt))]
            if not decided:
                return _from_range(_poetry_range(poetry_python.split("||")[0]), source, what)  # its error
            # the same preference as one range: the default, else the nearest newer, else the newest older
            newer = sorted((d for d in decided if Version(d.value) > Version(DEFAULT_PYTHON)), key=lambda d: Version(d.value))
            older = sorted((d for d in decided if Version(d.value) < Version(DEFAULT_PYTHON)), key=lambda d: Version(d.value))
            best = next((d for d in decided if d.value == DEFAULT_PYTHON), None) or (newer or older[::-1])[0]
            return Decided(best.value, source, f"{what} is {poetry_python!r}; {best.reason.rsplit('; ', 1)[-1]}")
    if (root / "uv.lock").is_file():
        requires = load_lock(root / "uv.lock", display="uv.lock").get("requires-python")
        if isinstance(requires, str):
            return _from_range(requires, "uv.lock requires-python", "uv.lock's requires-python")
    # only when the lock is what installs: a requirements.txt beside it comes first (dependencies.detect)
    if (root / "Pipfile.lock").is_file() and not (root / "requirements.txt").is_file():
        from quayside.inspection import pipfilelock

        locked = pipfilelock.python_version(root)
        if locked is not None:
            return Decided(locked, "Pipfile.lock _meta.requires", f"Pipfile.lock was made for Python {locked}")
    runtime = root / "runtime.txt"
    if runtime.is_file():
        m = _VERSION_IN_TEXT.search(read_text(runtime, what="runtime.txt"))
        if m:
            return Decided(m[1], "runtime.txt", "runtime.txt (the PaaS convention) names it")
    if (ran := dockerfile_python(root)) is not None:
        return ran
    return Decided(DEFAULT_PYTHON, "default", f"nothing in the project pins a Python version; {DEFAULT_PYTHON} is quayside's default")


MARKER = "# quayside-python: "
# the images whose tag names the Python they run: python:3.14.3-slim, ghcr.io/astral-sh/uv:python3.12-bookworm-slim,
# tiangolo/uvicorn-gunicorn-fastapi:python3.11
_PYTHON_IN_TAG = {"python": re.compile(r"^(3\.\d{1,2})(?:[.-]|$)"), "ghcr.io/astral-sh/uv": re.compile(r"^python(3\.\d{1,2})\b"),
                  "tiangolo/uvicorn-gunicorn-fastapi": re.compile(r"^python(3\.\d{1,2})\b"),
                  "tiangolo/uvicorn-gunicorn": re.compile(r"^python(3\.\d{1,2})\b")}


def dockerfile_python(root: Path) -> Decided[str] | None:
    """The Python the project's own Dockerfile runs the app on, when nothing else in the project names one
    (joseantoniogahez/tech_fastapi_react_postgres_docker: `ARG PYTHON_VERSION=3.14.3`, `FROM python:${...}-slim`, and
    code that needs 3.14's deferred annotations). One past its end of life is history, not a requirement: the pins
    decide then. Read again from the marker of quayside's own Dockerfile that replaced it."""
    from quayside.inspection.baseimage import image_name
    from quayside.inspection.projectdockerfile import read_project_dockerfile

    found = read_project_dockerfile(root)
    if found is None:
        return None
    file, text = found.file, found.text
    if found.generated:
        kept = found.kept(MARKER)
        if kept is None or kept[1] not in KNOWN_PYTHONS or kept[1] in END_OF_LIFE:
            return None
        return Decided(kept[1], f"{file}:{kept[0]} (quayside-python)",
                       f"the project's Dockerfile, which init replaced, ran the app on Python {kept[1]}")
    from quayside.check.dockerfile import parse

    try:
        dockerfile = parse(text, file)
    except UserInputError:
        return None
    stage = dockerfile.final_stage
    if stage is None:
        return None
    base = dockerfile.stage_chain(stage)[-1]
    reference = base.base_resolved.split("@", 1)[0]
    tag = reference.rsplit(":", 1)[1] if ":" in reference.rsplit("/", 1)[-1] else ""
    pattern = _PYTHON_IN_TAG.get(image_name(reference))
    m = pattern.match(tag) if pattern is not None else None
    if m is None or m[1] not in KNOWN_PYTHONS or m[1] in END_OF_LIFE:
        return None
    return Decided(m[1], f"{file}:{base.from_instruction.line}", f"the project's Dockerfile runs the app on {reference}")


def refuses(pyproject: dict[str, Any] | None, version: str) -> str | None:
    """Why the project's own constraint (requires-python, Poetry's python) rules out Python `version`, or None."""
    if pyproject is None:
        return None
    requires = pyproject.get("project", {}).get("requires-python")
    ranges: list[tuple[str, str]] = []
    if isinstance(requires, str):
        ranges.append((requires, "requires-python"))
    poetry_python = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry_python, str):
        ranges += [(_poetry_range(alt), "Poetry's python constraint") for alt in poetry_python.split("||")]
    for raw, _what in ranges:
        try:
            if SpecifierSet(raw).contains(Version(f"{version}.99"), prereleases=True) or \
                    SpecifierSet(raw).contains(Version(f"{version}.0"), prereleases=True):
                return None
        except InvalidSpecifier:
            return None
    if not ranges:
        return None
    return f"the project's {ranges[0][1]} is {(requires if isinstance(requires, str) else poetry_python)!r}"


def fit_to_lock(root: Path, pyproject: dict[str, Any] | None, decided: Decided[str]) -> Decided[str]:
    """The version, moved to one the lock's releases all have Linux wheels for, when the project does not pin it
    (.python-version) and its constraint allows another: the chosen one first, then older, then newer. A lock
    whose compiled releases all predate the chosen Python takes the Python of their time first."""
    from quayside.inspection import lockwheels

    if decided.source in _PINNED:
        return decided
    lock = next((name for name in lockwheels.LOCKS if (root / name).is_file()), None)
    if lock is None:
        return decided
    decided = _of_its_time(pyproject, decided, lockwheels.newest_locked_built_for(root), lock, "locked")
    missing = lockwheels.sdist_only(root, int(decided.value.split(".")[1]))
    if not missing:
        return decided
    return _nearest_serving(pyproject, decided, missing, lambda minor: lockwheels.sdist_only(root, minor) or [],
                            lock, "every locked release")


def fit_to_pins(root: Path, pyproject: dict[str, Any] | None, decided: Decided[str],
                files: tuple[str, ...], as_of: tuple[str, str] | None = None) -> Decided[str]:
    """As fit_to_lock, for a requirements file's exact pins, whose wheels the package index lists. `as_of`
    (the day, and why): what the requirements pull in resolves with releases of then, so the Python is of then."""
    from quayside.inspection import indexwheels, lockwheels

    if decided.source in _PINNED or not files:
        return decided
    if as_of is not None:
        decided = _of_the_day(pyproject, decided, as_of, files[0])
    releases = indexwheels.release_wheels(root, files)
    if not releases:
        return decided
    decided = _of_its_time(pyproject, decided, lockwheels.newest_built_for([(r, list(n)) for r, n in releases.items()]),
                           files[0], "pinned")
    missing = indexwheels.sdist_only(releases, int(decided.value.split(".")[1]))
    if not missing:
        return decided
    return _nearest_serving(pyproject, decided, missing, lambda minor: indexwheels.sdist_only(releases, minor),
                            files[0], "every pinned release (the package index lists their files)")


def fit_to_known_faults(root: Path, pyproject: dict[str, Any] | None, decided: Decided[str],
                        requirement_files: tuple[str, ...]) -> Decided[str]:
    """The newest Python below the one a release the image installs fails on at import (pythonbreaks' table),
    when the project allows it and does not name its Python itself; else the decided one, its reason saying so."""
    from quayside.inspection import lockwheels, pythonbreaks

    found = pythonbreaks.found_in(root, requirement_files, pyproject, lockwheels.LOCKS)
    failing = [f for f in found if Version(decided.value) >= Version(f.fault.fails_from)]
    if not failing:
        return decided
    first = failing[0]
    what = (f"{first.origin} installs {first.fault.name} {first.release}, which fails at import on Python "
            f"{first.fault.fails_from} and newer ({first.fault.symptom}; {first.fault.reference})")
    below = min(Version(f.fault.fails_from) for f in failing)
    allowed = [c for c in KNOWN_PYTHONS if Version(c) < below and refuses(pyproject, c) is None]
    if decided.source in _PINNED or not allowed:
        why = "the project names its Python itself" if decided.source in _PINNED else "the project allows no older one"
        return Decided(decided.value, decided.source, f"{decided.reason}; {what}, and {why}: {first.fault.instead}")
    return Decided(allowed[-1], first.origin, f"{decided.reason}; but {what}: {allowed[-1]} is the newest Python the "
                                              f"project allows that it runs on{_end_of_life(allowed[-1])}")


# the project names its Python itself: wheels do not move it
_PINNED = (".python-version", "runtime.txt")


def _of_its_time(pyproject: dict[str, Any] | None, decided: Decided[str], newest: tuple[int, str] | None,
                 source: str, how: str) -> Decided[str]:
    """The Python of the releases' time when none of them was built for the decided one or a newer one, and the
    project allows it; else the decided one."""
    if newest is None or newest[0] >= int(decided.value.split(".")[1]):
        return decided
    candidate = max((c for c in KNOWN_PYTHONS if int(c.split(".")[1]) <= newest[0]), key=Version, default=KNOWN_PYTHONS[0])
    if refuses(pyproject, candidate) is not None:
        return decided
    return Decided(candidate, source, f"{decided.reason}; but no {how} release is built for a Python newer than "
                                      f"3.{newest[0]} (the newest: {newest[1]}): they are of {candidate}'s time, and "
                                      f"pure-Python releases of that time were never run on {decided.value}"
                                      f"{_end_of_life(candidate)}")


def _of_the_day(pyproject: dict[str, Any] | None, decided: Decided[str], as_of: tuple[str, str],
                source: str) -> Decided[str]:
    """The newest Python released WHEELS_LAG_DAYS before the day the requirements resolve as of, when older than
    the decided one and the project allows it (fastapi==0.78.0 resolved as of 2022-06 gets pydantic 1.9.1, which
    fails to start on 3.12 with "'not' is not a valid parameter name")."""
    day = date.fromisoformat(as_of[0][:10])
    ready = [c for c in KNOWN_PYTHONS if date.fromisoformat(RELEASED[c]) + timedelta(days=WHEELS_LAG_DAYS) <= day]
    candidate = ready[-1] if ready else KNOWN_PYTHONS[0]
    if Version(candidate) >= Version(decided.value) or refuses(pyproject, candidate) is not None:
        return decided
    return Decided(candidate, source, f"{decided.reason}; but what the requirements pull in resolves as of {day} "
                                      f"({as_of[1]}): {candidate} was the newest Python then (released "
                                      f"{RELEASED[candidate]}), and releases of that time were never run on "
                                      f"{decided.value}{_end_of_life(candidate)}")


def _end_of_life(version: str) -> str:
    if version not in END_OF_LIFE:
        return ""
    return (f" (Python {version} is past its end of life, {END_OF_LIFE[version]}: it gets no security fixes; "
            "newer pins let a newer Python in)")


def _nearest_serving(pyproject: dict[str, Any] | None, decided: Decided[str], missing: list[str],
                     missing_for: Callable[[int], list[str]], source: str, what: str) -> Decided[str]:
    """The Python nearest the decided one (older first, then newer) that the project allows and for which
    `what` has a Linux wheel; when none has, the one with the fewest releases left to build from source."""
    chosen = Version(decided.value)
    candidates = sorted((c for c in KNOWN_PYTHONS if Version(c) < chosen), key=Version, reverse=True) + \
        sorted((c for c in KNOWN_PYTHONS if Version(c) > chosen), key=Version)
    best: tuple[str, list[str]] = (decided.value, missing)
    for candidate in candidates:
        if refuses(pyproject, candidate) is not None:
            continue
        lacking = missing_for(int(candidate.split(".")[1]))
        if not lacking:
            return Decided(candidate, source, f"{decided.reason}; but {source} pins {_few(missing)} with no Linux wheel "
                                              f"for Python {decided.value}: {candidate} is the nearest the project "
                                              f"allows for which {what} has one{_end_of_life(candidate)}")
        if len(lacking) < len(best[1]):
            best = (candidate, lacking)
    if best[0] == decided.value:
        return Decided(decided.value, decided.source, f"{decided.reason}; {source} pins {_few(missing)} with no Linux "
                       "wheel for it, nor for any Python the project allows: they build from source")
    return Decided(best[0], source, f"{decided.reason}; but {source} pins {_few(missing)} with no Linux wheel for "
                                    f"Python {decided.value}, and no Python has wheels for every one: {best[0]} leaves "
                                    f"the fewest to build from source ({_few(best[1])}){_end_of_life(best[0])}")


def _few(releases: list[str]) -> str:
    return ", ".join(releases[:3]) + (f" and {len(releases) - 3} more" if len(releases) > 3 else "")
