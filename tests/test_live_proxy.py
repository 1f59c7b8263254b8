"""Live: HTTPS at the proxy, as `init --target compose --proxy traefik|nginx` writes it.

Traefik gets its certificate from a real ACME server (the lab's pebble, validating with TLS-ALPN-01 against
the proxy); nginx serves a test certificate made here. Requests go to 127.0.0.1 only, with the app's
domain as SNI and Host.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from quayside.engine import docker
from support.projects import EXAMPLES, copy_project
from support.proxylab import DOMAIN, PEBBLE, http_get, https_get, pebble_root, write_pebble_config

pytestmark = pytest.mark.docker



def quayside(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=900, env={**os.environ, **env}, check=False)


def compose(files: list[Path], project: Path, name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600):
    flags = [a for f in files for a in ("-f", str(f))]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(["docker", "compose", *flags, "--project-directory", str(project), "-p", name, *args],
                          capture_output=True, text=True, timeout=timeout, env=full_env, check=False)


def published(files, project, name, service, port) -> int:
    out = compose(files, project, name, "port", service, str(port)).stdout.strip()
    return int(out.rsplit(":", 1)[1])


def proxy_ip_and_gateway(name: str) -> tuple[str, str]:
    container = docker.inspect_container(f"{name}-proxy-1")
    network = container["NetworkSettings"]["Networks"][f"{name}_default"]
    info = json.loads(docker.run(["network", "inspect", f"{name}_default"]).stdout)[0]
    return network["IPAddress"], info["IPAM"]["Config"][0]["Gateway"]


def app_log_address(files, project, name, marker: str) -> str:
    """The client address uvicorn logged for the request whose path carries `marker`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        logs = compose(files, project, name, "logs", "--no-color", "app").stdout
        for line in logs.splitlines():
            if marker in line:
                m = re.search(r"(\d+\.\d+\.\d+\.\d+):\d+ - \"GET", line)
                assert m, f"no client address in the access log line: {line}"
                return m.group(1)
        time.sleep(0.25)
    raise AssertionError(f"no access log line for {marker}")


def assert_proxy_behaviour(files, project, name, https_port: int, http_port: int, cafile: str) -> None:
    status, _, body = https_get(https_port, "/health", cafile)
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    # HTTP is redirected to HTTPS
    status, headers = http_get(http_port, "/items")
    assert status in (301, 302, 307, 308) and headers["location"].startswith(f"https://{DOMAIN}")
    # FastAPI's own redirect (trailing slash) says https://: X-Forwarded-Proto is trusted
    status, headers, _ = https_get(https_port, "/items/", cafile)
    assert status == 307 and headers["location"] == f"https://{DOMAIN}/items"
    # the app logs the client's address (what the proxy saw), not the proxy's, nor what the client claims
    marker = uuid.uuid4().hex
    https_get(https_port, f"/health?probe={marker}", cafile, headers={"X-Forwarded-For": "203.0.113.66"})
    proxy_ip, gateway = proxy_ip_and_gateway(name)
    address = app_log_address(files, project, name, marker)
    assert address not in (proxy_ip, "203.0.113.66")
    assert address == gateway  # on this engine, clients on 127.0.0.1 reach the proxy from the network gateway


@pytest.fixture
def items(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path, "items")
    name = f"qstest-{uuid.uuid4().hex[:8]}"
    yield project, name
    compose([project / "compose.yaml", *sorted(project.glob("compose.*.yaml"))], project, name, "down", "--volumes", "--remove-orphans")
    docker.run(["rmi", "-f", "items:latest"], check=False)


def test_traefik_https_with_acme_from_pebble(items, tmp_path):
    project, name = items
    env = {"APP_DOMAIN": DOMAIN, "ACME_EMAIL": "ops@quayside.test", "ACME_CA_SERVER": "https://pebble:14000/dir",
           "PROXY_BIND": "127.0.0.1", "HTTP_PORT": "", "HTTPS_PORT": ""}
    assert quayside("init", str(project), "--target", "compose", "--proxy", "traefik", env=env).returncode == 0
    # test-only overlay: the ACME server, Traefik trusting its CA, and the domain resolving to the proxy
    write_pebble_config(project / "pebble")
    (project / "compose.pebble.yaml").write_text(
        "services:\n"
        "  pebble:\n"
        f"    image: {PEBBLE}\n"
        "    command: [\"pebble\", \"-config\", \"/quayside/config.json\"]\n"
        "    environment: {PEBBLE_VA_NOSLEEP: \"1\"}\n"
        "    volumes: [\"./pebble:/quayside:ro\"]\n"
        "    ports: [\"127.0.0.1::15000\"]\n"
        "  proxy:\n"
        "    environment: {LEGO_CA_CERTIFICATES: /quayside/minica.pem}\n"
        "    volumes: [\"./pebble:/quayside:ro\"]\n"
        "    depends_on: [pebble]\n"
        "    networks:\n"
        "      default:\n"
        f"        aliases: [\"{DOMAIN}\"]\n"
    )
    files = [project / "compose.yaml", project / "compose.pebble.yaml"]
    up = compose(files, project, name, "up", "--detach", "--build", "--wait", "--wait-timeout", "180", env=env, timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr

    root = pebble_root(published(files, project, name, "pebble", 15000), project / "pebble" / "minica.pem")
    (tmp_path / "pebble-root.pem").write_text(root)
    cafile = str(tmp_path / "pebble-root.pem")

    https_port = published(files, project, name, "proxy", 443)
    http_port = published(files, project, name, "proxy", 80)
    deadline = time.monotonic() + 120
    while True:  # Traefik serves its default certificate until ACME has issued the real one
        try:
            https_get(https_port, "/health", cafile)
            break
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            if time.monotonic() > deadline:
                logs = compose(files, project, name, "logs", "--no-color", "--tail", "40", "proxy").stdout
                raise AssertionError(f"no pebble-issued certificate within 120 s: {exc}\n{logs}") from None
            time.sleep(1)
    assert_proxy_behaviour(files, project, name, https_port, http_port, cafile)
    # Traefik found its route without the Docker socket
    proxy = docker.inspect_container(f"{name}-proxy-1")
    assert not [m for m in proxy["Mounts"] if m.get("Source", "").endswith("docker.sock")]
    assert proxy["HostConfig"]["ReadonlyRootfs"] is True
    assert proxy["HostConfig"]["CapDrop"] == ["ALL"]
    # `up --wait` waited for its health check: /ping on loopback. The check can fail: asked at Traefik's default
    # ping address, where nothing listens, it does
    assert proxy["State"]["Health"]["Status"] == "healthy"
    assert docker.run(["exec", f"{name}-proxy-1", "traefik", "healthcheck", "--ping"], check=False).returncode != 0


def test_nginx_https_with_a_test_certificate(items, tmp_path):
    project, name = items
    env = {"APP_DOMAIN": DOMAIN, "PROXY_BIND": "127.0.0.1", "HTTP_PORT": "", "HTTPS_PORT": ""}
    assert quayside("init", str(project), "--target", "compose", "--proxy", "nginx", env=env).returncode == 0
    certs = project / "nginx" / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
                    "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN}"], check=True, capture_output=True)
    (certs / "privkey.pem").chmod(0o644)  # nginx's master reads it as root; the container mounts it read-only
    up = quayside("up", str(project), "-p", name, env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    # `up` returns once nginx serves: its health check waits for the pid file nginx writes after binding (a
    # published port accepts connections before that, and a handshake then ends in EOF)
    proxy = docker.inspect_container(f"{name}-proxy-1")
    assert proxy["State"]["Health"]["Status"] == "healthy"
    check = proxy["Config"]["Healthcheck"]["Test"]
    unstarted = docker.run(["run", "--rm", "--entrypoint", "sh", str(proxy["Config"]["Image"]), "-c", check[1].replace("$$", "$")],
                           check=False, timeout=60)
    assert unstarted.returncode != 0  # the same check where nginx never started fails
    files = [project / "compose.yaml"]
    https_port, http_port = published(files, project, name, "proxy", 443), published(files, project, name, "proxy", 80)
    cafile = str(certs / "fullchain.pem")
    assert_proxy_behaviour(files, project, name, https_port, http_port, cafile)
    # HSTS, and no version in the Server header
    _, headers, _ = https_get(https_port, "/health", cafile)
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["server"] == "nginx"
    # another Host gets no answer at all (444), over HTTP and over HTTPS, so nothing echoes an attacker's name
    with pytest.raises(http.client.RemoteDisconnected):
        http_get(http_port, "/items", host="evil.example")
    with pytest.raises(http.client.RemoteDisconnected):
        https_get(https_port, "/items", cafile, headers={"Host": "evil.example"})
    # and a TLS client asking for another name is refused at the handshake
    with pytest.raises(ssl.SSLError):
        https_get(https_port, "/items", cafile, server_name="evil.example")
