"""`build`: BuildKit through `docker buildx build`, with the steps parsed from its plain progress output."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quayside.buildfailure import explain
from quayside.check.command import DEPENDENCY_COMMAND
from quayside.engine import docker
from quayside.errors import BuildFailed, DockerError, UserInputError

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


def default_tag(root: Path) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", root.name.lower()).strip("-._") or "app"
    return f"{name}:quayside"


def build_image(
    context: Path,
    *,
    tag: str,
    dockerfile: str = "Dockerfile",
    on_step: Callable[[Step, str], None] | None = None,
    no_cache: bool = False,
) -> BuildResult:
    if not (context / dockerfile).is_file():
        raise UserInputError(f"no {dockerfile} in {context}", path=context / dockerfile, hint="run `quayside init` first")
    docker.engine_version()
    docker.require_buildx()
    parser = _ProgressParser(on_step)
    with tempfile.TemporaryDirectory(prefix="quayside-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        args = ["buildx", "build", "--load", "--progress=plain", "--iidfile", str(iidfile),
                "-t", tag, "-f", str(context / dockerfile)]
        if no_cache:
            args.append("--no-cache")
        started = time.monotonic()
        try:
            docker.stream([*args, str(context)], parser.feed)
        except DockerError as exc:
            if "failed to solve" not in exc.stderr and " ERROR: " not in exc.stderr:
                raise  # the engine or buildx failed, not the project's build: exit 3 as it is
            cause, hint = explain(exc.stderr)
            raise BuildFailed(f"the build of {dockerfile} failed: {cause}", path=context / dockerfile,
                              hint=hint or "the step's own output is above; fix it and build again") from None
        seconds = time.monotonic() - started
        image_id = iidfile.read_text().strip()
    size = int(docker.inspect_image(tag)["Size"])
    return BuildResult(tag, image_id, seconds, size, sorted(parser.steps.values(), key=lambda s: s.id))
