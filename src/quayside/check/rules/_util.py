"""Helpers shared by rules: final-stage lookups and the edits fixes are made of."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from quayside.check.command import Command, Server, effective_command, find_server, split_words
from quayside.check.context import DB_IMAGES, PROXY_IMAGES, CheckContext, YamlDoc, compose_purpose
from quayside.check.discover import compose_builds
from quayside.check.dockerfile import Dockerfile, Instruction, Stage
from quayside.check.lazyre import lazy_compile
from quayside.check.model import TextEdit

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any

PIP_INSTALL = lazy_compile(r"(?<!uv )\bpip3?\b[^&;|\n]*?\binstall\b")
DEPENDENCY_FILES = lazy_compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml|[^/]*\.lock|setup\.(py|cfg)|Pipfile(\.lock)?|requirements)$")
SWALLOWING_ERRORS = ("heredoc <<", "invalid escape directive")
BROAD_SOURCES = {".", "./", "*", "/", "./*"}


# a stage named so, that no other stage builds on, is an image of its own even when it is not the last
PRODUCTION_STAGE_NAMES = {"prod", "production", "release", "runtime", "final", "deploy"}


def final_images(ctx: CheckContext, df: Dockerfile) -> list[Stage]:
    """The stages of df that become images: with `check --target`, those stages; otherwise the last stage, the
    stages a compose file or a CI workflow builds with a target, and production-named stages nothing builds on."""
    key = f"final_images:{id(df)}"
    if key not in ctx.derived:  # every rule asks; the answer depends on the whole file and the compose files
        ctx.derived[key] = _final_images(ctx, df)
    return list(ctx.derived[key])


def _final_images(ctx: CheckContext, df: Dockerfile) -> list[Stage]:
    if ctx.targets:
        chosen = [st for name in ctx.targets if (st := df.stage_named(name)) is not None]
        if chosen:
            return chosen
    if df.final_stage is None:
        return []
    run_by_compose = set()  # a deployment's compose service runs this stage (a development file's target is a dev image)
    for doc, _name, svc in app_services(ctx, df.path):
        build = svc.get("build")
        if isinstance(build, dict) and isinstance(build.get("target"), str) and (ctx.production_profile or compose_purpose(doc.path, doc.data)[0]):
            run_by_compose.add(build["target"].lower())
    # a CI build of a stage other stages build on is a cache or test build (`--target builder`), not an image to run
    built_on = {parent.index for st in df.stages if (parent := df.stage_named(st.base_resolved)) is not None and parent.index < st.index}
    built_on |= {src.index for st in df.stages for ins in st.instructions if ins.keyword in ("COPY", "ADD")
                 and ins.flag("from") and (src := df.stage_named(ins.flag("from") or "")) is not None}
    leaf_names = {t.lower() for t in ctx.ci_targets} | PRODUCTION_STAGE_NAMES
    images = [df.final_stage]
    for st in df.stages[:-1]:
        name = (st.name or "").lower()
        if name in run_by_compose or (name in leaf_names and st.index not in built_on):
            images.append(st)
    return images


def final_stages(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage]]:
    for df in ctx.dockerfiles:
        # one bad instruction (an unknown keyword, a stray line) is QS000's; the rest of the file is still
        # linted. Only errors that change how everything after them reads stop the rules for this file.
        if any(e.message.startswith(SWALLOWING_ERRORS) for e in df.errors):
            continue
        for stage in final_images(ctx, df):
            yield df, stage


def shipped_stages(ctx: CheckContext, df: Dockerfile) -> list[Stage]:
    """The stages whose layers end up in an image (a final image and the stages it is built FROM), in order."""
    indexes = {st.index for image in final_images(ctx, df) for st in df.stage_chain(image)}
    return [st for st in df.stages if st.index in indexes]


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


def absolute_in_image(df: Dockerfile, stage: Stage, line: int, path: str) -> str:
    """A path as the image sees it at that line: a relative one is under the WORKDIR in effect there."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    workdir = "/"
    for st in reversed(df.stage_chain(stage)):
        for w in st.find("WORKDIR"):
            if st is stage and w.line > line:
                break
            workdir = posixpath.join(workdir, w.rest.strip().strip('"'))
    return posixpath.normpath(posixpath.join(workdir, path or "."))


def _context_file(ctx: CheckContext, rel: str) -> str | None:
    candidate = ctx.root / rel
    try:
        if candidate.is_file() and candidate.resolve().is_relative_to(ctx.root.resolve()):
            return candidate.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return None


def _copies(df: Dockerfile, stage: Stage, line: int) -> list[tuple[list[str], str, bool]]:
    """(sources, absolute destination, into a folder) of the context COPY/ADDs before that line, nearest first:
    one pass with the WORKDIR in effect (a file of many COPYs and WORKDIRs stays linear)."""
    found = []
    workdir = "/"
    for st in reversed(df.stage_chain(stage)):
        for ins in st.instructions:
            if st is stage and ins.line > line:
                break
            if ins.keyword == "WORKDIR":
                workdir = posixpath.join(workdir, ins.rest.strip().strip('"'))
            elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                argv = ins.exec_form or ins.rest.split()
                if len(argv) >= 2:
                    dest = posixpath.normpath(posixpath.join(workdir, argv[-1]))
                    found.append((argv[:-1], dest, argv[-1].endswith("/") or len(argv) > 2))
    return found[::-1]


def _copied_from(ctx: CheckContext, df: Dockerfile, stage: Stage, line: int, image_path: str) -> str | None:
    """The build-context path of the file a COPY/ADD (before that line) put at image_path, if one did."""
    for sources, dest, into_folder in _copies(df, stage, line):
        for source in sources:
            if any(c in source for c in "*?[$"):
                continue
            rel = posixpath.normpath(source.removeprefix("./")).lstrip("/")
            rel = "" if rel == "." else rel
            under_dest = image_path.startswith(dest.rstrip("/") + "/")
            at_dest = (into_folder and image_path == posixpath.join(dest, posixpath.basename(rel))) or image_path == dest
            if not (under_dest or at_dest):
                continue  # decided without touching the disk: a file of many COPYs stays cheap
            if rel == "" or (ctx.root / rel).is_dir():  # a folder's contents land in dest
                if under_dest:
                    return posixpath.join(rel, image_path[len(dest.rstrip("/")) + 1:])
            elif at_dest:
                return rel
    return None


def entry_script(ctx: CheckContext, df: Dockerfile, stage: Stage, at: Instruction, target: str) -> str | None:
    """The text of the shell script CMD/ENTRYPOINT runs (`target`, as the container names it), from the build
    context: traced back through the COPY that put it in the image, else at the same path, else by name."""
    if not target or target.startswith("-"):
        return None
    # a bare name is run from PATH (a shell given one as its script also looks in the working directory first)
    in_image = [absolute_in_image(df, stage, at.line, target)]
    if "/" not in target:
        in_image += [posixpath.join(d, target) for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")]
    candidates = [*(_copied_from(ctx, df, stage, at.line, p) for p in in_image), target.lstrip("/"), Path(target).name]
    for rel in candidates:
        text = _context_file(ctx, rel) if rel else None
        if text is not None:
            first = text.split("\n", 1)[0]
            if target.endswith(".sh") or (first.startswith("#!") and ("sh" in first.rsplit("/", 1)[-1])):
                return text
            return None
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


def has_cache_mount(ins: Instruction, tool: str, cache_dir: str | None) -> bool:
    """A cache or tmpfs mount over a tool's cache (pip, uv): ~/.cache or ~/.cache/TOOL, or the cache folder
    the stage or the command sets (PIP_CACHE_DIR, UV_CACHE_DIR, --cache-dir)."""
    for value in ins.flag_values("mount"):
        kinds = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
        target = (kinds.get("target") or kinds.get("dst") or kinds.get("destination") or "").rstrip("/")
        if kinds.get("type") not in ("cache", "tmpfs"):
            continue
        if target.endswith(("/.cache", f"/.cache/{tool}")) or target in (".cache", f".cache/{tool}") or (cache_dir and target == cache_dir.rstrip("/")):
            return True
    return False
