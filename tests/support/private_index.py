"""A private package index for the tests: PEP 503 pages behind HTTP basic auth on 127.0.0.1, serving one pure
wheel made here. Without the right credentials every request gets 401, as an Azure Artifacts, GitLab or
CodeArtifact index answers; with them, an unknown project gets 404 so installers go on to PyPI."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROJECT = "quayside-private-probe"
VALUE = "served from the private index"


def probe_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a py3-none-any wheel whose module holds VALUE."""
    dist = "quayside_private_probe-1.0"
    files = {
        "quayside_private_probe/__init__.py": f"VALUE = {VALUE!r}\n".encode(),
        f"{dist}.dist-info/METADATA": b"Metadata-Version: 2.1\nName: quayside-private-probe\nVersion: 1.0\n",
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: quayside-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return "quayside_private_probe-1.0-py3-none-any.whl", buffer.getvalue()


@dataclass
class PrivateIndex:
    url: str  # http://127.0.0.1:PORT/simple/
    user: str
    password: str
    requests: list[tuple[str, int]]  # (path, status) as served

    def netrc(self) -> str:
        return f"machine 127.0.0.1 login {self.user} password {self.password}\n"


@contextmanager
def serve_private_index() -> Iterator[PrivateIndex]:
    user, password = "builder", secrets.token_hex(16)  # made per run: no secret lives in the repository
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    wheel_name, wheel = probe_wheel()
    sha = hashlib.sha256(wheel).hexdigest()
    served: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # uv asks for a wheel's size before a ranged read
            self._head_only = True
            self.do_GET()

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != expected:
                self._send(401, b"credentials required", {"WWW-Authenticate": 'Basic realm="private"'})
            elif self.path.rstrip("/") == f"/simple/{PROJECT}":
                page = f'<!DOCTYPE html><html><body><a href="/files/{wheel_name}#sha256={sha}">{wheel_name}</a></body></html>'
                self._send(200, page.encode(), {"Content-Type": "text/html"})
            elif self.path == f"/files/{wheel_name}":
                self._send(200, wheel, {"Content-Type": "application/octet-stream"})
            else:
                self._send(404, b"not here")

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            served.append((self.path, status))
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not getattr(self, "_head_only", False):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PrivateIndex(f"http://127.0.0.1:{server.server_address[1]}/simple/", user, password, served)
    finally:
        server.shutdown()
        server.server_close()
