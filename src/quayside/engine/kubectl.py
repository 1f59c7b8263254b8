"""kubectl through the one runner: failures become KubectlError with the command, exit code and stderr; no
kubectl or no reachable cluster becomes ClusterUnavailable with what to do."""

from __future__ import annotations

from typing import NoReturn

from quayside.engine import runner
from quayside.engine.runner import Result
from quayside.errors import ClusterUnavailable, KubectlError

_NO_CLUSTER_MARKERS = (
    "The connection to the server",
    "Unable to connect to the server",
    "no configuration has been provided",
    "dial tcp",
    "connection refused",
    "context was not found",
    "does not exist in the kubeconfig",
)
_CLUSTER_HINT = "check `kubectl config current-context` (or pass --context) and that the cluster is up"


def _missing() -> NoReturn:
    raise ClusterUnavailable("kubectl is not installed", hint="install kubectl (it also renders kustomize overlays)")


def _fail(command: list[str], returncode: int, stderr: str) -> NoReturn:
    if any(marker in stderr for marker in _NO_CLUSTER_MARKERS):
        # kubectl's last line is the summary ("The connection to the server ... was refused"); klog lines come first
        first = stderr.strip().splitlines()[-1].removeprefix("error: ") if stderr.strip() else "no output"
        raise ClusterUnavailable(f"no Kubernetes cluster answers: {first}", hint=_CLUSTER_HINT)
    raise KubectlError(command, returncode, stderr)


def _timed_out(command: list[str], timeout: float, stderr: str) -> NoReturn:
    raise KubectlError(command, -1, f"timed out after {timeout:g}s\n{stderr}")


KUBECTL = runner.Program("kubectl", _missing, _fail, _timed_out)


def run(args: list[str], *, context: str | None = None, timeout: float = 120, check: bool = True,
        input: str | None = None) -> Result:
    flags = ["--context", context] if context else []
    return runner.run(KUBECTL, [*flags, *args], timeout=timeout, check=check, input=input)


def require_cluster(context: str | None) -> None:
    """Fail early, with the server kubectl would talk to, when no cluster answers (before any change)."""
    probe = run(["version", "--output=json"], context=context, timeout=30, check=False)
    if probe.returncode != 0:
        server = run(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"], context=context,
                     timeout=30, check=False).stdout.strip()
        where = f"at {server}" if server else "(no kubeconfig context: kubectl falls back to localhost:8080)"
        raise ClusterUnavailable(f"no Kubernetes cluster answers {where}", hint=_CLUSTER_HINT)
