from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.context import CheckContext, dig
from quayside.check.dockerfile import Instruction
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import app_services, chain_instructions, compose_health_test, final_stages, is_third_party

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from quayside.inspection import ProjectInfo

_URL = lazy_compile(r"https?://[^\s'\"\\)]+")


def served(project: ProjectInfo, path: str) -> bool:
    app = project.app.value
    fixed = {p for p in (app.openapi_url, app.docs_url, "/redoc" if app.docs_url else None) if p}
    if app.docs_url:
        fixed.add(app.docs_url.rstrip("/") + "/oauth2-redirect")
    if path in fixed:
        return True
    for route in project.routes:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route.path)) + "/?$"
        if re.match(pattern, path):
            return True
    return False


@register
class ProbePath(Rule):
    """A health check or probe asks for a path the app does not serve.

    ## Why
    A check of `/health` on an app without that route gets 404 every time. Docker marks the container
    unhealthy, Kubernetes restarts it or never sends it traffic. quayside knows the app's routes from
    `inspect`, so it can tell before you deploy.

    ## Fix
    Point the check at a route the app has (quayside's own health check uses the app's health route, else
    `/openapi.json`), or add the route.
    """

    id = "QS015"
    name = "probe-path"
    severity = Severity.WARNING
    summary = "the health check asks for a path the app does not serve"
    references = (
        ("Dockerfile: HEALTHCHECK", "https://docs.docker.com/reference/dockerfile/#healthcheck"),
        ("Kubernetes: liveness, readiness and startup probes", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"),
    )
    bad = {
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {}\n",
        "requirements.txt": "fastapi[standard]\n",
        "Dockerfile": 'FROM python:3.12-slim\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\')"]\nCMD ["fastapi", "run", "main.py"]\n',
    }
    good = {
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {}\n",
        "requirements.txt": "fastapi[standard]\n",
        "Dockerfile": 'FROM python:3.12-slim\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\')"]\nCMD ["fastapi", "run", "main.py"]\n',
    }

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        from urllib.parse import urlparse  # with ipaddress, a tenth of a lone Dockerfile's check: imported when used

        # (path asked, file, instruction or line, message) for every probe; the app's facts (which means parsing
        # its Python) are read only when there is a probe to judge
        probes: list[tuple[str, str, Instruction | int, str]] = []
        for df, stage in final_stages(ctx):
            for ins in chain_instructions(df, stage, "HEALTHCHECK"):
                for url in _URL.findall(ins.rest):
                    path = urlparse(url).path or "/"
                    probes.append((path, df.path, ins, f"the health check asks {path}, which the app does not serve"))
            for doc, name, svc in app_services(ctx, df.path):
                for url in _URL.findall(" ".join(compose_health_test(svc) or [])):
                    path = urlparse(url).path or "/"
                    probes.append((path, doc.path, doc.line_of(svc["healthcheck"], "test"), f"service {name} checks {path}, which the app does not serve"))
        for doc, _obj, container in ctx.k8s_containers():
            if is_third_party(str(container.get("image", ""))):
                continue
            for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                path = dig(container, probe_name, "httpGet", "path")
                if isinstance(path, str):
                    probes.append((path.split("?")[0], doc.path, doc.line_of(container, probe_name), f"{probe_name} asks {path}, which the app does not serve"))
        if not probes:
            return
        project = ctx.project
        if project is None or not project.routes_complete:
            return  # a path missing from an incomplete route table may still be served
        for path, file, where, message in probes:
            if served(project, path):
                continue
            if isinstance(where, int):
                yield self.at_line(file, where, 1, message)
            else:
                yield self.at(file, where, f"{message} ({len(project.routes)} routes found)")
