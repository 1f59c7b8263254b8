from __future__ import annotations

from collections.abc import Iterator

from quayside.check.command import stage_env
from quayside.check.context import CheckContext
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import app_services, final_servers

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def _service_env(svc: Any) -> dict[str, str]:
    env = svc.get("environment")
    if isinstance(env, dict):
        return {str(k): str(v) for k, v in env.items()}
    if isinstance(env, list):
        return {str(e).partition("=")[0]: str(e).partition("=")[2] for e in env}
    return {}


@register
class ProxyTrust(Rule):
    """Served behind a proxy (Traefik, Nginx, Caddy in compose, or a Kubernetes Ingress) without trusting it:
    no `--forwarded-allow-ips` / `FORWARDED_ALLOW_IPS`.

    ## Why
    Uvicorn honours `X-Forwarded-For` and `X-Forwarded-Proto` only from addresses it trusts, by default
    127.0.0.1. A proxy in another container has another address, so the headers are ignored: redirects
    (trailing slash, OAuth callbacks) say `http://` behind HTTPS, and `request.client.host` is the proxy's
    address for every user. `--proxy-headers` alone does not help.

    ## Fix
    Add `--forwarded-allow-ips` with the proxy network (e.g. `172.16.0.0/12` for Docker networks), or set
    `FORWARDED_ALLOW_IPS`. Use `*` only when the app port is reachable by the proxy alone.
    """

    id = "QS011"
    name = "proxy-trust"
    severity = Severity.WARNING
    summary = "behind a proxy that the server does not trust"
    references = (
        ("FastAPI guide: Behind a TLS Termination Proxy", "https://fastapi.tiangolo.com/deployment/docker/#behind-a-tls-termination-proxy"),
        ("Uvicorn: running behind a proxy", "https://www.uvicorn.org/deployment/#running-behind-nginx"),
    )
    bad = {
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py", "--proxy-headers"]\n',
        "compose.yaml": "services:\n  app:\n    build: .\n  proxy:\n    image: traefik:v3.1\n",
    }
    good = {
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py", "--proxy-headers", "--forwarded-allow-ips", "172.16.0.0/12"]\n',
        "compose.yaml": "services:\n  app:\n    build: .\n  proxy:\n    image: traefik:v3.1\n",
    }

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        proxy = ctx.behind_proxy()
        if proxy is None:
            return
        for df, stage, command, server in final_servers(ctx):
            if server.has("--no-proxy-headers"):
                yield self.at(df.path, command.instruction, f"--no-proxy-headers while served behind {proxy}")
                continue
            trusted = server.has("--forwarded-allow-ips") or "FORWARDED_ALLOW_IPS" in stage_env(df, stage)
            trusted = trusted or any("FORWARDED_ALLOW_IPS" in _service_env(svc) for _, _, svc in app_services(ctx, df.path))
            if not trusted:
                yield self.at(df.path, command.instruction, f"behind {proxy}, but the server trusts X-Forwarded-* only from 127.0.0.1: "
                              "add --forwarded-allow-ips with the proxy's network")
