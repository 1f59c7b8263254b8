"""`deploy k8s`: render an overlay (kubectl kustomize, which `kubectl apply -k` also runs), run the migration
Job to completion when there is one, apply, and wait for `kubectl rollout status`.

Rendering first lets --image replace the app's image in the Deployment and the Job alike, without editing the
user's kustomization, and puts the Job in the overlay's namespace.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from quayside.engine import kubectl
from quayside.errors import KubectlError, RolloutFailed, UserInputError


@dataclass
class Rollout:
    namespace: str
    deployment: str
    image: str
    migrated: bool
    applied: list[str]


def _yaml() -> YAML:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    return yaml


def _dump(docs: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    _yaml().dump_all(docs, buffer)
    return buffer.getvalue()


def render(directory: Path, context: str | None) -> list[dict[str, Any]]:
    try:
        out = kubectl.run(["kustomize", str(directory)], context=context, timeout=60).stdout
    except KubectlError as exc:  # kustomize reads only the user's files: their error, not the cluster's
        raise UserInputError(f"`kubectl kustomize {directory}` failed: {exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else 'no output'}",
                             path=directory, hint="`quayside check` and `kubectl kustomize` show where") from None
    return [d for d in _yaml().load_all(out) if isinstance(d, dict)]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return ((((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


def _set_image(docs: list[dict[str, Any]], image: str) -> None:
    for doc in docs:
        if doc.get("kind") in ("Deployment", "Job"):
            for container in _containers(doc):
                container["image"] = image


def _wait_job(name: str, namespace: str, context: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        job = json.loads(kubectl.run(["get", "job", name, "-n", namespace, "-o", "json"], context=context).stdout)
        conditions = {c.get("type"): c for c in (job.get("status") or {}).get("conditions") or [] if c.get("status") == "True"}
        if "Complete" in conditions:
            return
        if "Failed" in conditions or time.monotonic() > deadline:
            logs = kubectl.run(["logs", f"job/{name}", "-n", namespace, "--tail", "30"], context=context, check=False)
            why = conditions.get("Failed", {}).get("message") or f"not complete within {timeout:g}s"
            raise RolloutFailed(f"migration job {name} failed: {why}\n{(logs.stdout + logs.stderr).strip()}",
                                hint="the app was not rolled out; fix the migration and deploy again")
        time.sleep(2)


def deploy(root: Path, *, overlay: str, image: str | None, context: str | None, timeout: float) -> Rollout:
    directory = root / "k8s" / "overlays" / overlay
    if not (directory / "kustomization.yaml").is_file():
        raise UserInputError(f"no kustomization in {directory}", path=directory,
                             hint="run `quayside init --target kubernetes` first, or pass --overlay staging|production")
    docs = render(directory, context)
    kubectl.require_cluster(context)
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise UserInputError(f"the {overlay} overlay renders {len(deployments)} Deployments; deploy k8s rolls out exactly one")
    deployment = deployments[0]
    namespace = (deployment.get("metadata") or {}).get("namespace") or "default"
    name = deployment["metadata"]["name"]
    if image:
        _set_image(docs, image)
    app_image = _containers(deployment)[0]["image"]
    migrated = False
    # the overlay's own migrate kustomization (namespace and image pinned there), else the bare Job
    migrate_dir = directory / "migrate"
    if not (migrate_dir / "kustomization.yaml").is_file():
        migrate_dir = root / "k8s" / "migrate"
    if (migrate_dir / "kustomization.yaml").is_file():
        jobs = [d for d in render(migrate_dir, context) if d.get("kind") == "Job"]
        for job in jobs:
            job.setdefault("metadata", {})["namespace"] = namespace
            _set_image([job], app_image)  # migrations of the version being rolled out
            # a Job's pod template is immutable: the previous run goes before this one is created
            kubectl.run(["delete", "job", job["metadata"]["name"], "-n", namespace, "--ignore-not-found", "--wait=true"],
                        context=context, timeout=120)
            kubectl.run(["apply", "-f", "-"], context=context, input=_dump([job]))
            _wait_job(job["metadata"]["name"], namespace, context, timeout)
            migrated = True
    applied = kubectl.run(["apply", "-f", "-"], context=context, input=_dump(docs), timeout=120).stdout.splitlines()
    try:
        kubectl.run(["rollout", "status", f"deployment/{name}", "-n", namespace, f"--timeout={int(timeout)}s"],
                    context=context, timeout=timeout + 30)
    except KubectlError as exc:
        pods = kubectl.run(["get", "pods", "-n", namespace, "-l", f"app.kubernetes.io/name={name}", "-o", "wide"],
                           context=context, check=False)
        raise RolloutFailed(f"deployment/{name} did not roll out: {exc.stderr.strip()}\n{pods.stdout.strip()}",
                            hint=f"`kubectl rollout undo deployment/{name} -n {namespace}` goes back; "
                                 f"`kubectl describe pods -n {namespace}` says why") from None
    return Rollout(namespace, name, app_image, migrated, applied)
