"""Helpers shared by rules: final-stage lookups and the edits fixes are made of."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quayside.check.command import Command, Server, effective_command, find_server, split_words
from quayside.check.context import DB_IMAGES, PROXY_IMAGES, CheckContext, YamlDoc
from quayside.check.discover import compose_builds
from quayside.check.dockerfile import Dockerfile, Instruction, Stage
from quayside.check.lazyre import lazy_compile
from quayside.check.model import TextEdit

PIP_INSTALL = lazy_compile(r"(?<!uv )\bpip3?\b[^&;|\n]*?\binstall\b")
DEPENDENCY_FILES = lazy_compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml|[^/]*\.lock|setup\.(py|cfg)|Pipfile(\.lock)?|requirements)$")
SWALLOWING_ERRORS = ("heredoc <<", "invalid escape directive")
BROAD_SOURCES = {".", "./", "*", "/", "./*"}


def final_stages(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage]]:
    for df in ctx.dockerfiles:
        # one bad instruction (an unknown keyword, a stray line) is QS000's; the rest of the file is still
        # linted. Only errors that change how everything after them reads stop the rules for this file.
        if df.final_stage is not None and not any(e.message.startswith(SWALLOWING_ERRORS) for e in df.errors):
            yield df, df.final_stage


def final_commands(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage, Command]]:
    for df, stage in final_stages(ctx):
        command = effective_command(df, stage)
        if command is not None:
            yield df, stage, command


def chain_instructions(df: Dockerfile, stage: Stage, keyword: str) -> list[Instruction]:
    """Instructions of this keyword in the stage and the stages it is built FROM, nearest stage last."""
    out: list[Instruction] = []
    for st in reversed(df.stage_chain(stage)):
        out.extend(st.find(keyword))
    return out


def copy_sources(ins: Instruction) -> list[str]:
    if ins.heredocs:
        return []
    argv = ins.exec_form
    if argv is None:
        argv = ins.rest.split()
    return argv[:-1] if len(argv) > 1 else []


def replace_exec_form(df: Dockerfile, ins: Instruction, argv: list[str]) -> TextEdit:
    return TextEdit(df.path, ins.args_start, ins.end, json.dumps(argv, ensure_ascii=False))


def fixable_cmd(command: Command) -> Instruction | None:
    """The CMD to rewrite when it is exec form with no ENTRYPOINT, so the argv maps one to one onto the text."""
    if command.entrypoint is None and command.cmd is not None and command.cmd.exec_form is not None:
        return command.cmd
    return None


def insert_after(df: Dockerfile, ins: Instruction, pattern: re.Pattern[str], text: str) -> list[TextEdit]:
    raw = df.text[ins.start:ins.end]
    return [TextEdit(df.path, ins.start + m.end(), ins.start + m.end(), text) for m in pattern.finditer(raw)]


def final_servers(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage, Command, Server]]:
    """Final-stage commands that start a known ASGI/WSGI server."""
    for df, stage, command in final_commands(ctx):
        server = find_server(command.words())
        if server is not None:
            yield df, stage, command, server


def script_text(ctx: CheckContext, path: str) -> str | None:
    """An entrypoint script named in CMD/ENTRYPOINT, found in the build context (at its path, or by name)."""
    for candidate in (ctx.root / path.lstrip("/"), ctx.root / Path(path).name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return None


def compose_health_test(svc: Any) -> list[str] | None:
    """A compose service's healthcheck test as words, or None."""
    check = svc.get("healthcheck")
    test = check.get("test") if isinstance(check, dict) else None
    if test is None:
        return None
    return [str(t) for t in test] if isinstance(test, list) else split_words(str(test))


def image_tag(image: str) -> tuple[str, str | None, bool]:
    """(name, tag, has digest)"""
    digest = "@" in image
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return name.rsplit(":", 1)[0], name.rsplit(":", 1)[1], digest
    return name, None, digest


def is_third_party(image: str) -> bool:
    name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return any(name == i or name.endswith("/" + i) for i in DB_IMAGES + PROXY_IMAGES)


def builds_from(doc: YamlDoc, service: Any, dockerfile: str) -> bool:
    """The compose service (in doc) is built from this Dockerfile (a path relative to the folder checked)."""
    return any(built == dockerfile for _, built in compose_builds(doc.path, {"services": {"s": service}}))


def app_services(ctx: CheckContext, dockerfile: str) -> list[tuple[YamlDoc, str, Any]]:
    """The compose services that run the image this Dockerfile builds."""
    return [(doc, name, svc) for doc, name, svc in ctx.compose_services() if builds_from(doc, svc, dockerfile)]
