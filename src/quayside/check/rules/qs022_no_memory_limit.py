from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext, compose_purpose, dig, manifest_for_tests
from quayside.check.model import Finding, Rule, Severity, register


@register
class NoMemoryLimit(Rule):
    """A compose, Swarm or Kubernetes service with no memory limit.

    ## Why
    Without a limit, one leaking worker grows until the host's OOM killer picks a victim: maybe your
    database, maybe the Docker daemon. With a limit, only that container is killed and restarted, and
    schedulers can place containers knowing what they need.

    ## When
    Kubernetes manifests and swarm stacks, except under a tests, examples or development folder. A compose file
    only when it is meant for production: its name says so (`docker-compose.prod.yml`, `compose.production.yaml`),
    or its services restart and none mounts source code from the host over what it builds. Development files
    (`-dev`, `.override`, `.local`, under `tests/`, `examples/`, `dev/`, bind-mounted source, no restart policy)
    are left alone; `quayside check --profile production` checks every compose file and manifest.

    ## Fix
    compose: `mem_limit: 512m` or `deploy.resources.limits.memory`. Kubernetes:
    `resources.limits.memory` (with matching requests).
    """

    id = "QS022"
    name = "no-memory-limit"
    severity = Severity.WARNING
    summary = "a service without a memory limit"
    references = (
        ("FastAPI guide: Memory", "https://fastapi.tiangolo.com/deployment/docker/#memory"),
        ("Compose deploy: resources", "https://docs.docker.com/reference/compose-file/deploy/#resources"),
    )
    bad = {"compose.yaml": "services:\n  app:\n    build: .\n    restart: unless-stopped\n"}
    good = {"compose.yaml": "services:\n  app:\n    build: .\n    restart: unless-stopped\n    deploy:\n      resources:\n        limits:\n          memory: 512m\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for doc, name, svc in ctx.compose_services():
            if not ctx.production_profile and not compose_purpose(doc.path, doc.data)[0]:
                continue
            limits = dig(svc, "deploy", "resources", "limits") or {}
            if not svc.get("mem_limit") and not limits.get("memory"):
                yield self.at_line(doc.path, doc.line_of(doc.data["services"], name), 1, f"service {name} has no memory limit")
        for doc, obj, container in ctx.k8s_containers():
            if not ctx.production_profile and manifest_for_tests(doc.path):
                continue
            if not dig(container, "resources", "limits", "memory"):
                yield self.at_line(doc.path, doc.line_of(container), 1,
                                   f"{obj.get('kind')} container {container.get('name')} has no resources.limits.memory")
