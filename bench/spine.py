"""Spine benchmark: every init style on the guide app, measured in one run on this machine's engine.

Prints, per style: image size and its ratio to the guide's basic Dockerfile, cold build (no layer cache and no
BuildKit cache mounts), warm rebuild after a code-only change and its ratio to cold, start → first 200, and stop
time idle and with a request in flight. Writes the figures to bench/results-spine.json.

    python bench/spine.py [--example examples/guide-app] [--styles production,guide,multistage,uv] [--rounds N]

With --rounds N every style is measured N times, the styles interleaved in each round (so a busy moment of
the machine falls on all of them); each figure is the median, with min–max beside it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from quayside.build import build_image
from quayside.engine import docker
from quayside.files import apply_writes, plan_writes
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Style, build_plan
from quayside.targets.docker import render_files
from quayside.verify import VerifyOptions, verify_image

HERE = Path(__file__).resolve().parent


def idle_stop_seconds(tag: str, port: int) -> float:
    name = f"quayside-bench-{uuid.uuid4().hex[:8]}"
    docker.run(["run", "-d", "--name", name, "-p", f"127.0.0.1::{port}", tag])
    try:
        host_port = docker.run(["port", name, f"{port}/tcp"]).stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/openapi.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        started = time.monotonic()
        docker.run(["stop", "--time", "10", name])
        return time.monotonic() - started
    finally:
        docker.run(["rm", "-f", name], check=False)


def measure(example: Path, style: Style, workdir: Path) -> dict[str, float | int | str]:
    project = workdir / style.value
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("Dockerfile", ".dockerignore", "__pycache__"))
    info = inspect_project(project)
    plan = build_plan(info, InitOptions(style=style))
    apply_writes(plan_writes(project, render_files(plan), force=False))
    tag = f"quayside-bench/{style.value}:{uuid.uuid4().hex[:8]}"
    try:
        # cold: no layer cache, and no pip/uv download cache left in BuildKit cache mounts
        docker.run(["builder", "prune", "--force", "--filter", "type=exec.cachemount"], timeout=300)
        cold = build_image(project, tag=tag, no_cache=True)
        with (project / info.app.value.file).open("a", encoding="utf-8") as handle:
            handle.write("\n# bench: code-only change\n")
        warm = build_image(project, tag=tag)
        report = verify_image(tag, VerifyOptions(style=style.value))
        if not report.ok:
            failed = [f"{c.name}: {c.detail}" for c in report.checks if c.status == "fail"]
            raise SystemExit(f"verify failed for {style.value}: {failed}")
        return {
            "style": style.value,
            "size_bytes": cold.size_bytes,
            "cold_build_s": round(cold.seconds, 2),
            "warm_rebuild_s": round(warm.seconds, 2),
            "dependency_layer_cached_on_warm": all(s.cached for s in warm.dependency_steps),
            "start_s": report.value("start_seconds"),
            "stop_inflight_s": report.value("stop_seconds"),
            "stop_idle_s": round(idle_stop_seconds(tag, plan.port), 3),
        }
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def _spread(values: list[float], digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", type=Path, default=HERE.parent / "examples" / "guide-app")
    parser.add_argument("--styles", default="production,guide,multistage,uv")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    styles = [Style(s) for s in args.styles.split(",")]
    if Style.GUIDE not in styles:
        styles.append(Style.GUIDE)  # the baseline every ratio is against
    print(f"engine {docker.engine_version()}; example {args.example.name}; {args.rounds} round(s)", flush=True)
    runs: dict[str, list[dict[str, float | int | str]]] = {s.value: [] for s in styles}
    with tempfile.TemporaryDirectory(prefix="quayside-bench-") as tmp:
        for round_number in range(args.rounds):
            for style in styles:
                print(f"round {round_number + 1}: measuring {style.value} ...", flush=True)
                runs[style.value].append(measure(args.example, style, Path(tmp) / str(round_number)))

    def median(style: str, key: str) -> float:
        return float(statistics.median(float(r[key]) for r in runs[style]))

    rows = []
    for style, measured in runs.items():
        row: dict[str, object] = {"style": style, "rounds": measured}
        for key in ("size_bytes", "cold_build_s", "warm_rebuild_s", "start_s", "stop_idle_s", "stop_inflight_s"):
            row[key] = median(style, key)
        row["size_vs_guide"] = round(median(style, "size_bytes") / median("guide", "size_bytes"), 3)
        row["cold_vs_guide"] = round(median(style, "cold_build_s") / median("guide", "cold_build_s"), 3)
        row["start_vs_guide"] = round(median(style, "start_s") / median("guide", "start_s"), 3)
        row["warm_vs_cold"] = round(median(style, "warm_rebuild_s") / median(style, "cold_build_s"), 3)
        row["dependency_layer_cached_on_warm"] = all(bool(r["dependency_layer_cached_on_warm"]) for r in measured)
        rows.append(row)
    header = ("style", "size MB", "size/guide", "cold s", "cold/guide", "warm s", "warm/cold", "dep cached", "start s",
              "start/guide", "stop idle s", "stop in-flight s")
    table = [header] + [
        (str(r["style"]), f"{float(str(r['size_bytes'])) / 1e6:.1f}", f"{r['size_vs_guide']:.3f}",
         _spread([float(x["cold_build_s"]) for x in runs[str(r["style"])]]), f"{r['cold_vs_guide']:.3f}",
         _spread([float(x["warm_rebuild_s"]) for x in runs[str(r["style"])]]), f"{r['warm_vs_cold']:.3f}",
         str(r["dependency_layer_cached_on_warm"]), _spread([float(x["start_s"]) for x in runs[str(r["style"])]], 2),
         f"{r['start_vs_guide']:.3f}", _spread([float(x["stop_idle_s"]) for x in runs[str(r["style"])]], 2),
         _spread([float(x["stop_inflight_s"]) for x in runs[str(r["style"])]], 2))
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(line)))
    out = HERE / "results-spine.json"
    out.write_text(json.dumps({"example": args.example.name, "rounds": args.rounds, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
