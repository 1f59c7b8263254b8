"""`verify --compare`: the project's Dockerfile and another, built and proven side by side."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from quayside.build import BuildResult, build_image, default_tag
from quayside.check import run_check
from quayside.check.model import Finding
from quayside.engine import docker
from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from quayside.plan.options import Style
from quayside.verify import project_options, verify_project
from quayside.verify.report import VerifyOptions, VerifyReport, style_of_dockerfile


@dataclass
class Column:
    dockerfile: str
    report: VerifyReport
    build: BuildResult
    layers: int
    findings: list[Finding]


def _column(root: Path, dockerfile: str, options: VerifyOptions, tag: str, app_file: str,
            progress: Callable[[str], None] | None, build: Callable[..., BuildResult]) -> Column:
    style = style_of_dockerfile(root / dockerfile) or Style.PRODUCTION
    report, built = verify_project(root, replace(options, style=style), tag=tag, dockerfile=dockerfile,
                                   app_file=app_file, on_progress=progress, build=build)
    layers = len((docker.inspect_image(built.tag).get("RootFS") or {}).get("Layers") or [])
    findings = [f for f in run_check(root, only=[dockerfile]).findings if f.path == dockerfile]
    return Column(dockerfile, report, built, layers, findings)


def compare_path(path: Path, other: Path, options: VerifyOptions, *, tag: str | None = None,
                 progress: Callable[[str], None] | None = None,
                 build: Callable[..., BuildResult] = build_image) -> list[Column]:
    """`verify PATH --compare OTHER`: both Dockerfiles built from the project and proven side by side."""
    info = inspect_project(path)
    root = info.root
    other_abs = (other if other.is_absolute() else Path.cwd() / other).resolve()
    if not other_abs.is_file():
        raise UserInputError("no such Dockerfile", path=other)
    try:
        rel = other_abs.relative_to(root).as_posix()
    except ValueError:
        raise UserInputError("the other Dockerfile must be inside the project: both are built from its directory",
                             path=other) from None
    options, app_file = project_options(info, options, None)
    return compare(root, rel, options, tag=tag or default_tag(root), app_file=app_file, progress=progress, build=build)


def compare(root: Path, other: str, options: VerifyOptions, *, tag: str, app_file: str,
            progress: Callable[[str], None] | None, build: Callable[..., BuildResult]) -> list[Column]:
    return [
        _column(root, "Dockerfile", options, tag, app_file, progress, build),
        _column(root, other, options, tag + "-compare", app_file, progress, build),
    ]


def _cell(column: Column, name: str) -> str:
    check = next((c for c in column.report.checks if c.name == name), None)
    if check is None:
        return "-"
    mark = {"pass": "ok", "fail": "FAIL", "skip": "skip"}[check.status]
    if name == "size_bytes":
        return f"{check.value / 1e6:.1f} MB"
    if name in ("start_seconds", "stop_seconds") and check.value is not None:
        return f"{check.value:.2f} s ({mark})"
    if name == "user_uid":
        return f"{check.value} ({mark})"
    return mark


ROWS = [("size", "size_bytes"), ("start → first 200", "start_seconds"), ("SIGTERM → exit", "stop_seconds"),
        ("in-flight request completed", "inflight_completed"), ("lifespan shutdown", "lifespan_shutdown"),
        ("healthy", "healthy"), ("user uid (non-root)", "user_uid"), ("server is PID 1", "pid1"),
        ("dependency layer reused", "cache_reused")]


def table(columns: list[Column]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    headers = ("", *(c.dockerfile for c in columns))
    rows = [(label, *(_cell(c, name) for c in columns)) for label, name in ROWS]
    rows.insert(1, ("layers", *(str(c.layers) for c in columns)))
    rows.insert(2, ("build time", *(f"{c.build.seconds:.1f} s" for c in columns)))
    rows.append(("check findings", *(", ".join(sorted({f.rule for f in c.findings})) or "none" for c in columns)))
    return headers, rows


def to_markdown(columns: list[Column]) -> str:
    headers, rows = table(columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_json(columns: list[Column]) -> str:
    out: list[dict[str, Any]] = []
    for c in columns:
        data = c.report.to_json()
        data.update({"dockerfile": c.dockerfile, "layers": c.layers, "build_seconds": round(c.build.seconds, 3),
                     "findings": [f.to_json() for f in c.findings]})
        out.append(data)
    return json.dumps(out, indent=2, default=str)
