"""Settings the project's own Dockerfiles give the app, kept in the image quayside writes.

A project that already ran in containers often says there how the app should behave in one: `ENV DOCKER=true`
beside code that reaches Redis at `redis:6379` only when DOCKER is set, `ENV ENVIRONMENT=production`. quayside
replaces that Dockerfile, so those values would be lost and the app would look for its services on localhost.
Kept: a final-stage `ENV` of the project's Dockerfiles whose name the code reads, that is no secret (by
`check`'s own QS017 test, which the generated Dockerfile must pass), no setting of the image's machinery (PATH,
PYTHON*, the server's port) and whose value is plain text. The root Dockerfile wins over one in a subfolder; the
generated Dockerfile carries them on, so running init again keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from quayside.errors import UserInputError
from quayside.inspection.appsettings import AppSettings
from quayside.inspection.source import read_text

# what the image itself or the server sets: quayside decides these, whatever the old Dockerfile said
_MACHINERY = re.compile(r"^(PATH|HOME|LANG|LC_\w+|TZ|PYTHON\w*|VIRTUAL_ENV|PIP_\w+|POETRY_\w+|UV_\w+|PDM_\w+|DEBIAN_FRONTEND|"
                        r"PORT|HOST|BIND|WORKERS|WEB_CONCURRENCY|MODULE_NAME|VARIABLE_NAME|APP_MODULE|GUNICORN_\w+|"
                        r"UVICORN_\w+|MAX_WORKERS)$")
# a value a Dockerfile ENV line carries as written, with nothing a shell or the parser could read otherwise
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:/@,+=-]{0,200}$")
MAX_DOCKERFILES = 20


@dataclass(frozen=True)
class CarriedSetting:
    name: str
    value: str
    dockerfile: str  # where it was set, project-relative
    read_at: str  # where the code reads it ("celery_app/__init__.py:8")


def _dockerfiles(root: Path) -> list[str]:
    """The root Dockerfile first, then Dockerfile.* beside it, then */Dockerfile* one folder down."""
    def plain(p: Path) -> bool:  # a regular file of the project's own, not a link to one elsewhere
        return p.is_file() and not p.is_symlink() and not p.parent.is_symlink()

    top = [p for p in sorted(root.glob("Dockerfile*")) if plain(p) and p.name != "Dockerfile"]
    below = [p for p in sorted(root.glob("*/Dockerfile*")) if plain(p) and not p.parent.name.startswith(".")]
    found = ([root / "Dockerfile"] if plain(root / "Dockerfile") else []) + top + below
    return [p.relative_to(root).as_posix() for p in found[:MAX_DOCKERFILES]]


def carried_settings(root: Path, settings: AppSettings) -> tuple[CarriedSetting, ...]:
    from quayside.check.dockerfile import parse
    from quayside.check.rules.qs017_baked_secret import BakedSecret

    read = {s.name: s.source for s in settings.settings}
    carried: dict[str, CarriedSetting] = {}
    for rel in _dockerfiles(root):
        try:
            text = read_text(root / rel, what="Dockerfile")
        except UserInputError:
            continue  # a Dockerfile quayside cannot read says nothing it can keep
        final = parse(text, rel).final_stage
        for name, value in (final.env() if final is not None else {}).items():
            if name in carried or name not in read or _MACHINERY.match(name) or not _PLAIN_VALUE.match(value):
                continue
            if BakedSecret._secret(name, value) is not None:
                continue  # never into the image: compose and the secrets of each target carry those
            carried[name] = CarriedSetting(name, value, rel, read[name])
    return tuple(sorted(carried.values(), key=lambda c: c.name))
