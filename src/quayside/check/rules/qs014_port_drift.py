from __future__ import annotations

import re
from collections.abc import Iterator

from quayside.check.command import server_port, stage_env, url_ports
from quayside.check.context import CheckContext, dig, platform_ports
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import app_services, chain_instructions, compose_health_test, final_servers, is_third_party

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def compose_container_ports(svc: Any) -> list[int]:
    ports: list[int] = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            target = str(entry.get("target"))
            if target.isdigit():
                ports.append(int(target))
            continue
        text = str(entry).split("/")[0]
        last = text.rsplit(":", 1)[-1]
        if last.isdigit():
            ports.append(int(last))
    for entry in svc.get("expose") or []:
        text = str(entry).split("/")[0]
        if text.isdigit():
            ports.append(int(text))
    return ports


@register
class PortDrift(Rule):
    """The port the server listens on disagrees with `EXPOSE`, the health check, compose `ports`, Kubernetes
    `containerPort`, probes or Service `targetPort`, or a cloud platform's port (fly.toml `internal_port`,
    render.yaml `PORT`, an ECS `containerPort`, an ACI container port, Cloud Run's `containerPort`).

    ## Why
    Each of these is written by hand in another file, and they drift: the app listens on 8000, compose
    publishes 80, the probe asks 8080. The container then looks down to everything that talks to it while
    the app is fine.

    ## Fix
    Make all of them use the server's port: `--port` in the command (8000 when absent for `fastapi run` and
    uvicorn; `PORT` for `fastapi run`).
    """

    id = "QS014"
    name = "port-drift"
    severity = Severity.ERROR
    summary = "ports disagree across files"
    references = (
        ("Dockerfile: EXPOSE", "https://docs.docker.com/reference/dockerfile/#expose"),
        ("Compose: ports", "https://docs.docker.com/reference/compose-file/services/#ports"),
    )
    bad = {"Dockerfile": 'FROM python:3.12-slim\nEXPOSE 80\nCMD ["fastapi", "run", "main.py", "--port", "8000"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nEXPOSE 8000\nCMD ["fastapi", "run", "main.py", "--port", "8000"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage, _command, server in final_servers(ctx):
            port = server_port(server, stage_env(df, stage))
            if port is None:
                continue
            for ins in chain_instructions(df, stage, "EXPOSE"):
                exposed = [int(p.split("/")[0]) for p in ins.rest.split() if p.split("/")[0].isdigit()]
                if exposed and port not in exposed:
                    yield self.at(df.path, ins, f"EXPOSE {ins.rest.strip()} but the server listens on {port}")
            for ins in chain_instructions(df, stage, "HEALTHCHECK"):
                for p in url_ports(ins.rest):
                    if p != port:
                        yield self.at(df.path, ins, f"the health check asks port {p} but the server listens on {port}")
            for doc, name, svc in app_services(ctx, df.path):
                for p in compose_container_ports(svc):
                    if p != port:
                        key = "ports" if "ports" in svc else "expose"
                        yield self.at_line(doc.path, doc.line_of(svc, key), 1, f"service {name} maps container port {p}, but the server listens on {port}")
                test = compose_health_test(svc)
                if test is not None:
                    for p in url_ports(" ".join(test)):
                        if p != port:
                            yield self.at_line(doc.path, doc.line_of(svc["healthcheck"], "test"), 1,
                                               f"service {name}: the health check asks port {p}, the server listens on {port}")
            yield from self._k8s(ctx, port)
            for path, line, platform_port, what in platform_ports(ctx) if ctx.platform else []:
                if platform_port != port:
                    yield self.at_line(path, line, 1, f"{what} is {platform_port}, but the server listens on {port}: "
                                                      "the platform sends traffic where nothing answers")

    def _k8s(self, ctx: CheckContext, port: int) -> Iterator[Finding]:
        named: dict[str, int] = {}
        for doc, _obj, container in ctx.k8s_containers():
            if is_third_party(str(container.get("image", ""))):
                continue
            ports = container.get("ports") or []
            numbers = [p.get("containerPort") for p in ports if isinstance(p, dict)]
            named.update({str(p.get("name")): int(p["containerPort"]) for p in ports
                          if isinstance(p, dict) and p.get("name") and str(p.get("containerPort")).isdigit()})
            if numbers and port not in numbers:
                yield self.at_line(doc.path, doc.line_of(container, "ports"), 1, f"containerPort {numbers} but the server listens on {port}")
            for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = container.get(probe_name) or {}
                target = dig(probe, "httpGet", "port") or dig(probe, "tcpSocket", "port")
                value = named.get(str(target), target) if not isinstance(target, int) else target
                if isinstance(value, int) and value != port:
                    yield self.at_line(doc.path, doc.line_of(container, probe_name), 1, f"{probe_name} asks port {value}, the server listens on {port}")
        for doc, svc in ctx.k8s_objects("Service"):
            for entry in dig(svc, "spec", "ports") or []:
                target = entry.get("targetPort", entry.get("port")) if isinstance(entry, dict) else None
                value = named.get(str(target), target) if not isinstance(target, int) else target
                if isinstance(value, int) and value != port and not re.search(r"postgres|db|redis", str(dig(svc, "metadata", "name") or "")):
                    yield self.at_line(doc.path, doc.line_of(entry), 1, f"Service targetPort {value}, the server listens on {port}")
