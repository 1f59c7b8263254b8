from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext, dig
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import chain_instructions, final_stages

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def _security(obj: Any, container: Any) -> tuple[bool, bool]:
    """(runAsNonRoot demanded, runAsUser given) for a container, pod-level settings included."""
    spec = obj.get("spec") or {}
    pod = spec if obj.get("kind") == "Pod" else (dig(spec, "template", "spec") or {})
    pod_ctx = pod.get("securityContext") or {}
    ctr_ctx = container.get("securityContext") or {}
    non_root = ctr_ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True
    user = ctr_ctx.get("runAsUser", pod_ctx.get("runAsUser")) is not None
    return non_root, user


@register
class NonNumericUser(Rule):
    """The image's `USER` is a name, and a Kubernetes workload demands `runAsNonRoot` without `runAsUser`.

    ## Why
    The kubelet checks `runAsNonRoot` from the image config before starting the container, and it cannot
    resolve a user name to a uid without reading the image's `/etc/passwd`. So it refuses the pod:
    "container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root".
    The image works with `docker run`; only the cluster refuses it.

    ## Fix
    Declare the user numerically in the Dockerfile (`USER 10001:10001`, after `useradd --uid 10001`), or set
    `runAsUser` in the pod's security context.
    """

    id = "QS026"
    name = "nonnumeric-user"
    severity = Severity.ERROR
    summary = "Kubernetes cannot verify a named USER as non-root"
    references = (
        ("Kubernetes: runAsNonRoot", "https://kubernetes.io/docs/concepts/security/pod-security-standards/"),
        ("Dockerfile: USER", "https://docs.docker.com/reference/dockerfile/#user"),
    )
    bad = {
        "Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system --create-home app\nUSER app\nCMD ["fastapi", "run", "main.py"]\n',
        "k8s/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
            "      securityContext:\n        runAsNonRoot: true\n      containers:\n        - name: app\n          image: app:1\n"),
    }
    good = {
        "Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system --uid 10001 --create-home app\nUSER 10001:10001\nCMD ["fastapi", "run", "main.py"]\n',
        "k8s/deployment.yaml": bad["k8s/deployment.yaml"],
    }

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        demanding = [(doc, obj, c) for doc, obj, c in ctx.k8s_containers() if _security(obj, c) == (True, False)]
        if not demanding:
            return
        for df, stage in final_stages(ctx):
            users = chain_instructions(df, stage, "USER")
            if not users:
                continue
            user = users[-1].rest.strip().split(":", 1)[0]
            if user and not user.isdigit() and not user.startswith("$"):
                doc, obj, _container = demanding[0]
                yield self.at(df.path, users[-1], f"USER {user} is a name, and {obj.get('kind')} {dig(obj, 'metadata', 'name')} "
                              f"({doc.path}) demands runAsNonRoot without runAsUser: the kubelet refuses to start it")
