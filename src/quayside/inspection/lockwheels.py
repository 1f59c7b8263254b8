"""Which Python a lock file can install without building from source.

A lock records every file each pinned release has. A 2022 lock pins releases whose Linux wheels stop at, say,
Python 3.10 (psycopg2-binary 2.9.3): on 3.12 those build from source, which needs headers and a compiler the
image has not got, or fails outright. So when the project does not pin a Python, the image takes the newest
one its own constraint allows for which every locked release has a Linux wheel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from quayside.errors import UserInputError
from quayside.inspection.source import load_lock, read_requirements_text

# name-version(-build)?-python-abi-platform.whl
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")
LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")


def _linux_x86_64(platform: str) -> bool:
    return platform == "any" or any(p.startswith(("manylinux", "linux_x86_64")) and p.endswith("x86_64")
                                    for p in platform.split("."))


def _serves(wheel: str, minor: int) -> bool | None:
    """True/False: the wheel installs / does not install on CPython 3.minor on Linux x86_64; None: not a wheel
    for this platform at all."""
    m = _WHEEL.match(wheel)
    if m is None or not _linux_x86_64(m["plat"]):
        return None
    for tag in m["py"].split("."):
        if tag in ("py3", "py2.py3") or tag.startswith("py3"):
            return True
        if tag.startswith("cp3") and tag[3:].isdigit():
            wheel_minor = int(tag[3:])
            if wheel_minor == minor or ("abi3" in m["abi"] and wheel_minor <= minor):
                return True
    return False


def _file_names(entry: dict[str, Any], old_files: dict[str, Any]) -> list[str]:
    files = entry.get("files") or old_files.get(str(entry.get("name", "")).lower()) or []
    names = [str(f.get("file") or f.get("url", "")).rsplit("/", 1)[-1] for f in files if isinstance(f, dict)]
    names += [str(w.get("url", "")).rsplit("/", 1)[-1] for w in entry.get("wheels", []) if isinstance(w, dict)]  # uv
    return [n for n in names if n.endswith(".whl")]


def _main_releases(root: Path) -> list[tuple[str, list[str]]] | None:
    """('name version', its wheel file names) of each locked release that reaches the image; None without a
    readable lock."""
    lock_name = next((name for name in LOCKS if (root / name).is_file()), None)
    if lock_name is None:
        return None
    try:
        lock = load_lock(root / lock_name, display=lock_name)
    except UserInputError:
        return None
    old_files = {str(k).lower(): v for k, v in lock.get("metadata", {}).get("files", {}).items()}
    main = "main" if lock_name == "poetry.lock" else "default"
    releases = [(f"{entry.get('name')} {entry.get('version')}", _file_names(entry, old_files))
                for entry in lock.get("package", [])
                # a dev-only release does not reach the image
                if isinstance(entry, dict) and not ("groups" in entry and main not in entry["groups"])
                and entry.get("category") != "dev"]
    if releases and not any(names for _, names in releases):
        return _files_from_index(releases)
    return releases


def _files_from_index(releases: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """A lock that names no file of any release (Poetry 1.1 wrote `cffi = []` under [metadata.files] when asked
    for no hashes): the package index lists each locked release's wheels. Unchanged when it does not answer."""
    from concurrent.futures import ThreadPoolExecutor

    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    from quayside.inspection import indexwheels  # it imports this module

    index = indexwheels.index_url()
    if index is None:
        return releases
    names = [release.split(" ", 1) for release, _ in releases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda nv: indexwheels.files_by_version(index, canonicalize_name(nv[0])), names))
    if any(answer is None for answer in answers):
        return releases
    filled = []
    for (release, _), (_, version), answer in zip(releases, names, answers, strict=True):
        try:
            wanted = Version(version)
            wheels = next((files for text, files in (answer or {}).items() if Version(text) == wanted), ())
        except InvalidVersion:
            wheels = ()
        filled.append((release, list(wheels)))
    return filled


def sdist_only(root: Path, minor: int) -> list[str] | None:
    """The locked releases that ship Linux wheels, but none for CPython 3.minor; None without a readable lock."""
    releases = _main_releases(root)
    if releases is None:
        return None
    missing = []
    for release, names in releases:
        verdicts = [v for v in (_serves(n, minor) for n in names) if v is not None]
        if verdicts and not any(verdicts):
            missing.append(release)
    return missing


def newest_built_for(releases: list[tuple[str, list[str]]]) -> tuple[int, str] | None:
    """The newest CPython 3.minor any release has a version-specific Linux wheel for, and that release; None
    when none has one. A set of releases none of which was built for a Python newer than 3.10 was made in
    3.10's time: the pure-Python releases beside them were never run on newer ones (celery 5.0.5, locked in
    2021, fails to start on 3.12). abi3 wheels serve every later Python, so they tell no time."""
    newest: tuple[int, str] | None = None
    for release, names in releases:
        for name in names:
            m = _WHEEL.match(name)
            if m is None or not _linux_x86_64(m["plat"]) or "abi3" in m["abi"]:
                continue
            for tag in m["py"].split("."):
                if tag.startswith("cp3") and tag[3:].isdigit() and (newest is None or int(tag[3:]) > newest[0]):
                    newest = (int(tag[3:]), release)
    return newest


def newest_locked_built_for(root: Path) -> tuple[int, str] | None:
    """newest_built_for over the lock's releases that reach the image."""
    return newest_built_for(_main_releases(root) or [])


def other_platforms_only(root: Path) -> list[str]:
    """Locked releases (of what reaches the image) that ship wheels, but none for Linux: compiled code that pip
    and uv build from the sdist on any Python, which needs a C/C++ compiler (a release with no wheels at all
    is often pure Python: not listed). [] without a readable lock."""
    return [release for release, names in _main_releases(root) or []
            if names and all(_serves(n, 12) is None for n in names) and len(_families(names)) >= 2]


def _families(wheels: list[str]) -> set[str]:
    """The operating systems the wheels are for. Wheels for one only (pyobjc: macOS, pywin32: Windows) mean a
    package for that system, which a marker keeps off Linux; wheels for several but not Linux mean compiled
    code whose Linux build is left to the sdist."""
    return {family for wheel in wheels for family, word in (("macos", "macosx"), ("windows", "win")) if f"-{word}" in wheel}


def installed_version(root: Path, requirement_files: tuple[str, ...], name: str) -> str | None:
    """The release of `name` the image installs, when the project fixes it: the lock's entry, or an exact
    `==` pin in a requirements file; None when a range leaves it to the resolver."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(name)
    lock_name = next((lock for lock in LOCKS if (root / lock).is_file()), None)
    if lock_name is not None:
        try:
            lock = load_lock(root / lock_name, display=lock_name)
        except UserInputError:
            return None
        return next((str(e.get("version")) for e in lock.get("package", [])
                     if isinstance(e, dict) and canonicalize_name(str(e.get("name", ""))) == wanted), None)
    for rel in requirement_files:
        try:
            lines = read_requirements_text(root / rel).splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                req = Requirement(re.sub(r"(^|\s)#.*$", "", line).split(" --hash")[0].strip().rstrip("\\").strip())
            except InvalidRequirement:
                continue
            pins = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if canonicalize_name(req.name) == wanted and pins:
                return pins[0]
    return None
