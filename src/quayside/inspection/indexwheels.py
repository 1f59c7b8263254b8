"""Which Python a requirements file's exact pins install on without building from source, asked of the index.

A requirements file written in 2021 pins releases (`psycopg2-binary==2.9.1`, `pydantic==1.8.2`) whose Linux
wheels stop at Python 3.9 or 3.10: on 3.12 they build from source, which needs headers and a compiler the
image has not got, or fails outright (`No module named 'distutils'`). A lock records each release's files; a
requirements file does not, so this asks the package index (PEP 691 JSON: the simple API, which mirrors and
private indexes serve too) for the files of each exact pin, and the image takes the newest Python the project
allows for which every pinned release that ships wheels has one. A bounded range (`numpy~=1.24.2`, `<1.25`)
counts as a pin of the newest release it admits, the one pip and uv install. Only the file names are read;
nothing is downloaded or run. QUAYSIDE_OFFLINE=1 skips it (the tests do); any failure to ask leaves the Python
as it was.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from quayside.inspection.lockwheels import _serves
from quayside.inspection.source import read_requirements_text

TIMEOUT = 5.0
MAX_PINS = 200  # a requirements file that long is a lock in all but name: ask about its first 200 pins
_WHEEL_VERSION = re.compile(r"^[^-]+-(?P<version>[^-]+)-")
_SDIST_VERSION = re.compile(r"^.+-(?P<version>[0-9][^-]*?)\.(?:tar\.gz|zip)$")


def index_url() -> str | None:
    """The index pip or uv would ask (their own settings first), or None when quayside is told to stay offline."""
    if os.environ.get("QUAYSIDE_OFFLINE") == "1":
        return None
    for name in ("QUAYSIDE_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL"):
        if value := os.environ.get(name, "").strip():
            return value.rstrip("/")
    return "https://pypi.org/simple"


_UPPER_BOUNDS = ("==", "~=", "<", "<=", "===")


def bounded_pins(root: Path, files: tuple[str, ...]) -> list[tuple[str, SpecifierSet]]:
    """(name, specifier) of every requirement without a marker whose specifier has an upper bound (an exact pin,
    `~=`, `<`): the ones whose newest admitted release may predate wheels for today's Python."""
    pins: list[tuple[str, SpecifierSet]] = []
    for rel in files:
        try:
            text = read_requirements_text(root / rel)
        except OSError:
            continue
        for raw in re.sub(r"\\\r?\n", " ", text).splitlines():
            line = re.sub(r"(^|\s)#.*$", "", raw).split(" --hash")[0].strip()
            if not line or line.startswith(("-", ".", "/")):
                continue
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None and any(spec.operator in _UPPER_BOUNDS for spec in req.specifier):
                pins.append((canonicalize_name(req.name), req.specifier))
    return pins[:MAX_PINS]


@lru_cache(maxsize=1024)
def _listing(index: str, name: str) -> tuple[tuple[str, str | None], ...] | None:
    """(file name, upload time or None) of every file the index lists for a project; None when it could not be
    asked."""
    request = urllib.request.Request(f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = json.loads(response.read(20_000_000))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    entries = data.get("files", []) if isinstance(data, dict) else []
    return tuple((str(e.get("filename", "")), e.get("upload-time") if isinstance(e.get("upload-time"), str) else None)
                 for e in entries if isinstance(e, dict))


def _version_of(filename: str) -> str | None:
    if filename.endswith(".whl") and (m := _WHEEL_VERSION.match(filename)):
        return m["version"]
    if filename.endswith((".tar.gz", ".zip")) and (m := _SDIST_VERSION.match(filename)):
        return m["version"]
    return None


@lru_cache(maxsize=1024)
def files_by_version(index: str, name: str) -> dict[str, tuple[str, ...]] | None:
    """Every release of a project the index lists -> its wheel file names; None when the index could not be asked."""
    listing = _listing(index, name)
    if listing is None:
        return None
    found: dict[str, list[str]] = {}
    for filename, _ in listing:
        if (version := _version_of(filename)) is not None:
            found.setdefault(version, [])
            if filename.endswith(".whl"):
                found[version].append(filename)
    return {version: tuple(names) for version, names in found.items()}


def _newest_admitted(versions: dict[str, tuple[str, ...]], specifier: SpecifierSet) -> str | None:
    admitted = []
    for text in versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if specifier.contains(version, prereleases=False):
            admitted.append((version, text))
    return max(admitted)[1] if admitted else None


def release_wheels(root: Path, files: tuple[str, ...]) -> dict[str, tuple[str, ...]] | None:
    """'name version' -> its wheels, for the release each bounded requirement installs; None offline or when
    the index did not answer."""
    index = index_url()
    pins = bounded_pins(root, files)
    if index is None or not pins:
        return None
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda pin: files_by_version(index, pin[0]), pins))
    if any(answer is None for answer in answers):
        return None
    releases: dict[str, tuple[str, ...]] = {}
    for (name, specifier), versions in zip(pins, answers, strict=True):
        chosen = _newest_admitted(versions or {}, specifier)
        if chosen is not None:
            releases[f"{name} {chosen}"] = (versions or {})[chosen]
    return releases


def sdist_only(releases: dict[str, tuple[str, ...]], minor: int) -> list[str]:
    """The pinned releases that ship Linux wheels, but none for CPython 3.minor."""
    missing = []
    for release, names in releases.items():
        verdicts = [v for v in (_serves(n, minor) for n in names) if v is not None]
        if verdicts and not any(verdicts):
            missing.append(release)
    return missing


# lines after which uv may not ask only the index quayside asked: its upload times would not be the ones uv sees
_OTHER_SOURCES = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index")


def exact_pins(root: Path, files: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """(name, version) of every requirement, when each one is an exact `==` pin of a release from the index;
    None when anything else is there (a range, a URL, a local path, an editable install, hashes, another index)."""
    pins: list[tuple[str, str]] = []
    for rel in files:
        try:
            text = read_requirements_text(root / rel)
        except OSError:
            return None
        for raw in re.sub(r"\\\r?\n", " ", text).splitlines():
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            if not line or re.match(r"^(-r|--requirement|-c|--constraint)\b", line):
                continue
            if line.startswith(_OTHER_SOURCES) or line.startswith(("-", ".", "/")) or "--hash" in line:
                return None
            try:
                req = Requirement(line)
            except InvalidRequirement:
                return None
            specs = list(req.specifier)
            if req.url or len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
                return None
            pins.append((canonicalize_name(req.name), specs[0].version))
    return pins or None


def pinned_as_of(root: Path, files: tuple[str, ...]) -> tuple[str, str] | None:
    """When every requirement is an exact pin, the moment the newest pinned release's last file was uploaded
    and that release; None otherwise, offline, or when the index tells no upload time (PEP 700) for one."""
    index = index_url()
    pins = exact_pins(root, files)
    if index is None or not pins or len(pins) > MAX_PINS:
        return None
    with ThreadPoolExecutor(max_workers=8) as pool:
        listings = list(pool.map(lambda pin: _listing(index, pin[0]), pins))
    newest: tuple[datetime, str] | None = None
    for (name, version), listing in zip(pins, listings, strict=True):
        times = [_moment(when) for filename, when in listing or () if _same_version(_version_of(filename), version)]
        if not times or None in times:
            return None  # not asked, no such release, or no upload time: nothing to date it by
        last = max(t for t in times if t is not None)
        if newest is None or last > newest[0]:
            newest = (last, f"{name}=={version}")
    if newest is None:
        return None
    return newest[0].strftime("%Y-%m-%dT%H:%M:%SZ"), newest[1]


def _same_version(a: str | None, b: str) -> bool:
    try:
        return a is not None and Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
