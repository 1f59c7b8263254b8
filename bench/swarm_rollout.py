"""The swarm rolling update in numbers: the items service deployed by `quayside deploy swarm` on a one-node
swarm, a bounded load from 127.0.0.1 through the DEPLOY.md nginx edge, then a new image version rolled out.
Prints requests sent, failed, p50/p99 during the update against steady state (the same run), and writes
bench/swarm-results.json.

    bench/swarm [--steady 15] [--connections 4] [--rounds 1]

The swarm is initialised on loopback when the engine is not in one, and left again: the engine is left as found.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.load import Load, summarize  # noqa: E402
from support.swarmlab import remove_everything, start_edge, swarm_engine  # noqa: E402


def quayside(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quayside", *args], capture_output=True, text=True, timeout=900, check=False)


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} never answered 200")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steady", type=float, default=15, help="seconds of steady-state load before each update")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="rolling updates, one after another")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="quayside-swarm-bench-"))
    project = work / "items"
    shutil.copytree(HERE.parent / "examples" / "items-service", project, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    stack, edge = f"qsb{uuid.uuid4().hex[:6]}", ""
    edge = f"{stack}-edge"
    rounds = []
    with swarm_engine():
        try:
            for step in (("init", str(project), "--target", "swarm"), ("deploy", "swarm", str(project), "--stack", stack)):
                result = quayside(*step)
                if result.returncode != 0:
                    raise SystemExit(f"quayside {' '.join(step)} failed:\n{result.stdout}{result.stderr}")
            port = start_edge(project, stack, edge)
            wait_ready(f"http://127.0.0.1:{port}/ready")
            main_py = project / "app" / "main.py"
            for number in range(1, args.rounds + 1):
                load = Load("127.0.0.1", port, "/items?limit=1", connections=args.connections, pause=0.01).start()
                time.sleep(args.steady)
                main_py.write_text(main_py.read_text() + f"\n# release {number + 1}\n")
                started = time.monotonic()
                rolled = quayside("deploy", "swarm", str(project), "--stack", stack)
                finished = time.monotonic()
                time.sleep(2)
                samples = load.stop()
                if rolled.returncode != 0:
                    raise SystemExit(f"the rolling update failed:\n{rolled.stdout}{rolled.stderr}")
                steady = summarize([s for s in samples if s.started < started])
                during = summarize([s for s in samples if started <= s.started < finished])
                rounds.append({"update_seconds": round(finished - started, 1), "steady": steady.to_json(),
                               "during_update": during.to_json(), "all": summarize(samples).to_json(),
                               "client_cpu_seconds": round(load.cpu_seconds, 2)})
        finally:
            remove_everything(stack, edge)
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'round':>5}  {'window':<14}{'sent':>7}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for number, r in enumerate(rounds, 1):
        for label, key in (("steady state", "steady"), ("during update", "during_update")):
            s = r[key]
            print(f"{number:>5}  {label:<14}{s['sent']:>7}{s['failed']:>8}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}")
        d, s = r["during_update"], r["steady"]
        print(f"{'':>5}  update took {r['update_seconds']} s (deploy swarm: build, roll 2 tasks start-first, converge); "
              f"p50 x{d['p50_ms'] / s['p50_ms']:.2f}, p99 x{d['p99_ms'] / s['p99_ms']:.2f} of steady; "
              f"client CPU {r['client_cpu_seconds']} s")
    failed = sum(r["all"]["failed"] for r in rounds)
    print(f"failed requests in total: {failed} (target: 0) -> {'met' if failed == 0 else 'MISSED'}")
    (HERE / "swarm-results.json").write_text(json.dumps({"rounds": rounds}, indent=2) + "\n")
    print("wrote bench/swarm-results.json")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
