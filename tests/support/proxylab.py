"""HTTPS helpers for the live proxy tests: pebble (a real ACME server), and requests to 127.0.0.1 with the
app's domain as SNI and Host."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from pathlib import Path

from quayside.engine import docker

DOMAIN = "app.quayside.test"
PEBBLE = "ghcr.io/letsencrypt/pebble:2.6.0"


def write_pebble_config(directory: Path) -> None:
    """pebble's config (ACME on 14000, management on 15000, validating on 80/443) and the CA its own TLS uses."""
    minica = docker.run(["run", "--rm", "--entrypoint", "cat", PEBBLE, "/test/certs/pebble.minica.pem"]).stdout
    directory.mkdir()
    (directory / "minica.pem").write_text(minica)
    (directory / "config.json").write_text(json.dumps({"pebble": {
        "listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
        "certificate": "/test/certs/localhost/cert.pem", "privateKey": "/test/certs/localhost/key.pem",
        "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": False}}))


def pebble_root(mgmt_port: int, minica: Path) -> str:
    """pebble's issuing root (made fresh at each start), fetched over its management API."""
    conn = http.client.HTTPSConnection("127.0.0.1", mgmt_port, context=ssl.create_default_context(cafile=str(minica)), timeout=10)
    try:
        conn.request("GET", "/roots/0")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


class _LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with the app's domain as SNI and Host."""

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def https_get(port: int, path: str, cafile: str, headers: dict[str, str] | None = None,
              server_name: str = DOMAIN) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context(cafile=cafile)
    if server_name != DOMAIN:
        context.check_hostname = False  # asking for another name on purpose: the server must refuse it
    conn = _LoopbackHTTPS(server_name, port, context=context, timeout=10)
    try:
        # the Host a browser sends to port 443 (no port): what the proxy sees in production
        conn.request("GET", path, headers={"Host": DOMAIN, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def http_get(port: int, path: str, host: str = DOMAIN) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
