"""The compose target's files: compose.yaml, DEPLOY.md, and nginx/default.conf when nginx is the proxy."""

from __future__ import annotations

from quayside.plan.options import Proxy
from quayside.render import render
from quayside.targets.compose.plan import ComposePlan


def render_compose_files(compose: ComposePlan) -> dict[str, str]:
    files = {"compose.yaml": render("compose/compose.yaml.j2", c=compose),
             "DEPLOY.md": render("compose/DEPLOY.md.j2", c=compose)}
    if compose.proxy is Proxy.NGINX:
        files["nginx/default.conf"] = render("compose/nginx.conf.j2", c=compose)
    return files


def render_compose(compose: ComposePlan) -> str:
    return render_compose_files(compose)["compose.yaml"]
