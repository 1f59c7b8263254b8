"""Adding quayside's services to a compose file the user wrote, round-trip (comments and order kept)."""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from quayside.errors import UserInputError


def merge_into(existing: str, ours: str, path: str = "compose.yaml") -> str:
    """The user's file with every service and volume of ours that it lacks added; theirs are left untouched."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        theirs = yaml.load(existing)
    except YAMLError as exc:
        raise UserInputError(f"cannot add to it: invalid YAML ({getattr(exc, 'problem', exc)})", path=path,
                             hint="fix the file, or move it away and run init again") from None
    except RecursionError:
        raise UserInputError("cannot add to it: the YAML nests too deeply to read", path=path,
                             hint="no compose file nests like that: move it away and run init again") from None
    if theirs is None:
        return ours
    if not isinstance(theirs, dict):
        raise UserInputError("cannot add to it: the top level is not a mapping", path=path)
    generated = yaml.load(ours)
    for section in ("services", "volumes"):
        mine = generated.get(section)
        if not mine:
            continue
        if section not in theirs or theirs[section] is None:
            theirs[section] = mine
            continue
        for key, value in mine.items():
            if key not in theirs[section]:
                theirs[section][key] = value
    out = io.StringIO()
    try:
        yaml.dump(theirs, out)
    except RecursionError:
        raise UserInputError("cannot add to it: the YAML nests too deeply to write back", path=path) from None
    return out.getvalue()
