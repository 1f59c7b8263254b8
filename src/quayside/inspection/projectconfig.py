"""`[tool.quayside]` in pyproject.toml: what the project says about its own image, checked once, each value
with the name it was given under (errors name the key, never a traceback).

    [tool.quayside]
    include = ["data", "config/settings.yaml"]   # copied into the image besides what the code imports
    exclude = ["app/fixtures"]                   # never copied
    health-path = "/api/v1/health"               # what health checks and verify ask for
    apt-build = ["libpq-dev"]                     # Debian packages the builder stage needs
    apt-runtime = ["libpq5"]                      # Debian packages the app needs at run time
    writable = ["logs"]                           # folders the app writes to, owned by the app user
    start-timeout = 120                           # seconds it may take to start: health check and verify
    resolve-before = "2024-06-01"                 # requirements resolve with releases uploaded before that day
                                                  # (false: with today's, even when every requirement is pinned)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from quayside.errors import UserInputError

# Debian package names (policy §5.6.1): lower case, digits, + - . ; at least two characters, starting alphanumeric.
DEBIAN_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
KNOWN_KEYS = ("include", "exclude", "health-path", "apt-build", "apt-runtime", "writable", "start-timeout", "check",
              "resolve-before")


@dataclass(frozen=True)
class ProjectConfig:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    health_path: str | None = None
    apt_build: tuple[str, ...] = ()
    apt_runtime: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()  # folders under the workdir the app writes to (owned by the app user)
    start_timeout: float | None = None  # seconds the app may take to answer (migrations, model loading)
    resolve_before: str | bool | None = None  # "YYYY-MM-DD": resolve as of that day; False: with today's releases


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserInputError(f"[tool.quayside] {key} must be a list of strings", path="pyproject.toml",
                             hint=f'for example: {key} = ["data"]')
    return tuple(value)


def health_path(value: str, given_as: str) -> str:
    """A path a health check can ask for: absolute, no scheme or host, nothing a shell or a URL could misread."""
    if not value.startswith("/") or value.startswith("//") or any(c.isspace() or c in "\"'\\?#" for c in value) \
            or not value.isprintable():
        raise UserInputError(f"{given_as} {value!r} is not a URL path like /health",
                             hint="give the path the app serves its health route at, starting with /")
    return value


def debian_packages(values: tuple[str, ...], given_as: str) -> tuple[str, ...]:
    for value in values:
        if not DEBIAN_PACKAGE.match(value):
            raise UserInputError(f"{given_as} {value!r} is not a Debian package name",
                                 hint="names like libpq-dev or libldap2-dev: lower case letters, digits, + - .")
    return values


def read_config(pyproject: dict[str, Any] | None) -> ProjectConfig:
    table = (pyproject or {}).get("tool", {}).get("quayside", {})
    if not isinstance(table, dict):
        raise UserInputError("[tool.quayside] must be a table", path="pyproject.toml")
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise UserInputError(f"[tool.quayside] has no key {unknown[0]!r}", path="pyproject.toml",
                             hint=f"known keys: {', '.join(KNOWN_KEYS)}")
    health = table.get("health-path")
    if health is not None and not isinstance(health, str):
        raise UserInputError("[tool.quayside] health-path must be a string", path="pyproject.toml")
    return ProjectConfig(
        include=_strings(table, "include"),
        exclude=_strings(table, "exclude"),
        health_path=health_path(health, "[tool.quayside] health-path") if health is not None else None,
        apt_build=debian_packages(_strings(table, "apt-build"), "[tool.quayside] apt-build"),
        apt_runtime=debian_packages(_strings(table, "apt-runtime"), "[tool.quayside] apt-runtime"),
        writable=_strings(table, "writable"),
        start_timeout=start_timeout(table.get("start-timeout"), "[tool.quayside] start-timeout"),
        resolve_before=_resolve_before(table.get("resolve-before")),
    )


def _resolve_before(value: object) -> str | bool | None:
    # tomllib reads a bare TOML date as datetime.date: its isoformat() is the same day
    text = value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else value
    if text is None or text is False:
        return text
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            date.fromisoformat(text)
            return text
        except ValueError:
            pass
    raise UserInputError(f"[tool.quayside] resolve-before must be a day such as \"2024-06-01\", or false; not {value!r}",
                         path="pyproject.toml",
                         hint="requirements then resolve with releases uploaded before that day (false: today's)")


def start_timeout(value: object, given_as: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
        raise UserInputError(f"{given_as} must be a number of seconds from 1 to 3600",
                             path="pyproject.toml" if given_as.startswith("[tool") else None,
                             hint="for example: 120")
    return float(value)
