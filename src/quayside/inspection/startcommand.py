"""Steps a project's own start command runs before its server: `CMD python3 app/create_db.py && uvicorn …`.

Such a step (tables made, a first user created) belongs to a one-off service that runs once before the app,
never to every container's CMD (the guide's pre-start step). quayside replaces the project's Dockerfile, so the
step is read from its start command: the app service's `command` in the project's own compose file, else the
final CMD of its root Dockerfile. Kept are steps that run a file or module of the project's own with its Python
(`python app/create_db.py`, `python -m app.initial_data`) or a shell script it ships; migrations (`alembic
upgrade`, `aerich upgrade`) have their own service, and waits, echoes and installs are left out. The generated
Dockerfile names the kept step in a `# quayside-prestart:` comment, so a second `init` finds it again.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quayside.errors import UserInputError
from quayside.inspection.source import read_text

SERVERS = {"uvicorn", "gunicorn", "hypercorn", "fastapi", "granian", "daphne"}
RUNNERS = (("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("exec",))
SHELLS = {"sh", "bash"}
PYTHONS = {"python", "python3"}
MARKER = "# quayside-prestart: "
# words a generated Dockerfile comment and a compose command carry as they are (no newline, quote or `$`)
_SAFE_WORD = re.compile(r"[A-Za-z0-9_./@+=:,%-]+")

if TYPE_CHECKING:
    from quayside.inspection.services import UserCompose


@dataclass(frozen=True)
class StartStep:
    argv: tuple[str, ...]
    source: str  # "Dockerfile CMD", "docker-compose.yml (service api)"


def _strip_runner(argv: list[str]) -> list[str]:
    changed = True
    while changed and argv:
        changed = False
        while argv and "=" in argv[0] and not argv[0].startswith(("-", "/", ".")):  # FOO=bar python …
            argv, changed = argv[1:], True
        for runner in RUNNERS:
            if tuple(argv[: len(runner)]) == runner:
                argv, changed = argv[len(runner):], True
    return argv


def _steps(script: str) -> list[list[str]]:
    """A shell command line split at `&&` and `;` (anything fancier, pipes or `||`, is not a start sequence)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    steps: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token in ("&&", ";"):
                steps.append([])
            elif set(token) <= set(";&|"):
                return []
            else:
                steps[-1].append(token)
    except ValueError:
        return []
    return [s for s in steps if s]


def _is_server(argv: list[str]) -> bool:
    if not argv:
        return False
    program = Path(argv[0]).name
    if program in PYTHONS and len(argv) > 2 and argv[1] == "-m":
        return argv[2] in SERVERS
    return program in SERVERS


def _project_step(root: Path, argv: list[str]) -> tuple[str, ...] | None:
    """The step, if it runs the project's own Python file or module, or a shell script it ships."""
    if not argv:
        return None
    program = Path(argv[0]).name
    if program in PYTHONS and len(argv) >= 2:
        if argv[1] == "-m" and len(argv) >= 3:
            parts = argv[2].split(".")
            if (root.joinpath(*parts).with_suffix(".py").is_file() or (root.joinpath(*parts) / "__main__.py").is_file()) \
                    and parts[0] not in SERVERS | {"alembic", "aerich", "pip"}:
                return ("python", *argv[1:])
            return None
        script = argv[1]
        if script.endswith(".py") and _inside(root, script):
            return ("python", *argv[1:])
        return None
    if program in SHELLS and len(argv) >= 2 and argv[1].endswith(".sh") and _inside(root, argv[1]):
        return ("sh", *argv[1:])
    if argv[0].startswith("./") and argv[0].endswith(".sh") and _inside(root, argv[0]):
        return ("sh", argv[0][2:], *argv[1:])
    return None


def _inside(root: Path, rel: str) -> bool:
    if rel.startswith("/") or ".." in Path(rel).parts or "wait" in Path(rel).name.lower():
        return False  # an absolute path is the old image's layout; wait-for scripts are depends_on's business
    path = root / rel
    return path.is_file() and not path.is_symlink()


def steps_before_server(root: Path, command: list[str] | str) -> tuple[str, ...] | None:
    """The project's own steps before the server in a start command, as one argv (several: one `sh -c`)."""
    if isinstance(command, list):
        if len(command) >= 3 and Path(command[0]).name in SHELLS and command[1] in ("-c", "-ec", "-ce"):
            script = command[2]
        else:
            return None  # an exec-form command runs one program: the server itself
    else:
        script = command
    steps = [_strip_runner(s) for s in _steps(script)]
    server = next((i for i, s in enumerate(steps) if _is_server(s)), None)
    if server is None:
        return None
    kept = [step for s in steps[:server] if (step := _project_step(root, s)) is not None
            and all(_SAFE_WORD.fullmatch(word) for word in step)]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return ("sh", "-c", " && ".join(shlex.join(step) for step in kept))


def project_prestart(root: Path, compose_command: object = None, compose_source: str = "") -> StartStep | None:
    """The pre-start step of the project's own start command: its compose app service's, else its root
    Dockerfile's final CMD (or, in a Dockerfile quayside wrote, the step it carried on)."""
    if isinstance(compose_command, str | list) and compose_command:
        try:  # compose splits a string command into words itself, with no shell: it is an exec form too
            command = shlex.split(compose_command) if isinstance(compose_command, str) else [str(a) for a in compose_command]
        except ValueError:
            command = []
        if command and (argv := steps_before_server(root, command)) is not None:
            return StartStep(argv, compose_source)
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file() or dockerfile.is_symlink():
        return None
    try:
        text = read_text(dockerfile, what="Dockerfile")
    except UserInputError:
        return None
    from quayside.provenance import is_generated

    if is_generated(text):
        for line in text.splitlines():
            if line.startswith(MARKER):
                try:
                    argv = tuple(shlex.split(line[len(MARKER):]))
                except ValueError:
                    return None
                return StartStep(argv, "Dockerfile (quayside-prestart)") if argv else None
        return None
    from quayside.check.dockerfile import parse

    final = parse(text, "Dockerfile").final_stage
    cmd = final.last("CMD") if final is not None else None
    if cmd is None or final is None or final.last("ENTRYPOINT") is not None:
        return None
    form = cmd.exec_form
    argv = steps_before_server(root, form if form is not None else cmd.rest)
    return StartStep(argv, "Dockerfile CMD") if argv is not None else None


def project_prestart_of(root: Path, user: UserCompose | None) -> StartStep | None:
    """project_prestart with the project's own compose file, when it has one."""
    if user is None or not user.app_command:
        return project_prestart(root)
    command = user.app_command if isinstance(user.app_command, str) else list(user.app_command)
    return project_prestart(root, command, f"{user.file} (service {user.app_service})")


def step_files(root: Path, argv: tuple[str, ...]) -> tuple[str, ...]:
    """The project files a kept step runs (one `sh -c` of several: each one's): they must be in the image."""
    if len(argv) == 3 and argv[:2] == ("sh", "-c"):
        return tuple(f for step in _steps(argv[2]) for f in step_files(root, tuple(step)))
    if len(argv) >= 3 and argv[0] == "python" and argv[1] == "-m":
        module = "/".join(argv[2].split("."))
        return tuple(p for p in (f"{module}.py", f"{module}/__main__.py") if (root / p).is_file())
    if len(argv) >= 2 and argv[0] in ("python", "sh"):
        return (argv[1],)
    return ()


# Files where a project writes how it starts its server, in the order they are trusted: what deploys it first.
START_FILES = ("Procfile", "Dockerfile", "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
               "Makefile", "justfile", "README.md", "README.rst", "README")
_SERVER_WORD = re.compile(r"\b(?:uvicorn|gunicorn|hypercorn|granian|daphne)\b")
_TARGET = re.compile(r"(?<![\w./:-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)(?![\w.:/-])")


@dataclass(frozen=True)
class DocumentedTarget:
    entrypoint: str  # "apps.main:app"
    source: str  # "Makefile:5"


def documented_targets(root: Path) -> list[DocumentedTarget]:
    """`module:variable` targets the project's own start commands give a server (`uvicorn apps.main:app` in its
    Makefile, Procfile, Dockerfile, compose file or README), in the order of START_FILES; commented lines are
    not commands. Whether a target names an app is the caller's to check."""
    found: list[DocumentedTarget] = []
    for name in START_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = read_text(path, what=name)
        except UserInputError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            server = _SERVER_WORD.search(line)
            if server is None or line.lstrip().startswith("#"):
                continue
            for match in _TARGET.finditer(line, server.end()):
                found.append(DocumentedTarget(f"{match[1]}:{match[2]}", f"{name}:{number}"))
    return found
