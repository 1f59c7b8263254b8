"""Package indexes other than PyPI that the project installs from, read statically from its own files.

A private index needs credentials at build time. They must never be in a layer, an ARG or the build log, so the
image's dependency step mounts them as a BuildKit secret: a netrc file (`quayside build --secret netrc=~/.netrc`),
which pip and uv both read for an index's host. The index URLs themselves are not secret and stay where the
project declared them (requirements, pyproject, lock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from quayside.inspection.source import read_text

PUBLIC_HOSTS = ("pypi.org", "pypi.python.org", "files.pythonhosted.org", "test.pypi.org")
_INDEX_OPTION = re.compile(r"^(?:--index-url|-i|--extra-index-url)(?:\s*=\s*|\s+)(\S+)")
# what an index URL may hold to be written into a RUN line (Poetry/PDM installs name it): no shell syntax
SHELL_SAFE_URL = re.compile(r"[A-Za-z0-9._~:/@%+=?,-]+")
NETRC_SECRET = "netrc"  # the BuildKit secret id the dependency step mounts at /root/.netrc


@dataclass(frozen=True)
class PrivateIndex:
    url: str  # without credentials
    origin: str  # "requirements.txt:1", "pyproject.toml [[tool.uv.index]]"
    inline_credentials: bool  # the project's file carries user:password in the URL


def _index(raw: str, origin: str) -> PrivateIndex | None:
    if "${" in raw or "$" in raw.split("://", 1)[0]:
        return None  # pip expands ${VAR} from the environment: not a URL we can read
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.hostname.lower() in PUBLIC_HOSTS:
        return None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return PrivateIndex(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), origin,
                        parts.username is not None or parts.password is not None)


def from_requirements(root: Path, files: tuple[str, ...]) -> list[PrivateIndex]:
    found = []
    for rel in files:
        path = root / rel
        if not path.is_file():
            continue
        for number, line in enumerate(read_text(path, what="requirements file", boms=True).splitlines(), start=1):
            match = _INDEX_OPTION.match(line.strip())
            if match and (index := _index(match.group(1), f"{rel}:{number}")):
                found.append(index)
    return found


def from_pyproject(pyproject: dict[str, Any] | None) -> list[PrivateIndex]:
    tool = (pyproject or {}).get("tool", {})
    candidates: list[tuple[Any, str]] = []
    uv = tool.get("uv", {}) if isinstance(tool.get("uv"), dict) else {}
    candidates += [(entry.get("url"), "pyproject.toml [[tool.uv.index]]") for entry in uv.get("index", []) if isinstance(entry, dict)]
    candidates += [(uv.get("index-url"), "pyproject.toml [tool.uv] index-url")]
    extra = uv.get("extra-index-url", [])
    candidates += [(url, "pyproject.toml [tool.uv] extra-index-url") for url in (extra if isinstance(extra, list) else [extra])]
    for tool_name in ("poetry", "pdm"):
        table = tool.get(tool_name, {}) if isinstance(tool.get(tool_name), dict) else {}
        key = "source"
        candidates += [(entry.get("url"), f"pyproject.toml [[tool.{tool_name}.{key}]]") for entry in table.get(key, []) if isinstance(entry, dict)]
    return [index for url, origin in candidates if isinstance(url, str) and (index := _index(url, origin))]


def detect(root: Path, pyproject: dict[str, Any] | None, dependency_files: tuple[str, ...]) -> tuple[PrivateIndex, ...]:
    requirements = tuple(f for f in dependency_files if f.endswith((".txt", ".in")))
    found = from_requirements(root, requirements) + from_pyproject(pyproject)
    unique: dict[str, PrivateIndex] = {}
    for index in found:
        unique.setdefault(index.url, index)
    return tuple(unique.values())
