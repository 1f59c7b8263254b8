"""`quayside check` over real public FastAPI repositories: discovery, findings per rule, precision from verdicts.

The repositories are not in this repo: bench/field_check/manifest.json names each one (repo, commit, the
Dockerfiles that run its FastAPI app); bench/field_check/verdicts.csv holds one judgement per finding (rule,
file, line, true/false, why), made once by reading the finding against the file. This script:

    python bench/field_check.py prepare --mirrors DIR --into CHECKOUTS   # DIR/<owner>+<name>/repo: git snapshots
    python bench/field_check.py run --checkouts CHECKOUTS [--unjudged]   # the tables

`prepare` writes each repository's files at the manifest's commit (blobs the snapshot lacks, such as files
over 4 MiB, are skipped). `run` checks each checkout from its root, as `quayside check .` would, and prints:
discovery (is every FastAPI Dockerfile of the manifest linted?), findings per rule with precision where
judged, and with --unjudged the findings that have no verdict yet (to judge and add to verdicts.csv).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent / "field_check"
MANIFEST = HERE / "manifest.json"
VERDICTS = HERE / "verdicts.csv"


def load_manifest() -> list[dict[str, object]]:
    return json.loads(MANIFEST.read_text())["repositories"]


def checkout_dir(root: Path, repo: str) -> Path:
    return root / repo.replace("/", "+")


def write_tree(mirrors: Path, repo: str, commit: str, target: Path) -> int:
    """Write one repository's tree at a commit from its git snapshot, skipping absent blobs. 1 when there is no
    snapshot, else 0."""
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    if not git_dir.is_dir():
        print(f"{repo}: no snapshot under {mirrors}", file=sys.stderr)
        return 1
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit], capture_output=True, check=True).stdout
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":  # no symlinks: a checkout must not point outside itself
            entries.append((sha.decode(), path.decode("utf-8", "surrogateescape")))
    batch = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"], input=b"".join(f"{sha}\n".encode() for sha, _ in entries),
                           capture_output=True, check=False).stdout
    offset = 0
    for _sha, path in entries:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].split()
        if header[-1] == b"missing":
            offset = header_end + 1
            continue
        size = int(header[2])
        body = batch[header_end + 1: header_end + 1 + size]
        offset = header_end + 1 + size + 1
        destination = target / path
        if ".." in Path(path).parts:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(body)
    print(f"{repo}: {len(entries)} files at {commit[:12]}")
    return 0


def prepare(mirrors: Path, into: Path) -> int:
    """Write each repository's tree at the manifest's commit from its git snapshot, skipping absent blobs."""
    missing = 0
    for entry in load_manifest():
        target = checkout_dir(into, str(entry["repo"]))
        if not target.is_dir():
            missing += write_tree(mirrors, str(entry["repo"]), str(entry["commit"]), target)
    return 1 if missing else 0


def load_verdicts() -> dict[tuple[str, str, str, int], tuple[str, str]]:
    verdicts: dict[tuple[str, str, str, int], tuple[str, str]] = {}
    if VERDICTS.is_file():
        with VERDICTS.open(newline="") as handle:
            for row in csv.DictReader(handle):
                verdicts[(row["repo"], row["rule"], row["file"], int(row["line"]))] = (row["verdict"], row["reason"])
    return verdicts


def run(checkouts: Path, show_unjudged: bool) -> int:
    from quayside.check import run_check
    from quayside.errors import QuaysideError

    verdicts = load_verdicts()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    discovered = total_repos = 0
    unjudged: list[str] = []
    misses: list[str] = []
    started = time.perf_counter()
    dockerfiles_linted = 0
    for entry in load_manifest():
        repo = str(entry["repo"])
        root = checkout_dir(checkouts, repo)
        if not root.is_dir():
            print(f"{repo}: not checked out (run prepare)", file=sys.stderr)
            continue
        total_repos += 1
        try:
            result = run_check(root)
        except QuaysideError as exc:
            misses.append(f"{repo}: check failed: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a crash is this repository's row, and a bug to fix
            misses.append(f"{repo}: CRASH {type(exc).__name__}: {exc}")
            continue
        linted = {df.path for ctx in result.contexts for df in ctx.dockerfiles}
        dockerfiles_linted += len(linted)
        wanted = set(entry["fastapi_dockerfiles"])  # type: ignore[arg-type]
        if wanted <= linted:
            discovered += 1
        else:
            misses.append(f"{repo}: not linted: {', '.join(sorted(wanted - linted))}")
        for finding in result.findings:
            verdict = verdicts.get((repo, finding.rule, finding.path, finding.line))
            per_rule[finding.rule]["findings"] += 1
            if verdict is None:
                per_rule[finding.rule]["unjudged"] += 1
                unjudged.append(f"{repo},{finding.rule},{finding.path},{finding.line},,\"{finding.message}\"")
            else:
                per_rule[finding.rule][verdict[0]] += 1
    elapsed = time.perf_counter() - started
    print(f"repositories: {total_repos}; Dockerfiles linted: {dockerfiles_linted}; {elapsed:.1f} s in one process")
    print(f"discovery: the FastAPI Dockerfile(s) linted from the root in {discovered} of {total_repos}"
          f" ({100 * discovered / max(total_repos, 1):.1f} %)")
    for miss in misses:
        print(f"  {miss}")
    print(f"\n{'rule':6} {'findings':>8} {'true':>5} {'false':>5} {'unjudged':>8} {'precision':>9}")
    totals: Counter[str] = Counter()
    for rule in sorted(per_rule):
        counts = per_rule[rule]
        totals.update(counts)
        judged = counts["true"] + counts["false"]
        precision = f"{100 * counts['true'] / judged:.1f} %" if judged else "-"
        print(f"{rule:6} {counts['findings']:8} {counts['true']:5} {counts['false']:5} {counts['unjudged']:8} {precision:>9}")
    judged = totals["true"] + totals["false"]
    overall = f"{100 * totals['true'] / judged:.1f} %" if judged else "-"
    print(f"{'all':6} {totals['findings']:8} {totals['true']:5} {totals['false']:5} {totals['unjudged']:8} {overall:>9}")
    if show_unjudged and unjudged:
        print("\nunjudged (repo,rule,file,line,verdict,reason — message):")
        for line in unjudged:
            print(line)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--mirrors", type=Path, required=True)
    p.add_argument("--into", type=Path, required=True)
    r = sub.add_parser("run")
    r.add_argument("--checkouts", type=Path, required=True)
    r.add_argument("--unjudged", action="store_true")
    args = parser.parse_args()
    if args.command == "prepare":
        return prepare(args.mirrors, args.into)
    return run(args.checkouts, args.unjudged)


if __name__ == "__main__":
    sys.exit(main())
