"""Names are data, not instructions. Every project path or name that quayside renders into a Dockerfile, YAML
or nginx file passes through here: it is either written in a form its file cannot misread (a COPY with a space
becomes the JSON form), or refused with one clear error.
"""

from __future__ import annotations

import json
import re

from quayside.errors import UserInputError

# Safe as a bare word in a Dockerfile line, a BuildKit --mount option and a YAML plain scalar.
_BARE = re.compile(r"[A-Za-z0-9._/@+-]+")
# What a JSON-form COPY can carry: printable characters except the ones Dockerfile parsing still acts on
# (`$` is expanded even in the JSON form; a backslash is an escape).
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f-\x9f$\\\u2028\u2029]+")


def project_path(path: str, what: str) -> str:
    """A project-relative path quayside will copy or mount; refuses what no Dockerfile line can carry."""
    if not path or not _PRINTABLE.fullmatch(path):
        shown = json.dumps(path, ensure_ascii=True)
        raise UserInputError(f"{what} {shown} has a character a Dockerfile cannot carry (a control character, `$` or a backslash)",
                             path=path.splitlines()[0] if path.strip() else None,
                             hint="rename it: letters, digits, spaces and . _ - @ + are safe")
    return path


def is_bare(path: str) -> bool:
    return _BARE.fullmatch(path) is not None


def copy_instruction(source: str, dest: str, *, flags: str = "") -> str:
    """A COPY line that means exactly these paths: the shell-like form when they are plain words, else the JSON
    form (BuildKit reads a path with a space in the shell form as two)."""
    prefix = f"COPY {flags} " if flags else "COPY "
    if is_bare(source) and is_bare(dest):
        return f"{prefix}{source} {dest}"
    return prefix + json.dumps([source, dest], ensure_ascii=False)
