from __future__ import annotations

from collections.abc import Iterator

from quayside.check.command import find_server, server_workers, split_words, stage_env
from quayside.check.context import CheckContext, dig
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import app_services, final_servers

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def _cpus(service: Any) -> float | None:
    value = service.get("cpus") or dig(service, "deploy", "resources", "limits", "cpus")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@register
class WorkersWithReplicas(Rule):
    """Several server processes per container where an orchestrator already replicates containers, or more
    workers than the CPU limit allows.

    ## Why
    The FastAPI guide: with Kubernetes, Swarm or another orchestrator, run one process per container and let
    the orchestrator replicate and load-balance. Several workers per replica hide crashes from health checks,
    multiply memory, and make the autoscaler's numbers wrong. More workers than CPUs only adds context
    switches.

    ## Fix
    Drop `--workers` (and `WEB_CONCURRENCY`) and set `replicas` instead. On a single host without an
    orchestrator, use at most one worker per CPU.
    """

    id = "QS010"
    name = "workers-with-replicas"
    severity = Severity.WARNING
    summary = "several workers per container under an orchestrator"
    references = (
        ("FastAPI guide: Replication - Number of Processes", "https://fastapi.tiangolo.com/deployment/docker/#replication-number-of-processes"),
        ("FastAPI guide: One Process per Container", "https://fastapi.tiangolo.com/deployment/docker/#one-process-per-container"),
    )
    bad = {
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py", "--workers", "4"]\n',
        "k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n",
    }
    good = {
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py"]\n',
        "k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 3\n",
    }

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        orchestrator = ctx.replicated_by()
        for df, stage, command, server in final_servers(ctx):
            workers = server_workers(server, stage_env(df, stage))
            if workers > 1 and orchestrator:
                yield self.at(df.path, command.instruction, f"{workers} workers per container while {orchestrator} replicates it: "
                              "run one process per container")
            for _doc, name, svc in app_services(ctx, df.path):
                cpus = _cpus(svc)
                if cpus is not None and workers > max(cpus, 1):
                    yield self.at(df.path, command.instruction, f"{workers} workers but service {name} is limited to {cpus:g} CPUs")
        for doc, name, svc in ctx.compose_services():
            command = svc.get("command")
            words = [str(w) for w in command] if isinstance(command, list) else split_words(str(command)) if command else []
            task_server = find_server(words)
            deploy = svc.get("deploy") if isinstance(svc.get("deploy"), dict) else {}
            replicas = deploy.get("replicas")
            replicated = (isinstance(replicas, int) and replicas > 1) or deploy.get("mode") == "global"
            if task_server is not None and server_workers(task_server, {}) > 1 and replicated:
                yield self.at_line(doc.path, doc.line_of(svc, "command"), 1, f"service {name}: {server_workers(task_server, {})} "
                                   f"workers per task while swarm runs {replicas if replicas else 'one per node'}: replicate tasks instead")
        for doc, obj, container in ctx.k8s_containers():
            words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
            if len(words) == 1:
                words = split_words(words[0])
            pod_server = find_server(words)
            if pod_server is not None and server_workers(pod_server, {}) > 1:
                yield self.at_line(doc.path, doc.line_of(container), 1, f"container {container.get('name')}: "
                                   f"{server_workers(pod_server, {})} workers in a {obj.get('kind')}: replicate pods instead")
