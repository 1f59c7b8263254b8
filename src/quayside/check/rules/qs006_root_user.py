from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import chain_instructions, final_stages

# Base images that already run as a user of their own, or whose entrypoint starts as root only to drop to one
# (the official database images use gosu); a Dockerfile built FROM them inherits that.
NON_ROOT_BASES = ("postgres", "postgis/postgis", "mysql", "mariadb", "redis", "mongo", "rabbitmq", "elasticsearch",
                  "pypiserver/pypiserver", "nginxinc/nginx-unprivileged", "bitnami/")


def _drops_root(base: str) -> bool:
    name = base.lower().split("@", 1)[0]
    name = name.removeprefix("docker.io/").removeprefix("library/")
    repository = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    return "nonroot" in name or any(repository == b or (b.endswith("/") and repository.startswith(b)) for b in NON_ROOT_BASES)


@register
class RootUser(Rule):
    """The final stage runs as root: no `USER`, or `USER root`/`USER 0`.

    ## Why
    A process running as root in a container is one kernel bug or mount mistake away from root on the host,
    and it can rewrite its own code and dependencies at run time. Kubernetes' `runAsNonRoot` refuses such
    images.

    ## Fix
    Create a user with a home, then switch to it before `CMD`:
    `RUN useradd --system --uid 10001 --create-home app` and `USER app`.
    """

    id = "QS006"
    name = "root-user"
    severity = Severity.WARNING
    summary = "the container runs as root"
    references = (
        ("Dockerfile: USER", "https://docs.docker.com/reference/dockerfile/#user"),
        ("Docker best practices: USER", "https://docs.docker.com/build/building/best-practices/#user"),
    )
    bad = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system --create-home app\nUSER app\nCMD ["fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage in final_stages(ctx):
            users = chain_instructions(df, stage, "USER")
            if not users:
                if _drops_root(df.external_base(stage)):
                    continue
                where = "the final stage" if stage is df.final_stage else f"stage {stage.name}, which is built as an image"
                yield self.at(df.path, stage.from_instruction, f"no USER in {where}: the container runs as root")
                continue
            user = users[-1].rest.strip().split(":", 1)[0]
            if user in ("root", "0"):
                yield self.at(df.path, users[-1], f"USER {user}: the container runs as root")
