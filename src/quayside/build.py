"""`build`: BuildKit through `docker buildx build`, with the steps parsed from its plain progress output."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quayside.buildfailure import explain, system_freeze_hint
from quayside.check.command import DEPENDENCY_COMMAND
from quayside.engine import docker
from quayside.errors import BuildFailed, DockerError, ImageNotFound, UserInputError

_STEP = re.compile(r"^#(\d+) \[(?:(?P<stage>[^\]]+?) )?(?P<index>\d+)/(?P<total>\d+)\] (?P<name>.+)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
# A RUN that installs dependencies: pip (any options before `install`), uv, poetry, pdm.


@dataclass
class Step:
    id: int
    stage: str | None
    index: int
    total: int
    name: str
    cached: bool = False
    seconds: float | None = None

    @property
    def installs_dependencies(self) -> bool:
        # `install --no-deps .` installs the project alone (its dependencies came before): a code step; a locked
        # list installed with --no-deps (-r requirements) is still the dependency step
        project_only = "--no-deps" in self.name and not re.search(r"\s(-r|--requirement)[\s=]", self.name)
        return self.name.startswith("RUN") and DEPENDENCY_COMMAND.search(self.name) is not None and not project_only


@dataclass
class BuildResult:
    tag: str
    image_id: str
    seconds: float
    size_bytes: int
    steps: list[Step] = field(default_factory=list)

    @property
    def dependency_steps(self) -> list[Step]:
        return [s for s in self.steps if s.installs_dependencies]


class _ProgressParser:
    def __init__(self, on_step: Callable[[Step, str], None] | None):
        self.steps: dict[int, Step] = {}
        self.on_step = on_step

    def feed(self, line: str) -> None:
        if m := _STEP.match(line):
            step_id = int(m[1])
            if step_id not in self.steps:
                step = Step(step_id, m["stage"], int(m["index"]), int(m["total"]), m["name"])
                self.steps[step_id] = step
                self._emit(step, "start")
        elif (m := _CACHED.match(line)) and int(m[1]) in self.steps:
            self.steps[int(m[1])].cached = True
            self._emit(self.steps[int(m[1])], "cached")
        elif (m := _DONE.match(line)) and int(m[1]) in self.steps:
            self.steps[int(m[1])].seconds = float(m[2])
            self._emit(self.steps[int(m[1])], "done")

    def _emit(self, step: Step, event: str) -> None:
        if self.on_step:
            self.on_step(step, event)


_PYTHON_TAG = re.compile(r"^(\d+\.\d+)(?:\.\d+)?(.*)$")  # 3.12-slim -> ("3.12", "-slim")


def needed_images(dockerfile_text: str) -> list[str]:
    """The images a build takes from the engine or a registry: each stage's base and each `COPY --from=` image,
    stage names, `scratch` and bases left unresolved by an ARG excepted."""
    from quayside.check.dockerfile import parse

    df = parse(dockerfile_text)
    stages = {st.name.lower() for st in df.stages if st.name}
    refs = [st.base_resolved for st in df.stages]
    refs += [value for ins in df.instructions if ins.keyword in ("COPY", "ADD") for value in ins.flag_values("from")]
    needed: list[str] = []
    for ref in refs:
        if ref and ref.lower() not in stages and ref.lower() != "scratch" and not ref.isdigit() and "$" not in ref and ref not in needed:
            needed.append(ref)
    return needed


def ensure_images(dockerfile_text: str) -> None:
    """Say before building, not after a resolver error deep in BuildKit's output, that a base image cannot be had:
    an image the engine lacks is pulled through the engine (its mirrors and credentials apply), as BuildKit would."""
    for ref in needed_images(dockerfile_text):
        if docker.has_image(ref):
            continue
        try:
            docker.pull(ref)
        except DockerError as exc:
            reason = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else f"docker pull exited {exc.returncode}"
            raise ImageNotFound(f"the engine has no {ref} and cannot pull it ({reason})", hint=_other_tags_hint(ref)) from None


def _other_tags_hint(ref: str) -> str:
    name = ref.split("@", 1)[0]
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:  # no tag, or the colon was a registry's port
        repository, tag = name, "latest"
    held = docker.image_tags(repository)
    wanted = _PYTHON_TAG.match(tag)
    if repository.rsplit("/", 1)[-1] == "python" and wanted:
        versions = sorted({m.group(1) for m in map(_PYTHON_TAG.match, held) if m and m.group(2) == wanted.group(2)},
                          key=lambda v: tuple(int(x) for x in v.split(".")))
        if versions:
            return (f"pull it where a registry is reachable, or choose a Python the engine has ({', '.join(versions)}): "
                    f"`quayside init --python {versions[-1]} --force`, or edit the FROM lines")
    if held:
        return f"pull it where a registry is reachable, or use one the engine has: {', '.join(f'{repository}:{tag}' for tag in held[:8])}"
    return f"pull it where a registry is reachable (`docker pull {ref}`), then build again"


_SECRET_ID = re.compile(r"[A-Za-z0-9_.-]+")
NETWORKS = ("default", "host", "none")


def parse_secrets(values: list[str]) -> dict[str, Path]:
    """`--secret ID=PATH` (repeatable) -> {id: file}. The file is read by BuildKit at build time, never by us."""
    secrets: dict[str, Path] = {}
    for value in values:
        secret_id, sep, raw = value.partition("=")
        if not sep or not _SECRET_ID.fullmatch(secret_id) or not raw:
            raise UserInputError(f"--secret {secret_id if sep else value!r}: expected ID=PATH, e.g. netrc=~/.netrc",
                                 hint="ID is what the Dockerfile mounts (--mount=type=secret,id=ID); PATH a file")
        path = Path(raw).expanduser()
        if not path.is_file():
            raise UserInputError(f"--secret {secret_id}: {path} is not a file", hint="give the path of the file that holds it")
        secrets[secret_id] = path.resolve()
    return secrets


def check_network(value: str | None) -> str | None:
    if value is not None and value not in NETWORKS:
        raise UserInputError(f"--network {value!r}: expected one of {', '.join(NETWORKS)}")
    return value


def default_tag(root: Path) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", root.name.lower()).strip("-._") or "app"
    return f"{name}:quayside"


def _refuse_stale_lock_export(context: Path) -> None:
    """A uv workspace member's exported lock part must match the workspace's uv.lock, and a Pipenv project's
    export its Pipfile.lock: else the image would install what the lock held when init ran, not what it holds now."""
    from quayside.inspection import pipfilelock, uvworkspace
    from quayside.inspection.dependencies import uv_workspace_root

    workspace = uv_workspace_root(context) if (context / uvworkspace.FILE).is_file() else None
    if workspace is not None and uvworkspace.stale(context, context / workspace):
        raise UserInputError(f"{uvworkspace.FILE} was written from an older {workspace}/uv.lock",
                             path=context / uvworkspace.FILE,
                             hint="run `quayside init --force` to export the lock again, then build")
    if pipfilelock.stale(context):
        raise UserInputError(f"{pipfilelock.FILE} was written from an older Pipfile.lock", path=context / pipfilelock.FILE,
                             hint="run `quayside init --force` to write it from the lock again, then build")


def build_image(
    context: Path,
    *,
    tag: str,
    dockerfile: str = "Dockerfile",
    on_step: Callable[[Step, str], None] | None = None,
    no_cache: bool = False,
    secrets: Mapping[str, Path] | None = None,
    network: str | None = None,
) -> BuildResult:
    """Build with BuildKit. `secrets` (id -> file) are mounted only by the steps that ask for them
    (`RUN --mount=type=secret,id=...`), never stored in the image or its cache; `network` is buildx's
    --network (host: a private index that only the host reaches)."""
    if not (context / dockerfile).is_file():
        raise UserInputError(f"no {dockerfile} in {context}", path=context / dockerfile, hint="run `quayside init` first")
    _refuse_stale_lock_export(context)
    docker.engine_version()
    docker.require_buildx()
    ensure_images((context / dockerfile).read_text(encoding="utf-8", errors="replace"))
    parser = _ProgressParser(on_step)
    with tempfile.TemporaryDirectory(prefix="quayside-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        args = ["buildx", "build", "--load", "--progress=plain", "--iidfile", str(iidfile),
                "-t", tag, "-f", str(context / dockerfile)]
        if no_cache:
            args.append("--no-cache")
        for secret_id, source in sorted((secrets or {}).items()):
            args += ["--secret", f"id={secret_id},src={source}"]
        if network:
            args += ["--network", network]
        started = time.monotonic()
        try:
            docker.stream([*args, str(context)], parser.feed)
        except DockerError as exc:
            if "failed to solve" not in exc.stderr and " ERROR: " not in exc.stderr:
                raise  # the engine or buildx failed, not the project's build: exit 3 as it is
            cause, hint = explain(exc.stderr)
            hint = system_freeze_hint(context) or hint
            raise BuildFailed(f"the build of {dockerfile} failed: {cause}", path=context / dockerfile,
                              hint=hint or "the step's own output is above; fix it and build again") from None
        seconds = time.monotonic() - started
        image_id = iidfile.read_text().strip()
    size = int(docker.inspect_image(tag)["Size"])
    return BuildResult(tag, image_id, seconds, size, sorted(parser.steps.values(), key=lambda s: s.id))
