"""Which installer the project uses, what it depends on, and which server command the image will have."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from quayside.errors import QuaysideError, UserInputError
from quayside.inspection import pipfilelock
from quayside.inspection.baseimage import BaseImagePackages, brought, covered_by_extras
from quayside.inspection.source import load_lock, read_text
from quayside.provenance import Decided

_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)")


@dataclass(frozen=True)
class Dependency:
    name: str  # canonical
    extras: frozenset[str]
    origin: str  # "requirements.txt:3", "pyproject.toml [project]"


Installer = Literal["pip", "uv", "poetry", "pdm"]
SourceKind = Literal["requirements", "pyproject"]
Server = Literal["fastapi", "uvicorn"]  # `fastapi run` when the image has the CLI, else `uvicorn module:app`


@dataclass(frozen=True)
class Dependencies:
    installer: Decided[Installer]
    source_kind: SourceKind
    files: tuple[str, ...]  # what the dependency layer needs, project-relative, in a stable order
    declared: tuple[Dependency, ...]
    package_project: bool  # pyproject has a [build-system] or uv/poetry package mode: the project itself installs
    local_paths: tuple[str, ...]  # requirements that point into the project (need the source before install)
    workspace: str | None = None  # a uv workspace member's workspace (relative): files[0] is exported from its lock
    written_requirements: str | None = None  # the file init writes as files[0]: the Dockerfile's names, or Poetry's ranges
    declared_in: tuple[str, ...] | None = None  # where a written file's requirements are declared (their git history)
    base_image: BaseImagePackages | None = None  # what the old Dockerfile's base image installed, undeclared here
    installed_beside: InstalledBeside | None = None  # what it installed by name beside the dependency file
    lock_groups: LockGroups | None = None  # the lock's groups beside the main one that the project's image installed


def read_requirements(root: Path, name: str) -> tuple[list[str], list[Dependency], list[str]]:
    """Follow -r/-c includes. Returns (files in read order, dependencies, local path requirements)."""
    files: list[str] = []
    deps: list[Dependency] = []
    local: list[str] = []

    def read(rel: str, chain: tuple[str, ...], constraints: bool) -> None:
        if rel in chain:
            raise UserInputError(f"requirements include cycle: {' -> '.join((*chain, rel))}", path=chain[0])
        if rel in files:
            return
        path = root / rel
        if not path.is_file():
            where = chain[-1] if chain else None
            raise UserInputError(
                f"includes {rel}, which does not exist" if where else f"{rel} does not exist",
                path=where,
                hint="fix the -r/-c path (it is relative to the file that includes it)",
            )
        if PurePosixPath(rel).parts and PurePosixPath(rel).parts[0] == "..":
            raise UserInputError(
                f"includes {rel}, outside the project: a Docker build context cannot reach it",
                path=chain[-1] if chain else None,
            )
        files.append(rel)
        text = read_text(path, what="requirements file", boms=True)
        logical = re.sub(r"\\\r?\n", " ", text)  # pip joins continuation lines
        for number, raw in enumerate(logical.splitlines(), start=1):
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            if not line:
                continue
            include = _INCLUDE.match(line)
            if include:
                target = (PurePosixPath(rel).parent / include.group(2)).as_posix()
                target = _normalise(target)
                read(target, (*chain, rel), constraints or include.group(1) in ("-c", "--constraint"))
                continue
            if line.startswith(("-e", "--editable")):
                local.append(f"{rel}:{number}: {line}")
                continue
            if line.startswith("-"):
                continue  # --index-url, --hash lines, ...: pip handles them
            if line.startswith((".", "/", "file:")):
                local.append(f"{rel}:{number}: {line}")
                continue
            try:
                req = Requirement(line.split(" --hash")[0].strip())
            except InvalidRequirement as exc:
                raise UserInputError(f"line {number}: not a valid requirement: {exc}", path=rel, hint="fix or remove the line") from None
            if not constraints:
                deps.append(Dependency(canonicalize_name(req.name), frozenset(req.extras), f"{rel}:{number}"))

    read(name, (), False)
    return files, deps, local


def _normalise(posix: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(posix).parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _pep621(pyproject: dict[str, Any]) -> list[Dependency]:
    project = pyproject.get("project", {})
    raw = project.get("dependencies", [])
    if not isinstance(raw, list):
        raise UserInputError("[project] dependencies must be a list of strings", path="pyproject.toml")
    deps = []
    for item in raw:
        try:
            req = Requirement(str(item))
        except InvalidRequirement as exc:
            raise UserInputError(f"[project] dependencies: {item!r} is not a valid requirement: {exc}", path="pyproject.toml") from None
        deps.append(Dependency(canonicalize_name(req.name), frozenset(req.extras), "pyproject.toml [project]"))
    return deps


def _poetry(pyproject: dict[str, Any]) -> list[Dependency]:
    table = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
    deps = _pep621(pyproject)
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        extras = frozenset(spec.get("extras", [])) if isinstance(spec, dict) else frozenset()
        deps.append(Dependency(canonicalize_name(name), extras, "pyproject.toml [tool.poetry.dependencies]"))
    return deps


def _check_lock(root: Path, name: str) -> None:
    load_lock(root / name, display=name)


def _check_uv_lock_current(root: Path, pyproject: dict[str, Any]) -> None:
    """A uv.lock that predates a dependency pyproject.toml declares (or still holds one it dropped) fails
    `uv sync --locked` minutes into the build (yatharth1706/fault-watch added python-slugify after locking):
    said here, with the names. Only [project].dependencies by name; uv's own check at build covers the rest."""
    lock = load_lock(root / "uv.lock", display="uv.lock")
    if "dependencies" in (pyproject.get("project", {}).get("dynamic") or []):
        return  # the build backend computes them: only uv can compare
    project_name = canonicalize_name(str(pyproject.get("project", {}).get("name", "")))
    entry = next((p for p in lock.get("package", []) if isinstance(p, dict)
                  and canonicalize_name(str(p.get("name", ""))) == project_name), None)
    locked = (entry or {}).get("metadata", {}).get("requires-dist") if entry else None
    if not isinstance(locked, list):
        return  # no root entry (a workspace, an old lock format): uv decides at build
    locked_names = {canonicalize_name(str(r.get("name", ""))) for r in locked if isinstance(r, dict)}
    declared = set()
    for text in pyproject.get("project", {}).get("dependencies", []) or []:
        try:
            declared.add(canonicalize_name(Requirement(str(text)).name))
        except InvalidRequirement:
            return  # said elsewhere
    added, dropped = sorted(declared - locked_names), sorted(locked_names - declared)
    if not added and not dropped:
        return
    told = "; ".join(part for part in (
        f"pyproject.toml declares {', '.join(added)}, which it has not locked" if added else "",
        f"it still locks {', '.join(dropped)}, which pyproject.toml no longer declares" if dropped else "") if part)
    raise UserInputError(f"uv.lock is older than pyproject.toml: {told}", path="uv.lock",
                         hint="run `uv lock` and commit uv.lock: the image installs the lock as it is (uv sync --locked)")


def _poetry_package_found(root: Path, pyproject: dict[str, Any]) -> bool:
    """Whether poetry-core can build the project: `packages` is declared, or a module or package named after the
    project exists (in the root or src/). Many Poetry apps keep package mode on by default but were never meant
    to be installed (their own Dockerfiles run `poetry install --no-root`): those run from their source."""
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if not isinstance(poetry, dict):
        return False
    if poetry.get("packages"):
        return True
    name = str(poetry.get("name") or pyproject.get("project", {}).get("name") or "")
    module = re.sub(r"[-_.]+", "_", name).lower()
    return bool(module) and any((base / module).is_dir() or (base / f"{module}.py").is_file() for base in (root, root / "src"))


def uv_workspace_root(root: Path) -> str | None:
    """The uv workspace this folder is a member of (a parent's pyproject.toml [tool.uv.workspace] members glob
    names it, with a uv.lock beside it), as a path relative to the folder; None when it is none's."""
    from quayside.inspection.source import load_toml

    here = root.resolve()
    for parent in list(here.parents)[:4]:
        if not (parent / "uv.lock").is_file() or not (parent / "pyproject.toml").is_file():
            continue
        try:
            members = load_toml(parent / "pyproject.toml", display=str(parent / "pyproject.toml")).get("tool", {}).get("uv", {}).get("workspace", {}).get("members", [])
        except QuaysideError:
            return None
        rel = PurePosixPath(here.relative_to(parent).as_posix())
        if isinstance(members, list) and any(isinstance(m, str) and len(PurePosixPath(m).parts) == len(rel.parts) and rel.match(m) for m in members):
            return PurePosixPath(os.path.relpath(parent, here)).as_posix()
    return None


def detect(root: Path, pyproject: dict[str, Any] | None, *, read_locks: bool = True) -> Dependencies:
    deps = _detect(root, pyproject, read_locks=read_locks)
    # uv.lock: `uv sync --locked` is the whole environment; pip's hash-checking mode refuses a requirement without
    # hashes. Poetry's and PDM's locks install with --no-deps: the base image's packages resolve in a step of their own.
    if deps.installer.value == "uv" or deps.workspace is not None:
        return deps
    if deps.installer.value in ("poetry", "pdm") and pyproject is not None:
        deps = replace(deps, lock_groups=_lock_groups(root, str(deps.installer.value), pyproject))
    extras: dict[str, frozenset[str]] = {}
    for dep in deps.declared:
        extras[dep.name] = extras.get(dep.name, frozenset()) | dep.extras
    packages = brought(root, extras)
    named = _installed_beside(root, deps, extras, packages)
    if (packages is None and named is None) or _has_hashes(root, deps):
        return deps
    added = tuple(Dependency(canonicalize_name(r), frozenset(), packages.where) for r in packages.requirements) \
        if packages is not None else ()
    if named is not None:
        added += tuple(Dependency(canonicalize_name(Requirement(r).name), frozenset(Requirement(r).extras), named.where)
                       for r in named.requirements)
    return replace(deps, declared=deps.declared + added, base_image=packages, installed_beside=named)


# a requirement the Dockerfile line carries inside double quotes: no space, quote, $ or backslash
_QUOTABLE = re.compile(r"[A-Za-z0-9._\-\[\],<>=!~*+]{1,200}")
NAMES_MARKER = "# quayside-installs: "


@dataclass(frozen=True)
class InstalledBeside:
    where: str  # "backend.dockerfile:5"
    requirements: tuple[str, ...]


def _installed_beside(root: Path, deps: Dependencies, declared: dict[str, frozenset[str]],
                      packages: BaseImagePackages | None) -> InstalledBeside | None:
    """What the project's Dockerfile installs by name beside its dependency file (Green-Wood/se3-oasis-scrapy:
    `RUN pip install -r requirements.txt` then `RUN pip install celery[redis]`, which requirements.txt lacks):
    the names it does not declare, installed beside it. Read again from quayside's own Dockerfile's marker."""
    if deps.written_requirements is not None:
        return None  # the names are the declaration itself
    from quayside.inspection.projectdockerfile import read_project_dockerfile

    read = read_project_dockerfile(root)
    if read is None:
        return None
    file = read.file
    if read.generated:
        kept = read.kept(NAMES_MARKER)
        candidates = [(word, f"{file}:{kept[0]} (quayside-installs)") for word in kept[1].split()] if kept else []
    else:
        candidates = [(found.requirement, found.where) for found in dockerfile_installs(root)]
    have: dict[str, frozenset[str]] = dict(declared)
    for brought_by_image in packages.requirements if packages else ():
        have[canonicalize_name(brought_by_image)] = frozenset()
    covered = covered_by_extras(declared)  # fastapi[standard] has uvicorn
    wanted: list[tuple[str, str]] = []
    for requirement, where in candidates:
        try:
            parsed = Requirement(requirement)
        except InvalidRequirement:
            continue
        name = canonicalize_name(parsed.name)
        if name in _TOOLING or not _QUOTABLE.fullmatch(requirement) or (name in have and parsed.extras <= have[name]) \
                or (name in covered and not parsed.extras):
            continue
        wanted.append((str(parsed), where))
    if not wanted:
        return None
    return InstalledBeside(wanted[0][1], tuple(dict.fromkeys(r for r, _ in wanted)))


GROUPS_MARKER = "# quayside-groups: "


@dataclass(frozen=True)
class LockGroups:
    where: str  # "Dockerfile:7"
    groups: tuple[str, ...]


def _declared_groups(installer: str, pyproject: dict[str, Any]) -> set[str]:
    tool = pyproject.get("tool", {})
    if installer == "poetry":
        poetry = tool.get("poetry", {})
        return set(poetry.get("group", {})) | ({"dev"} if poetry.get("dev-dependencies") else set())
    return set(tool.get("pdm", {}).get("dev-dependencies", {})) | set(pyproject.get("dependency-groups", {}))


def _lock_groups(root: Path, installer: str, pyproject: dict[str, Any]) -> LockGroups | None:
    """The groups beside the main one that the project's own Dockerfile installs (DeadDPie/SalaryTracker:
    `poetry install --with dev`, where passlib, which the app imports, is declared): the image gets them too.
    Only groups pyproject.toml declares. Read again from quayside's own Dockerfile's marker."""
    from quayside.inspection.projectdockerfile import read_project_dockerfile

    read = read_project_dockerfile(root)
    if read is None:
        return None
    file = read.file
    declared = _declared_groups(installer, pyproject)
    wanted: list[str] = []
    where = ""
    if read.generated:
        if (kept := read.kept(GROUPS_MARKER)) is not None:
            wanted, where = kept[1].split(), f"{file}:{kept[0]} (quayside-groups)"
    else:
        for stage in _stages(root)[1]:
            for run in stage.find("RUN"):
                for command in re.split(r"&&|;|\|\|", run.rest):
                    words = command.split()
                    if words[:2] != [installer, "install"] and words[:2] != [installer, "sync"]:
                        continue
                    for index, word in enumerate(words):
                        option, _, value = word.partition("=")
                        if option in ("--with", "-G", "--group", "--with-groups") and not value and index + 1 < len(words):
                            value = words[index + 1]
                        if option in ("--with", "-G", "--group", "--with-groups") and value:
                            wanted += value.split(",")
                            where = where or f"{file}:{run.line}"
    groups = tuple(dict.fromkeys(g for g in wanted if g in declared and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", g)))
    return LockGroups(where, groups) if groups else None


def _has_hashes(root: Path, deps: Dependencies) -> bool:
    if deps.source_kind != "requirements":
        return False
    return any("--hash" in read_text(root / name, what=name, boms=True) for name in deps.files if (root / name).is_file())


def _detect(root: Path, pyproject: dict[str, Any] | None, *, read_locks: bool = True) -> Dependencies:

    def has(name: str) -> bool:
        return (root / name).is_file()

    build_system = bool(pyproject and "build-system" in pyproject)
    if has("uv.lock"):
        if pyproject is None:
            raise UserInputError("uv.lock without pyproject.toml", path="uv.lock", hint="uv needs both; run `uv init` or remove uv.lock")
        if read_locks:
            _check_uv_lock_current(root, pyproject)
        package = build_system and pyproject.get("tool", {}).get("uv", {}).get("package", True) is not False
        return Dependencies(
            Decided("uv", "uv.lock", "uv.lock is present: the image installs with `uv sync --locked`"),
            "pyproject", ("pyproject.toml", "uv.lock"), tuple(_pep621(pyproject)), package, (),
        )
    if has("poetry.lock"):
        if pyproject is None:
            raise UserInputError("poetry.lock without pyproject.toml", path="poetry.lock")
        if read_locks:
            _check_lock(root, "poetry.lock")
        mode = pyproject.get("tool", {}).get("poetry", {}).get("package-mode", True)
        return Dependencies(
            Decided("poetry", "poetry.lock", "poetry.lock is present: the image installs its main group, read from the lock with hashes, by uv (no Poetry in the image)"),
            "pyproject", ("pyproject.toml", "poetry.lock"), tuple(_poetry(pyproject)),
            build_system and mode is not False and _poetry_package_found(root, pyproject), (),
        )
    if has("pdm.lock"):
        if pyproject is None:
            raise UserInputError("pdm.lock without pyproject.toml", path="pdm.lock")
        if read_locks:
            _check_lock(root, "pdm.lock")
        return Dependencies(
            Decided("pdm", "pdm.lock", "pdm.lock is present: the image installs its default group, read from the lock with hashes, by uv (no PDM in the image)"),
            "pyproject", ("pyproject.toml", "pdm.lock"), tuple(_pep621(pyproject)), build_system, (),
        )
    if has("requirements.txt"):
        files, deps, local = read_requirements(root, "requirements.txt")
        frozen = _system_freeze(root, tuple(files))
        if frozen is not None:
            return frozen
        return Dependencies(
            Decided("pip", "requirements.txt", "requirements.txt is present (the guide's way): pip installs it"),
            "requirements", tuple(files), tuple(deps), False, tuple(local),
        )
    if has(pipfilelock.LOCK):
        try:
            written = pipfilelock.export(root)
        except pipfilelock.NotExportable as exc:
            raise UserInputError(f"Pipfile.lock cannot be installed without Pipenv: {exc}", path=pipfilelock.LOCK,
                                 hint="export it with `pipenv requirements > requirements.txt` and run init again") from None
        return Dependencies(
            Decided("pip", pipfilelock.LOCK, f"Pipfile.lock is present: init writes its default packages to "
                    f"{pipfilelock.FILE}, pinned with the lock's hashes, and uv installs exactly those (no Pipenv in "
                    "the image)"),
            "requirements", (pipfilelock.FILE,),
            tuple(Dependency(canonicalize_name(name), extras, "Pipfile") for name, extras in pipfilelock.declared(root)),
            False, (), written_requirements=written, declared_in=(pipfilelock.LOCK,),
        )
    if has("Pipfile"):
        raise UserInputError("a Pipfile without Pipfile.lock: quayside installs a Pipenv project from its lock",
                             path="Pipfile", hint="run `pipenv lock` (or `pipenv requirements > requirements.txt`), "
                             "then init again")
    if pyproject is not None and pyproject.get("tool", {}).get("poetry") is not None \
            and "dependencies" not in pyproject.get("project", {}):
        from quayside.inspection import poetryranges

        try:
            written = poetryranges.export(pyproject)
            if not _poetry(pyproject):
                raise poetryranges.NotExportable("[tool.poetry.dependencies] declares none")
        except poetryranges.NotExportable as exc:
            raise UserInputError(
                f"a Poetry project without poetry.lock, and its dependencies cannot be read as pip ranges: {exc}",
                path="pyproject.toml", hint="run `poetry lock` so the image installs the exact versions you tested",
            ) from None
        mode = pyproject.get("tool", {}).get("poetry", {}).get("package-mode", True)
        return Dependencies(
            Decided("pip", "pyproject.toml [tool.poetry.dependencies]",
                    f"a Poetry project without poetry.lock: init writes the ranges it declares to {poetryranges.FILE} "
                    "and uv installs them (no Poetry in the image). They are not locked versions: `poetry lock`, then "
                    "init again, pins them"),
            "requirements", (poetryranges.FILE,), tuple(_poetry(pyproject)),
            build_system and mode is not False and _poetry_package_found(root, pyproject), (),
            written_requirements=written, declared_in=("pyproject.toml",),
        )
    if pyproject is not None and "dependencies" in pyproject.get("project", {}):
        workspace = uv_workspace_root(root)
        reason = "no lock file: pip installs [project] dependencies from pyproject.toml"
        if workspace is not None:
            from quayside.inspection import uvworkspace

            try:
                uvworkspace.export(root, root / workspace, pyproject)
            except uvworkspace.NotExportable as exc:
                reason = (f"this folder is a member of the uv workspace at {workspace}, whose uv.lock a build context "
                          f"here cannot reach, and {exc}: pip installs pyproject.toml's ranges, not the locked versions")
            else:
                return Dependencies(
                    Decided("pip", f"{workspace}/uv.lock", f"this folder is a member of the uv workspace at {workspace}, "
                            f"whose uv.lock a build context here cannot reach: init exports the member's locked packages "
                            f"to {uvworkspace.FILE}, pinned with their hashes, and uv installs exactly those"),
                    "requirements", (uvworkspace.FILE,), tuple(_pep621(pyproject)), build_system, (), workspace)
        return Dependencies(
            Decided("pip", "pyproject.toml [project]", reason),
            "pyproject", ("pyproject.toml",), tuple(_pep621(pyproject)), build_system, (),
        )
    named = dockerfile_requirements_file(root)
    if named is not None:
        name, where = named
        files, deps, local = read_requirements(root, name)
        return Dependencies(
            Decided("pip", where, f"no requirements.txt, and the project's Dockerfile installs {name} "
                    f"({where}): pip installs it"),
            "requirements", tuple(files), tuple(deps), False, tuple(local),
        )
    installed = [found for found in dockerfile_installs(root)
                 if canonicalize_name(Requirement(found.requirement).name) not in _TOOLING]
    if installed:
        lines = sorted({found.line for found in installed})
        where = f"{installed[0].file}:" + ",".join(map(str, lines))
        names = " ".join(found.requirement for found in installed)
        return Dependencies(
            Decided("pip", where, f"no dependency file, and the project's Dockerfile installs {names} by name ({where}): "
                    f"init writes them to requirements.txt, one a line, and pip installs it"),
            "requirements", ("requirements.txt",),
            tuple(_as_dependency(found) for found in installed), False, (),
            written_requirements=_requirements_from_dockerfile(installed, where),
        )
    imported = _third_party_imports(root)
    raise UserInputError(
        "no dependency file: expected requirements.txt, or pyproject.toml with [project] dependencies "
        "(and uv.lock, poetry.lock or pdm.lock)",
        path=str(root),
        hint=(f"add requirements.txt declaring what the code imports ({', '.join(imported)}), its server too: "
              '"fastapi[standard]>=0.115,<1" brings it' if imported else
              'add requirements.txt with a line such as "fastapi[standard]>=0.115,<1"'),
    )


def _system_freeze(root: Path, files: tuple[str, ...]) -> Dependencies | None:
    """requirements.txt frozen from a system Python: the image installs what the code imports, pinned by it."""
    from quayside.inspection import systemfreeze
    from quayside.inspection.services import code_imports

    text = "\n".join(read_text(root / name, what=name, boms=True) for name in files)  # with what it includes
    if not systemfreeze.system_pins(text):
        return None  # before reading any code: most projects are not a system freeze
    frozen = systemfreeze.read(text, code_imports(root), systemfreeze.own_modules(root))
    if frozen is None:
        return None
    if not frozen.chosen:
        raise UserInputError(
            f"requirements.txt is a pip freeze of a system Python (it pins {', '.join(frozen.system_pins[:3])}, which "
            "PyPI does not have), and it declares nothing the code imports",
            path="requirements.txt",
            hint="freeze a virtualenv that holds only the app's dependencies: python -m venv .venv, install them "
                 "there, .venv/bin/pip freeze > requirements.txt",
        )
    chosen = [Requirement(line) for line in frozen.chosen]
    names = ", ".join(requirement.name for requirement in chosen)
    unpinned = (f"; the code also imports {', '.join(frozen.not_pinned)}, which it declares nothing for"
                if frozen.not_pinned else "")
    deps = tuple(Dependency(canonicalize_name(requirement.name), frozenset(requirement.extras), systemfreeze.FILE)
                 for requirement in chosen)
    return Dependencies(
        Decided("pip", "requirements.txt",
                f"requirements.txt is a pip freeze of a system Python: it pins the distribution's own packages "
                f"({', '.join(frozen.system_pins[:3])}), which PyPI does not have. init writes {systemfreeze.FILE} "
                f"with what the code imports and what libraries load for it ({names}) at the versions the freeze "
                f"pins{unpinned}, and pip installs that; the system's packages stay out of the image"),
        "requirements", (systemfreeze.FILE, *files), deps, False, (),  # the freeze's includes: -c reads them too
        written_requirements=frozen.requirements, declared_in=("requirements.txt",),
    )


def _third_party_imports(root: Path) -> list[str]:
    """The top-level modules the code imports that are neither the standard library's nor the project's own:
    what a dependency file would have to declare (by their distributions' names, which may differ)."""
    import sys

    from quayside.inspection import systemfreeze
    from quayside.inspection.services import code_imports

    own = systemfreeze.own_modules(root)
    return sorted(m for m in code_imports(root) if m not in sys.stdlib_module_names and m not in own and m != "__future__")[:12]


# what a Dockerfile installs for the installer itself, not for the app (`pip install --upgrade pip`)
# installers and build tools a Dockerfile installs to install the app: never the app's own dependencies
_TOOLING = frozenset({"pip", "setuptools", "wheel", "poetry", "poetry-core", "poetry-plugin-export", "pdm", "pdm-backend",
                      "uv", "pipenv", "pip-tools", "hatch", "hatchling", "flit", "virtualenv"})


@dataclass(frozen=True)
class DockerfileInstall:
    requirement: str  # as packaging writes it back: no shell quoting, no newline
    line: int  # of the RUN instruction in the project's Dockerfile
    file: str = "Dockerfile"  # which one (projectdockerfile)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _as_dependency(found: DockerfileInstall) -> Dependency:
    parsed = Requirement(found.requirement)
    return Dependency(canonicalize_name(parsed.name), frozenset(parsed.extras), found.where)


def _requirements_from_dockerfile(installed: list[DockerfileInstall], where: str) -> str:
    header = (f"# Written by quayside init from the project's Dockerfile ({where}), which installed these by name\n"
              "# and was their only declaration. Pin the versions you test with: the image installs what this says.\n")
    return header + "".join(f"{found.requirement}\n" for found in installed)


def _stages(root: Path) -> tuple[str, list[Any]]:
    """(its name, its stages, the final one last) of the project's Dockerfile that builds the app
    (projectdockerfile: the root Dockerfile, else the one of another name that runs the app): none when
    there is no such file, when it is a link, or when it does not parse."""
    from quayside.inspection.projectdockerfile import parsed, project_dockerfile

    name = project_dockerfile(root)
    dockerfile = parsed(root, name) if name is not None else None
    return (name or "Dockerfile", list(dockerfile.stages) if dockerfile is not None else [])


_VALUED_OPTIONS = ("-r", "-c", "-e", "--requirement", "--constraint", "--editable", "-i", "--index-url",
                   "--extra-index-url", "-f", "--find-links", "-t", "--target")


def _pip_installs(stage: Any) -> list[tuple[int, list[tuple[str | None, str]]]]:
    """Each `pip install` of the stage's RUN lines: (line, [(option or None, word)]): a requirement file is
    ("-r", "requirements.txt"), a name (None, "fastapi")."""
    import shlex

    found: list[tuple[int, list[tuple[str | None, str]]]] = []
    for run in stage.find("RUN") if stage is not None else []:
        try:
            words = shlex.split(run.rest.replace("&&", " ; ").replace(";", " ; "))
        except ValueError:
            continue
        args: list[tuple[str | None, str]] | None = None
        option: str | None = None
        for index, word in enumerate(words):
            if word == ";":
                args = None
            elif word == "install" and index > 0 and re.fullmatch(r"pip(3(\.\d+)?)?", words[index - 1]):
                args = []
                found.append((run.line, args))
            elif args is None:
                continue
            elif option is not None:
                args.append((option, word))
                option = None
            elif word in _VALUED_OPTIONS:
                option = word
            elif word.startswith(("--requirement=", "-r=")):
                args.append(("-r", word.split("=", 1)[1]))
            elif not word.startswith("-"):
                args.append((None, word))
    return found


def dockerfile_installs(root: Path) -> list[DockerfileInstall]:
    """What the project's own Dockerfile installs by name (`RUN pip install fastapi uvicorn redis`), for a
    project with no dependency file, where that line is the only declaration (a-int/sap_1p). Files given
    with -r, editable paths and index options are not names."""
    found: list[DockerfileInstall] = []
    seen: set[str] = set()
    name, stages = _stages(root)
    for line, args in _pip_installs(stages[-1] if stages else None):
        for option, word in args:
            if option is not None or word == ".":
                continue
            try:
                requirement = str(Requirement(word))
            except InvalidRequirement:
                continue
            if "\n" in requirement or "\r" in requirement or requirement in seen:
                continue
            seen.add(requirement)
            found.append(DockerfileInstall(requirement, line, name))
    return found


def dockerfile_requirements_file(root: Path) -> tuple[str, str] | None:
    """(project-relative file, "Dockerfile:6") of the requirements file the project's own Dockerfile installs
    (`RUN pip install -r requirement.txt`, sylviakyu/fastapi_crud), when it is not requirements.txt: the path
    as written, else the source of the COPY that put it there. Only a regular file inside the project. Any
    stage counts: a builder stage's install is the declaration (quayside's own Dockerfile installs there)."""
    base = root.resolve()
    name, stages = _stages(root)
    for stage in stages:
        found = _named_in_stage(root, base, stage)
        if found is not None:
            return found[0], f"{name}:{found[1]}"
    return None


def _workdir_at(stage: Any, line: int) -> PurePosixPath:
    """The stage's working directory at `line`: its WORKDIRs before it, a relative one joined to the last."""
    workdir = PurePosixPath("/")
    for instruction in stage.find("WORKDIR"):
        if instruction.line < line and instruction.rest.strip() and "$" not in instruction.rest:
            workdir = PurePosixPath(workdir, instruction.rest.strip().strip("\"'"))
    return workdir


def _named_in_stage(root: Path, base: Path, stage: Any) -> tuple[str, int] | None:
    copies: list[tuple[list[str], str, PurePosixPath]] = []
    for copy in stage.find("COPY"):
        if copy.flag("from") is not None:
            continue
        parts = copy.exec_form or copy.rest.split()
        if len(parts) >= 2:
            copies.append((parts[:-1], parts[-1], _workdir_at(stage, copy.line)))
    for line, args in _pip_installs(stage):
        for option, word in args:
            if option not in ("-r", "--requirement"):
                continue
            named = PurePosixPath(word)
            candidates = [] if named.is_absolute() else [str(named)]
            # where the file is in the image: `WORKDIR /srv`, `COPY infra/requirements.txt .`, `-r requirements.txt`
            installed = PurePosixPath(os.path.normpath(PurePosixPath(_workdir_at(stage, line), named)))
            for sources, dest, workdir in copies:  # `COPY requirement.txt /app/` then `pip install -r /app/requirement.txt`
                into = PurePosixPath(os.path.normpath(PurePosixPath(workdir, dest)))
                for source in sources:
                    if dest == word or (dest.endswith("/") and dest + PurePosixPath(source).name == word) \
                            or PurePosixPath(dest, PurePosixPath(source).name) == named \
                            or installed in (into, into / PurePosixPath(source).name):
                        candidates.append(source)
                    elif installed.is_relative_to(into) and (root / source).is_dir():  # `COPY infra/ /srv/`
                        candidates.append(str(PurePosixPath(source, installed.relative_to(into))))
            for candidate in candidates:
                rel = PurePosixPath(os.path.normpath(candidate.removeprefix("./")))
                if rel.is_absolute() or ".." in rel.parts or str(rel) == ".":
                    continue
                path = root / rel
                if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(base):
                    return rel.as_posix(), line
    return None


OTHER_SERVERS = ("hypercorn", "granian", "daphne", "gunicorn")


def detect_server(deps: Dependencies) -> Decided[Server]:
    by_name: dict[str, Dependency] = {}
    for dep in deps.declared:
        if dep.name in by_name:
            by_name[dep.name] = Dependency(dep.name, by_name[dep.name].extras | dep.extras, by_name[dep.name].origin)
        else:
            by_name[dep.name] = dep
    fastapi = by_name.get("fastapi")
    cli = by_name.get("fastapi-cli")
    uvicorn = by_name.get("uvicorn")
    if fastapi and any(e.startswith("standard") for e in fastapi.extras):
        extra = sorted(e for e in fastapi.extras if e.startswith("standard"))[0]
        return Decided("fastapi", fastapi.origin, f"fastapi[{extra}] brings the `fastapi` CLI and uvicorn: the image runs `fastapi run`")
    if cli and (any(e.startswith("standard") for e in cli.extras) or uvicorn):
        return Decided("fastapi", cli.origin, "fastapi-cli with uvicorn is declared: the image runs `fastapi run`")
    if uvicorn:
        return Decided("uvicorn", uvicorn.origin, "uvicorn is declared but not fastapi[standard] or fastapi-cli: the image runs `uvicorn module:app`")
    if fastapi and "all" in fastapi.extras:
        # fastapi[all] has brought uvicorn[standard] in every release; the `fastapi` CLI only since 0.111
        return Decided("uvicorn", fastapi.origin, "fastapi[all] brings uvicorn (and the `fastapi` CLI only since 0.111): "
                       "the image runs `uvicorn module:app`")
    # another ASGI server the project runs with (kmpoltorak/fastapi-mysql-nginx: hypercorn): named, so the user
    # knows why it is not used; quayside's images, checks and proofs are uvicorn's (its signals, --proxy-headers)
    other = next((by_name[name] for name in OTHER_SERVERS if name in by_name), None)
    declared = (f"; it declares {other.name} ({other.origin}), a server quayside does not run: add uvicorn beside it"
                if other is not None else "")
    raise UserInputError(
        f"no server in the dependencies: neither fastapi[standard], fastapi-cli nor uvicorn is declared{declared}",
        path=deps.files[0] if deps.files else None,
        hint='depend on "fastapi[standard]" as the FastAPI guide does (it brings the `fastapi run` command and uvicorn)',
    )
