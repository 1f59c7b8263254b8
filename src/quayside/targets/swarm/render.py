"""The swarm target's files: stack.yaml and DEPLOY.md."""

from __future__ import annotations

from quayside.plan.options import Proxy
from quayside.render import render
from quayside.targets.swarm.plan import STACK_FILE, TRAEFIK_ROUTES, SwarmPlan


def render_swarm_files(s: SwarmPlan) -> dict[str, str]:
    files = {STACK_FILE: render("swarm/stack.yaml.j2", s=s), "DEPLOY.md": render("swarm/DEPLOY.md.j2", s=s)}
    if s.proxy is Proxy.TRAEFIK:
        # a swarm config made from this file is Traefik's route: the file provider, no Docker socket
        files[TRAEFIK_ROUTES] = render("traefik/dynamic.yaml.j2", target="swarm", project=s.project, service="app", port=s.port, per_request_dns=True)
    if s.database:
        # a swarm config made from this file is mounted into the database's docker-entrypoint-initdb.d
        files["postgres/initdb/10-roles.sh"] = render("postgres/roles.sh.j2", target="swarm")
    return files
