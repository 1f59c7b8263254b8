from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext, manifest_for_tests
from quayside.check.model import Finding, Rule, Severity, register


@register
class K8sProbes(Rule):
    """A Kubernetes Deployment (or StatefulSet) container without readiness and liveness probes.

    ## Why
    Without a readiness probe, a pod gets traffic as soon as its process starts, before the app can
    answer, and keeps it while the app cannot reach its database. Without a liveness probe, a deadlocked
    worker is never restarted. Rolling updates use readiness to decide when to continue.

    ## Fix
    `readinessProbe` on the app's readiness route (e.g. `/ready`, which checks the database),
    `livenessProbe` on a cheap route (`/health`), and a `startupProbe` for slow starts.
    """

    id = "QS023"
    name = "k8s-probes"
    severity = Severity.WARNING
    summary = "a Deployment without readiness and liveness probes"
    references = (
        ("Kubernetes: liveness, readiness and startup probes", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"),
        ("FastAPI guide: Running on Startup and Restarts", "https://fastapi.tiangolo.com/deployment/docker/#running-on-startup-and-restarts"),
    )
    bad = {"k8s/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n")}
    good = {"k8s/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n"
        "          readinessProbe:\n            httpGet: {path: /ready, port: 8000}\n"
        "          livenessProbe:\n            httpGet: {path: /health, port: 8000}\n")}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for doc, obj, container in ctx.k8s_containers():
            if obj.get("kind") not in ("Deployment", "StatefulSet") or (manifest_for_tests(doc.path) and not ctx.production_profile):
                continue
            missing = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
            if missing:
                yield self.at_line(doc.path, doc.line_of(container), 1,
                                   f"{obj.get('kind')} container {container.get('name')} has no {' and no '.join(missing)}")
