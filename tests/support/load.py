"""A bounded HTTP load: a fixed number of keep-alive connections, each sending one request at a time.

Every request is recorded (start, latency, status or error) and never retried, so a failure during a rolling
update or a restart is counted, not hidden. Used by the live tests and bench/; stdlib only, so its own cost is
small and predictable (its CPU time is reported).
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    started: float  # time.monotonic()
    seconds: float
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclass
class Summary:
    sent: int
    failed: int
    p50_ms: float | None
    p99_ms: float | None
    errors: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"sent": self.sent, "failed": self.failed, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "errors": self.errors}


def summarize(samples: list[Sample]) -> Summary:
    latencies = sorted(s.seconds * 1000 for s in samples if s.ok)
    errors: dict[str, int] = {}
    for s in samples:
        if not s.ok:
            key = s.error or f"HTTP {s.status}"
            errors[key] = errors.get(key, 0) + 1
    p50 = statistics.median(latencies) if latencies else None
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    return Summary(len(samples), sum(1 for s in samples if not s.ok), p50, p99, errors)


class Load:
    def __init__(self, host: str, port: int, path: str = "/", *, connections: int = 4, pause: float = 0.0,
                 headers: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.host, self.port, self.path = host, port, path
        self.connections, self.pause, self.timeout = connections, pause, timeout
        self.headers = headers or {}
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.cpu_seconds = 0.0

    def _worker(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                conn.request("GET", self.path, headers=self.headers)
                response = conn.getresponse()
                response.read()
                sample = Sample(started, time.monotonic() - started, response.status, None)
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                sample = Sample(started, time.monotonic() - started, None, type(exc).__name__)
                if conn is not None:
                    conn.close()
                conn = None
            with self._lock:
                self.samples.append(sample)
            if self.pause:
                time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def start(self) -> Load:
        self._cpu_start = time.process_time()
        for _ in range(self.connections):
            thread = threading.Thread(target=self._worker, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        self.cpu_seconds = time.process_time() - self._cpu_start
        with self._lock:
            return list(self.samples)

    def between(self, start: float, end: float) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.started < end]
