"""What an all-in-one base image gave the app, kept when init replaces the project's Dockerfile.

tiangolo/uvicorn-gunicorn-fastapi, the image the FastAPI guide calls deprecated, installs fastapi[all] (in its
builds since 2022-11), uvicorn[standard] and gunicorn; tiangolo/uvicorn-gunicorn the last two. A project built FROM
it often declares only what it adds: breznovic/spell_book_api pins fastapi and uvicorn, and its routes take form
data through python-multipart, which only the image brought. quayside's image starts from python, so init installs,
beside the project's own dependencies, fastapi and uvicorn when it declares neither, and each package of those
extras that its code visibly uses (a Form route: python-multipart; `import yaml`: pyyaml), unpinned, resolved with
the project's pins. Not the whole of fastapi[all]: its extras of an old FastAPI no longer build on today's Python
(little7Li/fastapi-celery-example pins fastapi 0.63, whose [all] wants ujson 3), and the image never had them: it
installed a newer fastapi[all], which the project's pin then downgraded alone. gunicorn, uvloop and httptools are
left out: uvicorn runs the app, one process a container, as the guide says. The generated Dockerfile names the
replaced image in a `# quayside-base-image:` comment, so a second `init` finds it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

# what each image installed for the app: the server and framework, and the extras' packages
_FASTAPI_IMAGE, _UVICORN_IMAGE = "tiangolo/uvicorn-gunicorn-fastapi", "tiangolo/uvicorn-gunicorn"
_SERVES: dict[str, tuple[str, ...]] = {_FASTAPI_IMAGE: ("fastapi", "uvicorn"), _UVICORN_IMAGE: ("uvicorn",)}


def _used(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def _imports(module: str) -> str:
    return rf"^[ \t]*(?:from|import)[ \t]+{module}\b"


# (distribution, which images brought it, how code shows it needs it, what for): a line-level read of the code
_EXTRAS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], str], ...] = (
    ("python-multipart", (_FASTAPI_IMAGE,), _used(r"\b(?:Form|File)[ \t]*\(|\bUploadFile\b"), "takes form data"),
    ("jinja2", (_FASTAPI_IMAGE,), _used(_imports("jinja2") + r"|\bJinja2Templates\b"), "renders Jinja templates"),
    ("email-validator", (_FASTAPI_IMAGE,), _used(_imports("email_validator") + r"|\b(?:EmailStr|NameEmail)\b"),
     "validates email addresses"),
    ("itsdangerous", (_FASTAPI_IMAGE,), _used(_imports("itsdangerous") + r"|\bSessionMiddleware\b"), "signs sessions"),
    ("ujson", (_FASTAPI_IMAGE,), _used(_imports("ujson") + r"|\bUJSONResponse\b"), "uses ujson"),
    ("orjson", (_FASTAPI_IMAGE,), _used(_imports("orjson") + r"|\bORJSONResponse\b"), "uses orjson"),
    ("httpx", (_FASTAPI_IMAGE,), _used(_imports("httpx")), "imports httpx"),
    ("pydantic-settings", (_FASTAPI_IMAGE,), _used(_imports("pydantic_settings")), "imports pydantic_settings"),
    ("pyyaml", (_FASTAPI_IMAGE, _UVICORN_IMAGE), _used(_imports("yaml")), "imports yaml"),
    ("python-dotenv", (_FASTAPI_IMAGE, _UVICORN_IMAGE), _used(_imports("dotenv")), "imports dotenv"),
    ("websockets", (_FASTAPI_IMAGE, _UVICORN_IMAGE), _used(r"\bWebSocket\b|\.websocket[ \t]*\("), "serves WebSockets"),
)
_MAX_READ = 2_000_000  # bytes of one source file: past that it is data, not the app's code


MARKER = "# quayside-base-image: "
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,250}")


@dataclass(frozen=True)
class BaseImagePackages:
    image: str  # as the project's Dockerfile names it
    where: str  # "Dockerfile:1"
    requirements: tuple[str, ...]  # installed beside the project's dependencies
    why: tuple[str, ...]  # one phrase a requirement: "python-multipart: routes.py takes form data"


def image_name(reference: str) -> str:
    """`docker.io/tiangolo/uvicorn-gunicorn-fastapi:python3.9@sha256:…` → `tiangolo/uvicorn-gunicorn-fastapi`."""
    name = reference.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name.removeprefix("docker.io/").removeprefix("index.docker.io/").removeprefix("library/").lower()


# what a declared extra already brings: fastapi[standard] has uvicorn and python-multipart, and so on
_EXTRA_BRINGS: dict[tuple[str, str], frozenset[str]] = {
    ("fastapi", "standard"): frozenset({"uvicorn", "python-multipart", "jinja2", "email-validator", "httpx", "websockets",
                                        "python-dotenv", "pyyaml"}),
    ("fastapi", "all"): frozenset({"uvicorn", "python-multipart", "jinja2", "email-validator", "httpx", "itsdangerous",
                                   "pyyaml", "ujson", "orjson", "pydantic-settings", "websockets", "python-dotenv"}),
    ("uvicorn", "standard"): frozenset({"websockets", "python-dotenv", "pyyaml"}),
}


def covered_by_extras(declared: dict[str, frozenset[str]]) -> set[str]:
    covered = set(declared)
    for name, extras in declared.items():
        for extra in extras:
            covered |= _EXTRA_BRINGS.get((name, "standard" if extra.startswith("standard") else extra), frozenset())
    return covered


def brought(root: Path, declared: dict[str, frozenset[str]]) -> BaseImagePackages | None:
    """What the project Dockerfile's base image installed that the app needs and the project does not declare
    (declared: canonical name → the extras of its declarations)."""
    from quayside.check.dockerfile import parse
    from quayside.inspection.projectdockerfile import read_project_dockerfile

    read = read_project_dockerfile(root)
    if read is None:
        return None
    file, text = read.file, read.text
    if read.generated:
        # quayside's own Dockerfile, written in place of one FROM such an image: the marker names it
        kept = read.kept(MARKER)
        if kept is None or not _REFERENCE.fullmatch(kept[1]):
            return None
        image, where = kept[1], f"{file}:{kept[0]} (quayside-base-image)"
    else:
        dockerfile = parse(text, file)
        stage = dockerfile.final_stage
        if stage is None:
            return None
        base = dockerfile.stage_chain(stage)[-1]
        image, where = base.base_resolved, f"{file}:{base.from_instruction.line}"
        if not _REFERENCE.fullmatch(image):
            return None
    name = image_name(image)
    if name not in _SERVES:
        return None
    wanted = [(requirement, "the image ran the app with it") for requirement in _SERVES[name]]
    extras = [extra for extra in _EXTRAS if name in extra[1]]
    found: dict[str, str] = {}
    from quayside.inspection.appsettings import _python_files

    for path in _python_files(root):
        if len(found) == len(extras):
            break
        try:
            if path.stat().st_size > _MAX_READ:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for distribution, _, pattern, what in extras:
            if distribution not in found and pattern.search(text):
                found[distribution] = f"{path.relative_to(root).as_posix()} {what}"
    wanted += [(distribution, found[distribution]) for distribution, *_ in extras if distribution in found]
    covered = covered_by_extras(declared)
    missing = [(requirement, why) for requirement, why in wanted if canonicalize_name(requirement) not in covered]
    if not missing:
        return None
    return BaseImagePackages(image, where, tuple(r for r, _ in missing), tuple(f"{r}: {why}" for r, why in missing))
