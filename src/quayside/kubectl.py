"""The one place that runs kubectl (as docker.py is for docker): failures become KubectlError with the command,
exit code and stderr; no kubectl or no reachable cluster becomes ClusterUnavailable with what to do."""

from __future__ import annotations

import os
import shutil
import subprocess
from quayside.docker import Result  # the same shape of result for both choke points
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


def run(args: list[str], *, context: str | None = None, timeout: float = 120, check: bool = True,
        input: str | None = None) -> Result:
    binary = shutil.which("kubectl")
    if not binary:
        raise ClusterUnavailable("kubectl is not installed", hint="install kubectl (it also renders kustomize overlays)")
    flags = ["--context", context] if context else []
    shown = ["kubectl", *flags, *args]
    try:
        proc = subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=timeout, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL, env=dict(os.environ))
    except subprocess.TimeoutExpired as exc:
        raise KubectlError(shown, -1, f"timed out after {timeout:g}s\n{exc.stderr or ''}") from None
    if check and proc.returncode != 0:
        if any(marker in proc.stderr for marker in _NO_CLUSTER_MARKERS):
            # kubectl's last line is the summary ("The connection to the server ... was refused"); klog lines come first
            first = proc.stderr.strip().splitlines()[-1].removeprefix("error: ") if proc.stderr.strip() else "no output"
            raise ClusterUnavailable(f"no Kubernetes cluster answers: {first}",
                                     hint="check `kubectl config current-context` (or pass --context) and that the cluster is up")
        raise KubectlError(shown, proc.returncode, proc.stderr)
    return Result(shown, proc.returncode, proc.stdout, proc.stderr)


def require_cluster(context: str | None) -> None:
    """Fail early, with the server kubectl would talk to, when no cluster answers (before any change)."""
    probe = run(["version", "--output=json"], context=context, timeout=30, check=False)
    if probe.returncode != 0:
        server = run(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"], context=context,
                     timeout=30, check=False).stdout.strip()
        where = f"at {server}" if server else "(no kubeconfig context: kubectl falls back to localhost:8080)"
        raise ClusterUnavailable(f"no Kubernetes cluster answers {where}",
                                 hint="check `kubectl config current-context` (or pass --context) and that the cluster is up")
