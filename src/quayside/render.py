"""Render templates with jinja2 (StrictUndefined: a missing value is a bug, never an empty string).

Each target renders its own files through `render`; template problems become a RenderError, never a traceback.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable

import jinja2

from quayside.errors import RenderError
from quayside.plan.names import copy_instruction

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("quayside", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
_env.filters["exec_form"] = lambda argv: json.dumps(list(argv), ensure_ascii=False)
# one shell word, for commands a DEPLOY.md shows (a documented value may hold spaces or quotes)
_env.filters["sh"] = shlex.quote
# a command a platform runs from one string (Fly's release_command, Render's preDeployCommand): shell words, so
# `python -c CODE` stays one argument, as a TOML/YAML double-quoted string when plain words would not survive
_env.filters["command_line"] = shlex.join
_env.filters["json_string"] = lambda text: json.dumps(text, ensure_ascii=False)  # also a TOML basic string
_env.filters["quoted_unless_plain"] = lambda text: text if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./ -]*", text) else json.dumps(text, ensure_ascii=False)
# a compose/Dockerfile health check in exec form: ["CMD", argv...]
_env.filters["exec_form_check"] = lambda argv: json.dumps(["CMD", *argv], ensure_ascii=False)


def _bind_mounts(files: Iterable[str]) -> str:
    # BuildKit bind mounts (relative targets land in WORKDIR): the files never become a layer
    return "\n".join(f"    --mount=type=bind,source={f},target={f} \\" for f in files)


_env.filters["bind_mounts"] = _bind_mounts


def _template_source(name: str) -> str:
    """A file under templates/ as it is (a script a Dockerfile runs through a heredoc), not rendered."""
    assert _env.loader is not None
    return _env.loader.get_source(_env, name)[0].rstrip("\n")


_env.globals["template_source"] = _template_source
# COPY lines through one function, so a path with a space is one path (names.copy_instruction)
_env.filters["copy_to"] = lambda source, dest, flags="": copy_instruction(source, dest, flags=flags)


def tidy(text: str) -> str:
    """Templates branch a lot: collapse the blank runs they leave, so output is stable and readable."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() == "" and (not lines or lines[-1] == ""):
            continue
        lines.append(line.rstrip())
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def render(template: str, **context: object) -> str:
    """One template (a path under templates/, e.g. "compose/compose.yaml.j2"), tidied."""
    try:
        return tidy(_env.get_template(template).render(**context))
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name} is missing from this installation of quayside",
                          hint="reinstall quayside; if it persists, the package was built without its templates") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template} failed to render: {exc}",
                          hint="this is a bug in quayside: please report it with the command you ran") from None
