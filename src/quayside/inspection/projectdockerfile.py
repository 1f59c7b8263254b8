"""Which of the project's own Dockerfiles builds its app: what it installs and starts from is read from that one.

The root `Dockerfile` when there is one. Else the single root Dockerfile of another name (`backend.dockerfile`,
`Dockerfile.api`, `web.Dockerfile`) that runs the app: it starts from an image that runs FastAPI apps
(tiangolo/uvicorn-gunicorn-fastapi), or its final command names a server. Green-Wood/se3-oasis-scrapy has
backend.dockerfile beside celeryworker.dockerfile: the first runs the app. Two such files, or none: the one
the project's own compose file builds the project with (`build: {context: .., dockerfile: infra/docker/Dockerfile}`,
darkweid/fastapi-template), when a single such file installs or runs Python. A link is never followed (it may
point outside the project).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from quayside.errors import UserInputError

_SERVER = re.compile(r"\b(uvicorn|gunicorn|hypercorn|fastapi|granian)\b")
_APP_IMAGES = ("tiangolo/uvicorn-gunicorn",)  # the -fastapi image and its parent


def _named_like_a_dockerfile(name: str) -> bool:
    lowered = name.lower()
    return lowered != "dockerfile" and (lowered.startswith("dockerfile.") or lowered.endswith(".dockerfile"))


def parsed(root: Path, name: str) -> Any:
    """The parsed Dockerfile, or None: absent, a link, not text, or unparsable."""
    from quayside.check.dockerfile import parse
    from quayside.inspection.source import read_text

    path = root / name
    if not path.is_file() or path.is_symlink():
        return None
    try:
        return parse(read_text(path, what=name), name)
    except UserInputError:
        return None


def _runs_the_app(dockerfile: Any) -> bool:
    from quayside.inspection.baseimage import image_name

    stage = dockerfile.final_stage
    if stage is None:
        return False
    if image_name(dockerfile.stage_chain(stage)[-1].base_resolved).startswith(_APP_IMAGES):
        return True
    command = stage.last("CMD") or stage.last("ENTRYPOINT")
    return command is not None and _SERVER.search(command.rest) is not None


def project_dockerfile(root: Path) -> str | None:
    """The project-relative name of the Dockerfile that builds the app (see the module's doc), or None."""
    root_file = root / "Dockerfile"
    if root_file.is_file() and not root_file.is_symlink():
        return "Dockerfile"
    try:
        names = sorted(p.name for p in root.iterdir() if _named_like_a_dockerfile(p.name))
    except OSError:
        return None
    running = [name for name in names[:20] if (found := parsed(root, name)) is not None and _runs_the_app(found)]
    if len(running) == 1:
        return running[0]
    return None if running else _built_by_compose(root)


def _built_by_compose(root: Path) -> str | None:
    """The Dockerfile the project's own compose files build the project with, inside the project. A database
    built from the same context (`infra/postgres/Dockerfile`) is told apart: the app's file installs or runs
    Python. Two such files: nothing."""
    from quayside.inspection.projectcompose import compose_files

    base = root.resolve()
    named: set[str] = set()
    for compose in compose_files(root):
        for _, spec in compose.app_services(root):
            build = spec.get("build")
            dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
            if not isinstance(dockerfile, str) or not dockerfile or "$" in dockerfile:
                continue
            path = (base / dockerfile).resolve()
            if path.is_relative_to(base) and path != base and not (base / dockerfile).is_symlink():
                named.add(path.relative_to(base).as_posix())
    python = [name for name in sorted(named)[:20] if (found := parsed(root, name)) is not None and _python(found)]
    return python[0] if len(python) == 1 else None


def _python(dockerfile: Any) -> bool:
    """It runs the app, or installs Python packages in some stage (the app's, not a database's)."""
    from quayside.inspection.baseimage import image_name

    if _runs_the_app(dockerfile):
        return True
    for stage in dockerfile.stages:
        if image_name(stage.base_resolved).endswith(("python", "/uv")) or any(
                re.search(r"\b(pip|uv|poetry|pdm|pipenv)\b.*\b(install|sync)\b", run.rest) for run in stage.find("RUN")):
            return True
    return False


class ProjectDockerfile(NamedTuple):
    file: str
    text: str
    generated: bool  # quayside's own, written in place of the project's: only its marker lines speak for that one

    def kept(self, marker: str) -> tuple[int, str] | None:
        """(line, value) of a marker in quayside's own Dockerfile (see kept_by_marker)."""
        return kept_by_marker(self.text, marker) if self.generated else None


def read_project_dockerfile(root: Path) -> ProjectDockerfile | None:
    """The Dockerfile that builds the app, read, and whether quayside wrote it."""
    from quayside.provenance import is_generated

    found = project_dockerfile_text(root)
    return ProjectDockerfile(found[0], found[1], is_generated(found[1])) if found is not None else None


def project_dockerfile_text(root: Path) -> tuple[str, str] | None:
    """(name, text) of the Dockerfile that builds the app, or None."""
    from quayside.inspection.source import read_text

    name = project_dockerfile(root)
    if name is None:
        return None
    try:
        return name, read_text(root / name, what=name)
    except UserInputError:
        return None


def kept_by_marker(text: str, marker: str) -> tuple[int, str] | None:
    """(line, value) of quayside's `# quayside-…: value` line in a Dockerfile it generated: what an earlier init
    read from the Dockerfile this one replaced. None in any other file (a user's comment is no marker)."""
    from quayside.provenance import is_generated

    if not is_generated(text):
        return None
    return next(((number, line[len(marker):].strip()) for number, line in enumerate(text.splitlines(), 1)
                 if line.startswith(marker)), None)
