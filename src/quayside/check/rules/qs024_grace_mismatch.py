from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext, dig, manifest_for_tests
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import final_servers

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any

MIN_GRACE_SECONDS = 3.0  # less than this cuts ordinary requests off mid-flight
_DURATION = lazy_compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)")


def seconds(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    total, pos = 0.0, 0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}[m.group(2)]
        pos = m.end()
    return total if pos == len(text) else None


@register
class GraceMismatch(Rule):
    """The stop grace period is shorter than the server's graceful shutdown needs, or pods behind an Ingress
    have no preStop delay.

    ## Why
    On SIGTERM, Uvicorn stops accepting and finishes in-flight requests, for up to
    `--timeout-graceful-shutdown` seconds. If compose's `stop_grace_period` or Kubernetes'
    `terminationGracePeriodSeconds` ends first, the container is killed mid-request. Behind an Ingress,
    endpoints are removed concurrently with SIGTERM: without a short `preStop` sleep, new requests still
    arrive at a server that is closing and fail.

    ## Fix
    Make the grace period longer than the server's shutdown timeout (and at least a few seconds). Under an
    Ingress, add `lifecycle.preStop` with a short sleep.
    """

    id = "QS024"
    name = "grace-mismatch"
    severity = Severity.WARNING
    summary = "the stop grace period cuts requests off"
    references = (
        ("Compose: stop_grace_period", "https://docs.docker.com/reference/compose-file/services/#stop_grace_period"),
        ("Kubernetes: termination of pods", "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination"),
        ("Uvicorn settings: timeout-graceful-shutdown", "https://www.uvicorn.org/settings/#timeouts"),
    )
    bad = {"compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 1s\n"}
    good = {"compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 20s\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        needed = MIN_GRACE_SECONDS
        for _df, _stage, _command, server in final_servers(ctx):
            timeout = server.option("--timeout-graceful-shutdown")
            if timeout and timeout.replace(".", "", 1).isdigit():
                needed = max(needed, float(timeout) + 1)
        for doc, name, svc in ctx.compose_services():
            if "stop_grace_period" in svc:
                grace = seconds(svc["stop_grace_period"])
                if grace is not None and grace < needed:
                    yield self.at_line(doc.path, doc.line_of(svc, "stop_grace_period"), 1,
                                       f"service {name}: stop_grace_period {svc['stop_grace_period']} is shorter than the {needed:g}s the server needs to finish requests")
        fronted = _behind_ingress(ctx)
        for doc, obj, container in ctx.k8s_containers():
            if obj.get("kind") not in ("Deployment", "StatefulSet") or (manifest_for_tests(doc.path) and not ctx.production_profile):
                continue
            pod = dig(obj, "spec", "template", "spec") or {}
            grace = pod.get("terminationGracePeriodSeconds")
            if isinstance(grace, (int, float)) and grace < needed:
                yield self.at_line(doc.path, doc.line_of(pod, "terminationGracePeriodSeconds"), 1,
                                   f"terminationGracePeriodSeconds {grace} is shorter than the {needed:g}s the server needs")
            if _selected(obj, fronted) and not dig(container, "lifecycle", "preStop"):
                yield self.at_line(doc.path, doc.line_of(container), 1,
                                   f"container {container.get('name')} behind an Ingress has no preStop delay: requests arrive while it shuts down")


def _behind_ingress(ctx: CheckContext) -> list[dict[str, str]]:
    """The selectors of the Services an Ingress sends traffic to (only those pods get requests while stopping)."""
    backends: set[str] = set()
    for _, ingress in ctx.k8s_objects("Ingress"):
        spec = ingress.get("spec") or {}
        paths = [dig(spec, "defaultBackend")] + [p for rule in spec.get("rules") or [] if isinstance(rule, dict)
                                                  for p in (dig(rule, "http", "paths") or [])]
        for path in paths:
            name = dig(path, "backend", "service", "name") or dig(path, "backend", "serviceName")  # v1 and v1beta1
            if name:
                backends.add(str(name))
    selectors = []
    for _, service in ctx.k8s_objects("Service"):
        if str(dig(service, "metadata", "name")) in backends:
            selector = dig(service, "spec", "selector")
            if isinstance(selector, dict) and selector:
                selectors.append({str(k): str(v) for k, v in selector.items()})
    return selectors


def _selected(workload: Any, selectors: list[dict[str, str]]) -> bool:
    labels = dig(workload, "spec", "template", "metadata", "labels")
    if not isinstance(labels, dict):
        return False
    have = {str(k): str(v) for k, v in labels.items()}
    return any(all(have.get(k) == v for k, v in selector.items()) for selector in selectors)
