"""The compose target's files: compose.yaml, DEPLOY.md, and nginx/default.conf when nginx is the proxy."""

from __future__ import annotations

from quayside.plan.options import Proxy
from quayside.render import render
from quayside.targets.compose.plan import ComposePlan

ROLES_SCRIPT = "postgres/initdb/10-roles.sh"  # mounted into /docker-entrypoint-initdb.d
MARIADB_ROLES_SCRIPT = "mariadb/initdb/10-roles.sh"
MONGO_USERS_SCRIPT = "mongodb/initdb/10-app-user.js"


def render_compose_files(compose: ComposePlan) -> dict[str, str]:
    files = {compose.file: render("compose/compose.yaml.j2", c=compose),
             "DEPLOY.md": render("compose/DEPLOY.md.j2", c=compose)}
    if compose.proxy is Proxy.NGINX:
        files["nginx/templates/default.conf.template"] = render("compose/nginx.conf.j2", c=compose)
    elif compose.proxy is Proxy.TRAEFIK:
        files["traefik/dynamic.yaml"] = render("traefik/dynamic.yaml.j2", target="compose", project=compose.project, service=compose.app_service, port=compose.port, per_request_dns=False)
    if compose.database and compose.db_kind == "postgres":
        files[ROLES_SCRIPT] = render("postgres/roles.sh.j2", target="compose")
    elif compose.database and compose.db_kind == "mongodb":
        files[MONGO_USERS_SCRIPT] = render("mongodb/app-user.js.j2")
    elif compose.database:
        files[MARIADB_ROLES_SCRIPT] = render("mariadb/roles.sh.j2")
    return files


def render_compose(compose: ComposePlan) -> str:
    return render_compose_files(compose)[compose.file]
