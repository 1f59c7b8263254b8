"""What verify reports: each check is pass / fail / skip with what was seen; options say what to demand."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from quayside.errors import UserInputError
from quayside.plan.options import Style
from quayside.provenance import generated_style

Status = Literal["pass", "fail", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    value: Any
    detail: str


@dataclass
class VerifyReport:
    image: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: Status, value: Any, detail: str) -> None:
        self.checks.append(Check(name, status, value, detail))

    def value(self, name: str) -> Any:
        return next((c.value for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"image": self.image, "ok": self.ok}
        data.update({c.name: c.value for c in self.checks})
        data["checks"] = [asdict(c) for c in self.checks]
        return data


@dataclass(frozen=True)
class Expectation:
    path: str
    body: Any

    @classmethod
    def parse(cls, text: str) -> Expectation:
        # the path may contain "=" itself (a query string): split where the rest is JSON
        example = """e.g. --expect '/items/5?q=test={"item_id":5,"q":"test"}'"""
        if not text.startswith("/"):
            raise UserInputError(f"--expect {text!r} is not PATH=JSON (the path starts with /)", hint=example)
        index = text.find("=")
        while index != -1:
            try:
                return cls(text[:index], json.loads(text[index + 1 :]))
            except json.JSONDecodeError:
                index = text.find("=", index + 1)
        raise UserInputError(f"--expect {text!r}: no JSON after any '='", hint=example)


@dataclass
class VerifyOptions:
    port: int | None = None
    style: Style = Style.PRODUCTION  # what to demand: production demands non-root and a healthy HEALTHCHECK
    expectations: list[Expectation] = field(default_factory=list)
    smoke_paths: tuple[str, ...] = ("/openapi.json", "/docs")
    health_path: str | None = None  # waited on for the first 200 (the app's health route); else smoke_paths[0]
    ready_path: str | None = None  # the app's readiness route (its database answers): asked with --compose
    start_timeout: float = 60.0
    start_timeout_given: bool = False  # --start-timeout given: the project's [tool.quayside] start-timeout yields
    health_timeout: float = 90.0
    read_only: bool = False  # run with --read-only and a tmpfs /tmp, as compose and Kubernetes do
    env: dict[str, str] = field(default_factory=dict)  # the app's settings (--env, --env-file): masked in output
    env_from_file: frozenset[str] = frozenset()  # which of them came from --env-file (not overridden by --env)
    # settings the env file gives only a placeholder for (`<time>`) while the code has a default: not passed, the
    # default stands, as init's compose environment does with the same documented example
    placeholders_left: tuple[str, ...] = ()
    build_secrets: dict[str, Path] = field(default_factory=dict)  # BuildKit secrets for every build verify makes
    build_network: str | None = None  # buildx --network for those builds
    # (name, where) of each setting the app's code reads with no default: named when the app fails to start
    settings_without_default: tuple[tuple[str, str], ...] = ()
    # the project's own top-level packages named like a library it depends on (its fastapi/ folder): imported
    # in the library's place, as the working directory comes first on sys.path
    shadowing: tuple[str, ...] = ()
    # the settings the project's code reads (verify --compose opens only the database URLs among them); empty: unknown
    app_reads: frozenset[str] = frozenset()
    # settings the code hands to a database engine (create_engine(os.getenv("DB"))): connection URLs by use
    engine_urls: frozenset[str] = frozenset()
    # env files the code reads itself (dotenv_values), relative to the working directory: verify gives the app
    # its settings there too, from a file it mounts read-only
    dotenv_files: tuple[str, ...] = ()
    # database URLs the code writes with an IP or localhost as the host ("172.17.0.2 (app/database.py:5)"): no
    # database beside the app answers there, so a hang or refusal is named after them
    fixed_addresses: tuple[str, ...] = ()
    # the project verify built (its .gitignore names files no image holds); None for --image
    project_root: Path | None = None

    def __post_init__(self) -> None:
        self.style = Style(self.style)  # a plain "production" from a caller becomes the enum member


def style_of_dockerfile(path: Path) -> Style | None:
    """The style a generated Dockerfile names in its header: what verify demands of its image."""
    try:
        named = generated_style(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return Style(named) if named in {s.value for s in Style} else None
