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
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from quayside.inspection.lockwheels import _serves

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
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
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
def files_by_version(index: str, name: str) -> dict[str, tuple[str, ...]] | None:
    """Every release of a project the index lists -> its file names; None when the index could not be asked."""
    request = urllib.request.Request(f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = json.loads(response.read(20_000_000))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    found: dict[str, list[str]] = {}
    for entry in data.get("files", []) if isinstance(data, dict) else []:
        filename = str(entry.get("filename", "")) if isinstance(entry, dict) else ""
        if filename.endswith(".whl") and (m := _WHEEL_VERSION.match(filename)):
            found.setdefault(m["version"], []).append(filename)
        elif filename.endswith((".tar.gz", ".zip")) and (m := _SDIST_VERSION.match(filename)):
            found.setdefault(m["version"], [])
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
