from __future__ import annotations

from collections.abc import Iterator

from quayside.check.command import effective_command, find_server
from quayside.check.context import CheckContext
from quayside.check.dockerfile import Dockerfile, Stage
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import app_services, chain_instructions, final_stages


@register
class NoHealthcheck(Rule):
    """No health check for the app: no `HEALTHCHECK`, and none in compose or Kubernetes probes.

    ## Why
    Without a health check, Docker, compose (`depends_on: condition: service_healthy`), Swarm and
    load balancers treat a container as ready as soon as the process starts. That can be before the app
    imports, and stays so after it deadlocks. Rolling updates then send traffic to containers that cannot
    answer.

    ## Fix
    Add a `HEALTHCHECK` that asks the app itself, in the image's own Python (slim images have no curl):
    `HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"]`.
    """

    id = "QS007"
    name = "no-healthcheck"
    severity = Severity.WARNING
    summary = "nothing checks the app's health"
    references = (
        ("Dockerfile: HEALTHCHECK", "https://docs.docker.com/reference/dockerfile/#healthcheck"),
        ("FastAPI guide: Running on Startup and Restarts", "https://fastapi.tiangolo.com/deployment/docker/#running-on-startup-and-restarts"),
    )
    bad = {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nCMD ["fastapi", "run", "main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/docs\')"]\nCMD ["fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage in final_stages(ctx):
            checks = chain_instructions(df, stage, "HEALTHCHECK")
            if checks and checks[-1].rest.strip().upper() != "NONE":
                continue
            if any("healthcheck" in svc for _, _, svc in app_services(ctx, df.path)):
                continue
            if any(c.get("livenessProbe") or c.get("readinessProbe") for _, _, c in ctx.k8s_containers()):
                continue
            if not _serves(df, stage):
                continue  # a one-shot tool, a test or a worker image: nothing to probe over the network
            where = checks[-1] if checks else stage.from_instruction
            yield self.at(df.path, where, "no HEALTHCHECK, and no compose health check or Kubernetes probe for this image")


def _serves(df: Dockerfile, stage: Stage) -> bool:
    """The image serves over the network: it EXPOSEs a port, or its command starts a known server."""
    if chain_instructions(df, stage, "EXPOSE"):
        return True
    command = effective_command(df, stage)
    return command is not None and find_server(command.words()) is not None
