"""Swarm lab helpers shared by tests/test_live_swarm.py and bench/swarm_rollout.py: join a one-node swarm on
loopback and leave it as found, run the DEPLOY.md nginx edge on 127.0.0.1, and clean a stack up entirely."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quayside.engine import docker
from quayside.targets.swarm import deploy as swarm


@contextmanager
def swarm_engine() -> Iterator[None]:
    """A swarm manager for the duration: initialised on loopback (port 2377 stays private) when the engine is
    not in a swarm, and left again afterwards."""
    state = json.loads(docker.run(["info", "--format", "{{json .Swarm}}"]).stdout)
    joined_here = state.get("LocalNodeState") == "inactive"
    if joined_here:
        docker.run(["swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377"], timeout=60)
    elif not state.get("ControlAvailable"):
        raise RuntimeError(f"the engine is in a swarm but not a manager ({state.get('LocalNodeState')})")
    try:
        yield
    finally:
        if joined_here:
            docker.run(["swarm", "leave", "--force"], timeout=60, check=False)
            docker.run(["network", "rm", "docker_gwbridge"], timeout=30, check=False)


def edge_config(deploy_md: str) -> str:
    """The nginx snippet DEPLOY.md recommends, in a server block: what users are told to run."""
    snippet = re.search(r"```nginx\n(.*?)```", deploy_md, re.S)
    if not snippet:
        raise AssertionError("DEPLOY.md lost its nginx edge snippet")
    return "server {\n    listen 80;\n" + snippet.group(1) + "}\n"


def start_edge(project: Path, stack: str, name: str) -> int:
    """nginx on the stack's attachable network, published on 127.0.0.1 only; returns the host port."""
    conf = project / "edge.conf"
    conf.write_text(edge_config((project / "DEPLOY.md").read_text()))
    docker.run(["run", "-d", "--name", name, "--network", f"{stack}_backend", "-p", "127.0.0.1::80",
                "-v", f"{conf}:/etc/nginx/conf.d/default.conf:ro", "nginx:1.22"])
    return int(docker.run(["port", name, "80/tcp"]).stdout.splitlines()[0].rsplit(":", 1)[1])


def remove_everything(stack: str, edge: str) -> None:
    """The edge, the stack, its secrets, its volume and its images: nothing of the run stays behind."""
    docker.run(["rm", "-f", edge], check=False)
    swarm.remove(stack)
    for secret in docker.run(["secret", "ls", "-q", "--filter", f"label={swarm.STACK_LABEL}={stack}"], check=False).stdout.split():
        docker.run(["secret", "rm", secret], check=False)
    deadline = time.monotonic() + 60
    while docker.run(["volume", "rm", f"{stack}_db-data"], check=False).returncode != 0 and time.monotonic() < deadline:
        if "no such volume" in docker.run(["volume", "inspect", f"{stack}_db-data"], check=False).stderr.lower():
            break
        time.sleep(1)  # the db container goes a moment after its service
    for image in docker.run(["image", "ls", "-q", "--filter", f"reference={stack}"], check=False).stdout.split():
        docker.run(["image", "rm", "-f", image], check=False)
