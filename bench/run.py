"""quayside's proof in numbers, from one run on this machine: footprint and speed of the production image
against the FastAPI guide's Dockerfiles and a `docker init`-style template, throughput with 1 and 2 workers
and on the host, memory per worker. Prints one table with ratios and the targets, writes bench/results.json.

    bench/run [--example examples/guide-app] [--seconds 10]

HTTP goes to 127.0.0.1 (the host run) or to containers on a network this script creates; wrk (Debian) is
the load generator, and its own CPU use is reported next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from quayside.build import build_image
from quayside.engine import docker
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Style, build_plan
from quayside.targets.docker import render_dockerfile, render_dockerignore
from quayside.verify import VerifyOptions, port_from_image, verify_image

HERE = Path(__file__).resolve().parent

# A Dockerfile laid out as `docker init` writes one for a Python project (its public template: one stage on
# python:X-slim, pip with a cache mount and a bind-mounted requirements.txt, a non-root user without a home,
# `COPY . .`, a shell-form uvicorn CMD). The `# syntax` line is left out: no registry to fetch it from here.
DOCKER_INIT = """\
ARG PYTHON_VERSION=3.12
FROM python:${{PYTHON_VERSION}}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1
WORKDIR /app
ARG UID=10001
RUN adduser \\
    --disabled-password \\
    --gecos "" \\
    --home "/nonexistent" \\
    --shell "/sbin/nologin" \\
    --no-create-home \\
    --uid "${{UID}}" \\
    appuser
RUN --mount=type=cache,target=/root/.cache/pip \\
    --mount=type=bind,source=requirements.txt,target=requirements.txt \\
    python -m pip install -r requirements.txt
USER appuser
COPY . .
EXPOSE 8000
CMD uvicorn '{entrypoint}' --host=0.0.0.0 --port=8000
"""


def wait_for_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dockerfiles(example: Path) -> dict[str, tuple[str, str]]:
    """label -> (Dockerfile text, style that verify should demand)"""
    info = inspect_project(example)
    out = {}
    for label, style in (("production", Style.PRODUCTION), ("guide", Style.GUIDE), ("multistage", Style.MULTISTAGE)):
        out[label] = (render_dockerfile(build_plan(info, InitOptions(style=style))), style.value)
    out["docker-init"] = (DOCKER_INIT.format(entrypoint=info.app.value.entrypoint), "guide")
    return out


def footprint(example: Path, label: str, text: str, style: str, workdir: Path) -> dict:
    project = workdir / label
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("Dockerfile", ".dockerignore", "__pycache__"))
    (project / "Dockerfile").write_text(text)
    (project / ".dockerignore").write_text(render_dockerignore())
    tag = f"quayside-bench/{label}:{uuid.uuid4().hex[:8]}"
    docker.run(["builder", "prune", "--force", "--filter", "type=exec.cachemount"], timeout=300)
    cold = build_image(project, tag=tag, no_cache=True)
    app_file = inspect_project(project).app.value.file
    with (project / app_file).open("a") as handle:
        handle.write("\n# bench: a code-only change\n")
    warm = build_image(project, tag=tag)
    report = verify_image(tag, VerifyOptions(style=style))
    info = docker.inspect_image(tag)
    row = {
        "image": label, "tag": tag, "size_bytes": cold.size_bytes, "layers": len(info["RootFS"]["Layers"]),
        "cold_build_s": round(cold.seconds, 2), "warm_rebuild_s": round(warm.seconds, 2),
        "start_to_200_s": report.value("start_seconds"), "stop_inflight_s": report.value("stop_seconds"),
        "inflight_completed": report.value("inflight_completed"),
    }
    row.update(idle_lifecycle(tag, port_from_image(info["Config"]) or 8000))
    return row


def idle_lifecycle(tag: str, port: int) -> dict:
    """Start → healthy (when the image has a HEALTHCHECK) and the idle stop time, in one container."""
    name = f"quayside-bench-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    docker.run(["run", "-d", "--name", name, "-p", f"127.0.0.1::{port}", tag])
    try:
        healthy = None
        has_check = bool((docker.inspect_image(tag)["Config"].get("Healthcheck") or {}).get("Test"))
        host_port = docker.run(["port", name, f"{port}/tcp"]).stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        deadline = started + 90
        while time.monotonic() < deadline:
            if has_check:
                if (docker.inspect_container(name)["State"].get("Health") or {}).get("Status") == "healthy":
                    healthy = time.monotonic() - started
                    break
            else:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/openapi.json", timeout=2):
                        break
                except OSError:
                    pass
            time.sleep(0.05)
        t0 = time.monotonic()
        docker.run(["stop", "--time", "10", name], timeout=60)
        return {"start_to_healthy_s": round(healthy, 2) if healthy else None, "stop_idle_s": round(time.monotonic() - t0, 2)}
    finally:
        docker.run(["rm", "-f", name], check=False)


def wrk(url: str, seconds: int, connections: int = 64, during: Callable[[], None] | None = None) -> dict:
    """One wrk run; `during` is called halfway through (to sample memory under load)."""
    started = os.times()
    proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if during is not None:
        time.sleep(seconds / 2)
        during()
    out, _ = proc.communicate(timeout=seconds + 60)
    ended = os.times()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    client_cpu = (ended.children_user + ended.children_system) - (started.children_user + started.children_system)
    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"),
            "client_cpu_s": client_cpu, "errors": errors.group(0) if errors else None}


def rss_mb(container: str) -> list[float]:
    """Resident memory of each server process (host /proc: the engine runs on this machine)."""
    top = docker.run(["top", container, "-eo", "pid,args"]).stdout.strip().splitlines()[1:]
    out = []
    for line in top:
        pid, args = line.split(None, 1)
        if "resource_tracker" in args:
            continue
        status = Path(f"/proc/{pid}/status").read_text()
        out.append(round(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024, 1))
    return out


@dataclass
class Server:
    url: str
    container: str | None = None  # for memory per worker
    workers: int = 1
    samples: list[dict] = field(default_factory=list)
    rss_idle: list[float] = field(default_factory=list)
    rss_loaded: list[list[float]] = field(default_factory=list)

    def per_worker(self, rss: list[float]) -> float:
        workers = rss[1:] if self.workers > 1 else rss  # with several workers the first process is the supervisor
        return round(statistics.mean(workers), 1)

    def summary(self) -> dict:
        rps = [x["rps"] for x in self.samples]
        out = {"rps": round(statistics.median(rps), 1), "rps_min": round(min(rps), 1), "rps_max": round(max(rps), 1),
               "p50_ms": round(statistics.median(x["p50_ms"] for x in self.samples), 2),
               "p99_ms": round(statistics.median(x["p99_ms"] for x in self.samples), 2),
               "client_cpu_s": round(statistics.median(x["client_cpu_s"] for x in self.samples), 2),
               "errors": [x["errors"] for x in self.samples if x["errors"]], "rounds": len(self.samples),
               "rps_by_round": [round(r, 1) for r in rps]}
        if self.container:
            out["rss_idle_per_worker_mb"] = self.per_worker(self.rss_idle)
            out["rss_loaded_per_worker_mb"] = round(statistics.mean(self.per_worker(r) for r in self.rss_loaded), 1)
        return out


@contextmanager
def container_server(tag: str, workers: int, network: str) -> Iterator[Server]:
    name = f"quayside-bench-{uuid.uuid4().hex[:8]}"
    command = [*list(docker.inspect_image(tag)["Config"]["Cmd"]), "--workers", str(workers)]
    docker.run(["run", "-d", "--name", name, "--network", network, tag, *command])
    try:
        ip = docker.inspect_container(name)["NetworkSettings"]["Networks"][network]["IPAddress"]
        url = f"http://{ip}:8000/"
        wait_for_http(url, 60)
        yield Server(url, name, workers)
    finally:
        docker.run(["rm", "-f", name], check=False)


@contextmanager
def host_network_server(tag: str) -> Iterator[Server]:
    """The same image with --network host, bound to 127.0.0.1: the container without the bridge and veth path."""
    name = f"quayside-bench-{uuid.uuid4().hex[:8]}"
    port = free_port()
    command = [a if a != "8000" else str(port) for a in docker.inspect_image(tag)["Config"]["Cmd"]] + ["--host", "127.0.0.1"]
    docker.run(["run", "-d", "--name", name, "--network", "host", tag, *command])
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, 60)
        yield Server(url, name, 1)
    finally:
        docker.run(["rm", "-f", name], check=False)


def host_python(version: str) -> Path | None:
    """An interpreter of the image's Python version on this host, so only the container differs."""
    for candidate in sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}")):
        return candidate
    found = shutil.which(f"python{version}")
    if found and "/shims/" not in found:  # a pyenv shim for an inactive version only prints advice
        return Path(found)
    return None


@contextmanager
def host_server(example: Path, version: str, workdir: Path) -> Iterator[Server]:
    info = inspect_project(example)
    interpreter = host_python(version)
    if interpreter is None:
        raise SystemExit(f"no Python {version} on this host: the overhead comparison needs the image's version")
    venv = workdir / "host-venv"
    subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(example / "requirements.txt")], check=True, stderr=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([str(venv / "bin" / "fastapi"), "run", info.app.value.file, "--host", "127.0.0.1", "--port", str(port)],
                              cwd=example, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, 30)
        yield Server(url)
    finally:
        server.terminate()
        server.wait(timeout=20)


def throughput(example: Path, tag: str, version: str, seconds: int, rounds: int, path: str) -> dict[str, dict]:
    """All four servers up at once, measured in interleaved rounds; the median of each is reported."""
    network = f"quayside-bench-{uuid.uuid4().hex[:8]}"
    docker.run(["network", "create", network])
    try:
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="quayside-bench-host-") as tmp:
            servers = {
                "container_1_worker": stack.enter_context(container_server(tag, 1, network)),
                "container_2_workers": stack.enter_context(container_server(tag, 2, network)),
                "container_1_worker_host_network": stack.enter_context(host_network_server(tag)),
                "host_1_worker": stack.enter_context(host_server(example, version, Path(tmp))),
            }
            for server in servers.values():
                server.url = server.url.rstrip("/") + path
                wrk(server.url, 2)  # warm-up
                if server.container:
                    server.rss_idle = rss_mb(server.container)
            for round_number in range(1, rounds + 1):
                print(f"throughput round {round_number}/{rounds} ...", flush=True)
                for server in servers.values():
                    sample = (lambda s=server: s.rss_loaded.append(rss_mb(s.container))) if server.container else None
                    server.samples.append(wrk(server.url, seconds, during=sample))
            return {key: server.summary() for key, server in servers.items()}
    finally:
        docker.run(["network", "rm", network], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", type=Path, default=HERE.parent / "examples" / "guide-app")
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per server (the median is reported)")
    parser.add_argument("--path", default="/", help="what wrk requests, e.g. /items/5?q=test (the guide's other route)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/run needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    example = args.example.resolve()
    print(f"engine {docker.engine_version()}, {os.cpu_count()} CPUs; example {example.name}; "
          f"wrk -t1 -c64 GET {args.path}, {args.rounds} interleaved rounds of {args.seconds}s per server", flush=True)
    results: dict = {"example": example.name, "cpus": os.cpu_count(), "path": args.path}
    rows = []
    with tempfile.TemporaryDirectory(prefix="quayside-bench-") as tmp:
        for label, (text, style) in dockerfiles(example).items():
            print(f"footprint: {label} ...", flush=True)
            rows.append(footprint(example, label, text, style, Path(tmp)))
    results["footprint"] = rows
    production = next(r for r in rows if r["image"] == "production")
    version = build_plan(inspect_project(example), InitOptions()).python_version
    try:
        results["throughput"] = tp = throughput(example, production["tag"], version, args.seconds, args.rounds, args.path)
    finally:
        for r in rows:
            docker.run(["rmi", "-f", r["tag"]], check=False)
    one, two = tp["container_1_worker"], tp["container_2_workers"]
    one_hostnet, host = tp["container_1_worker_host_network"], tp["host_1_worker"]

    guide = next(r for r in rows if r["image"] == "guide")
    print()
    header = ("image", "size MB", "/guide", "layers", "cold s", "warm s", "warm/cold", "start→200 s", "start→healthy s",
              "stop idle s", "stop in-flight s")
    table = [header] + [(
        r["image"], f"{r['size_bytes'] / 1e6:.1f}", f"{r['size_bytes'] / guide['size_bytes']:.3f}", str(r["layers"]),
        f"{r['cold_build_s']:.1f}", f"{r['warm_rebuild_s']:.1f}", f"{r['warm_rebuild_s'] / r['cold_build_s']:.3f}",
        f"{r['start_to_200_s']:.2f}", "-" if r["start_to_healthy_s"] is None else f"{r['start_to_healthy_s']:.2f}",
        f"{r['stop_idle_s']:.2f}", f"{r['stop_inflight_s']:.2f}") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.rjust(widths[i]) if i else c.ljust(widths[i]) for i, c in enumerate(row)))
    print()
    for label, r in (("container, 1 worker", one), ("container, 2 workers", two),
                     ("container, host network", one_hostnet), ("host, 1 worker", host)):
        rss = f"; RSS/worker idle {r['rss_idle_per_worker_mb']} MB, loaded {r['rss_loaded_per_worker_mb']} MB" if "rss_idle_per_worker_mb" in r else ""
        print(f"{label:<25} {r['rps']:>8.1f} req/s (min {r['rps_min']:.0f}, max {r['rps_max']:.0f})  p50 {r['p50_ms']:.2f} ms  "
              f"p99 {r['p99_ms']:.2f} ms  (wrk CPU {r['client_cpu_s']:.1f} s/run){rss}{'  errors: ' + '; '.join(r['errors']) if r['errors'] else ''}")
    ratios = {
        "production_size_vs_guide": production["size_bytes"] / guide["size_bytes"],
        "warm_vs_cold": production["warm_rebuild_s"] / production["cold_build_s"],
        "stop_idle_s": production["stop_idle_s"],
        "workers2_vs_workers1": two["rps"] / one["rps"],
        "container_overhead": 1 - one["rps"] / host["rps"],
        "container_overhead_host_network": 1 - one_hostnet["rps"] / host["rps"],
    }
    # the rounds interleave the servers: each round is a pair measured under the same machine conditions,
    # so the median of per-round ratios is shown too (drift between rounds cancels within a pair)
    paired = {
        "workers2_vs_workers1": statistics.median(b / a for a, b in zip(one["rps_by_round"], two["rps_by_round"], strict=False)),
        "container_overhead": statistics.median(1 - a / h for a, h in zip(one["rps_by_round"], host["rps_by_round"], strict=False)),
        "container_overhead_host_network": statistics.median(1 - a / h for a, h in zip(one_hostnet["rps_by_round"], host["rps_by_round"], strict=False)),
    }
    targets = {"production_size_vs_guide": ("<=", 0.25), "warm_vs_cold": ("<=", 0.10), "stop_idle_s": ("<=", 1.0),
               "workers2_vs_workers1": (">=", 1.7), "container_overhead": ("<=", 0.05),
               "container_overhead_host_network": ("<=", 0.05)}
    print()
    met_all = {}
    for key, value in ratios.items():
        op, goal = targets[key]
        met = value <= goal if op == "<=" else value >= goal  # judged on the exact value, never a rounded one
        met_all[key] = met
        pair = f"   (median of per-round ratios {paired[key]:.4f})" if key in paired else ""
        print(f"{key:<32} {value:>8.4f}   target {op} {goal}   {'met' if met else 'MISSED'}{pair}")
    ratios = {k: round(v, 4) for k, v in ratios.items()}
    results["met"] = met_all
    results["ratios"] = ratios
    results["paired_ratios"] = {k: round(v, 4) for k, v in paired.items()}
    results["targets"] = {k: f"{op} {goal}" for k, (op, goal) in targets.items()}
    for r in rows:
        r.pop("tag")
    out = HERE / ("results.json" if args.path == "/" else f"results-{re.sub(r'[^a-z0-9]+', '-', args.path).strip('-')}.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote bench/{out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
