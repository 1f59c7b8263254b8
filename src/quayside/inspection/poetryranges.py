"""A Poetry project's declared dependencies as pip requirements, for a project that has no poetry.lock.

monkrobot/ProjectHelperFastapi's Dockerfile copies a poetry.lock its repository never had and runs `poetry
install`, which resolves [tool.poetry.dependencies] as the image builds. No Poetry runs in quayside's images (and
its resolver cannot reach this place's index at all), so init writes those ranges, in PEP 440/508 terms, to
requirements.poetry.txt, and uv installs them, as a PEP 621 project without a lock is installed. They are ranges,
not locked versions: the decision says so, and `poetry lock` makes them exact.

poetry-core has this conversion, but pulling Poetry's core into quayside for one table is more than these few
rules (^, ~, wildcards, bare versions, python and markers); a declaration they do not cover (git, path, url,
a named source, several constraints for one package, `||`) is not exported, and init says why.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

FILE = "requirements.poetry.txt"
_UNSUPPORTED_KEYS = ("git", "path", "url", "file", "source", "develop")


class NotExportable(Exception):
    """A declaration these rules do not turn into a pip requirement (the message says which and why)."""


def _bump(release: tuple[int, ...], at: int) -> str:
    return ".".join(map(str, (*release[:at], release[at] + 1)))


def specifier(text: str) -> str:
    """Poetry's version constraint in PEP 440 terms: `^1.2.3` → `>=1.2.3,<2.0.0`, `~1.2` → `>=1.2,<1.3`,
    `1.2.*` → `==1.2.*`, `1.2.3` → `==1.2.3`, `*` → no bound; comparisons pass as they are."""
    if "||" in text or "|" in text:
        raise NotExportable(f"the constraint {text!r} is a union (||), which one pip requirement cannot say")
    parts: list[str] = []
    for clause in (c.strip() for c in text.split(",")):
        if clause in ("", "*"):
            continue
        caret, tilde = re.fullmatch(r"\^\s*(\S+)", clause), re.fullmatch(r"~(?!=)\s*(\S+)", clause)
        if caret or tilde:
            raw = (caret or tilde)[1]  # type: ignore[index]
            try:
                version = Version(raw)
            except InvalidVersion:
                raise NotExportable(f"{clause!r} is not a version constraint") from None
            given = len(version.release)  # packaging keeps the parts as written: 1.2 is (1, 2)
            release = version.release + (0,) * max(0, 3 - given)
            if caret:
                # the first non-zero part of what was given stays; ^0.0 and ^0 bound the part given last
                first = next((i for i, part in enumerate(release[:given]) if part != 0), given - 1)
                upper = _bump(release, min(first, given - 1))
            else:
                upper = _bump(release, 1 if given >= 2 else 0)
            parts += [f">={raw}", f"<{upper}"]
        elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?", clause):
            parts.append(f"=={clause}")  # a bare version means exactly it
        else:
            parts.append(clause.replace(" ", ""))
    result = ",".join(parts)
    try:
        SpecifierSet(result)
    except InvalidSpecifier:
        raise NotExportable(f"the constraint {text!r} is not one these rules read") from None
    return result


def _python_marker(text: str) -> str:
    return " and ".join(f'python_version {s.operator} "{s.version}"' for s in SpecifierSet(specifier(text)))


def requirement(name: str, spec: Any) -> str | None:
    """One pip requirement line, or None for an optional dependency (installed only through an extra)."""
    if isinstance(spec, list):
        raise NotExportable(f"{name} has several constraints (one per Python or platform)")
    if isinstance(spec, str):
        spec = {"version": spec}
    if not isinstance(spec, dict):
        raise NotExportable(f"{name}'s declaration is neither a version nor a table")
    unsupported = [key for key in _UNSUPPORTED_KEYS if key in spec]
    if unsupported:
        raise NotExportable(f"{name} comes from a {unsupported[0]} (not an index)")
    if spec.get("optional") is True:
        return None
    extras = spec.get("extras") or []
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise NotExportable(f"{name}'s extras are not a list of names")
    markers = []
    if isinstance(spec.get("python"), str):
        markers.append(_python_marker(spec["python"]))
    if isinstance(spec.get("markers"), str):
        markers.append(f"({spec['markers']})")
    if isinstance(spec.get("platform"), str):
        markers.append(f'sys_platform == "{spec["platform"]}"')
    line = name + (f"[{','.join(extras)}]" if extras else "") + specifier(str(spec.get("version", "*")))
    if markers:
        line += " ; " + " and ".join(m for m in markers if m)
    try:
        return str(Requirement(line))
    except InvalidRequirement as exc:
        raise NotExportable(f"{name}: {exc}") from None


def export(pyproject: dict[str, Any]) -> str:
    """requirements.poetry.txt's text: a header, then one line a main dependency, in the table's order."""
    table = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if not isinstance(table, dict):
        raise NotExportable("[tool.poetry.dependencies] is not a table")
    lines = []
    for name, spec in table.items():
        if str(name).lower() == "python":
            continue
        line = requirement(str(name), spec)
        if line is not None:
            lines.append(line)
    header = ("# Generated by quayside init from pyproject.toml [tool.poetry.dependencies]: there is no poetry.lock.\n"
              "# These are the ranges it declares, not locked versions: run `poetry lock` and init again to pin them.\n")
    return header + "".join(f"{line}\n" for line in lines)
