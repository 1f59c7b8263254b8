"""The field bench: real public FastAPI apps through inspect → init → build → verify, as a new user would run them.

The repositories are not in this repo. bench/field/manifest.json names each app: repository, commit, the
subfolder that is the project, and the settings its own documentation gives (an example env file in the
repository, or values copied from its README), with where they come from. Nothing else is given: no
--include, no --health-path, no edits to the project.

    python bench/field.py prepare --mirrors DIR --into CHECKOUTS    # DIR/<owner>+<name>/repo: git snapshots
    python bench/field.py run --checkouts CHECKOUTS [--only NAME] [--record]
    python bench/field.py compose --checkouts CHECKOUTS [--only NAME] [--record]
    python bench/field.py summary                                    # what the two records prove, counted

`prepare` also writes CHECKOUTS/history.json: the date of the last commit that touched each app's folder, which
quayside reads from a clone's history (unpinned requirements resolve as of then); each scratch copy is made a
one-commit repository of that date.

`run` copies each app's folder to a scratch directory (the checkout stays as it was), runs
`quayside init --force` there (the copy may hold the project's own Dockerfile, which the bench replaces), then
`quayside verify` (build, start, health, non-root, graceful stop, cache reuse) with the documented settings,
and prints one row per app: each stage's result and the first failing check with its cause. --record writes
the rows to bench/field/results.csv, the committed record of the last run (with --only, those apps' rows).

`compose` takes the apps whose manifest entry names the services they need (`"needs": ["postgres", ...]`):
`quayside init --target compose --force`, then `quayside verify --compose` (their services up, the app proven
among them), with nothing but what the project documents (its example settings file is read by init; the
manifest's `env` values from a README are passed). Its record is bench/field/compose.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "field" / "manifest.json"
RESULTS = HERE / "field" / "results.csv"
sys.path.insert(0, str(HERE))

from field_check import checkout_dir, write_tree  # noqa: E402  (a sibling script, not a package)

COLUMNS = ("app", "repo", "shape", "inspect", "init", "build", "verify", "seconds", "cause")
COMPOSE_COLUMNS = ("app", "repo", "needs", "init", "verify_compose", "db_sessions", "seconds", "cause")
COMPOSE_RESULTS = HERE / "field" / "compose.csv"


def load_apps() -> list[dict[str, object]]:
    return list(json.loads(MANIFEST.read_text())["apps"])


HISTORY = "history.json"  # in the checkouts folder: each app folder's last commit date, from its repository


def prepare(mirrors: Path, into: Path) -> int:
    missing = 0
    done: set[str] = set()
    history = _history(into)
    for app in load_apps():
        repo, commit = str(app["repo"]), str(app["commit"])
        history[str(app["name"])] = _last_commit_date(mirrors, repo, commit, str(app.get("subfolder", ".")))
        if (repo, commit) in done or checkout_dir(into, repo).is_dir():
            continue
        done.add(repo)
        missing += write_tree(mirrors, repo, commit, checkout_dir(into, repo))
    (into / HISTORY).write_text(json.dumps(history, indent=1, sort_keys=True) + "\n")
    return 1 if missing else 0


def _history(checkouts: Path) -> dict[str, str]:
    file = checkouts / HISTORY
    return dict(json.loads(file.read_text())) if file.is_file() else {}


def _last_commit_date(mirrors: Path, repo: str, commit: str, subfolder: str) -> str:
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    logged = subprocess.run(["git", "--git-dir", str(git_dir), "log", "-1", "--format=%cI", commit, "--", subfolder],
                            capture_output=True, text=True, check=False)
    return logged.stdout.strip()


def _quayside(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "quayside", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              env={**os.environ, "COLUMNS": "200"})
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"error: no answer within {timeout:g}s")


# The line of a failure that says what went wrong: a Python exception, or a build tool's error
_EXCEPTION = re.compile(r"^\s*(?:[\w.]+(?:Error|Exception|Exit)|error|ERROR|Error)\b[^\n]*")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    told = [m.group(0).strip() for line in lines[1:] if (m := _EXCEPTION.match(line)) and not line.startswith("error:")]
    head = (errors or lines or [""])[0]
    if told and "the build of" in head:
        return f"build: {told[-1]}"[:240]
    hint = next((line.removeprefix("hint:").strip() for line in lines if line.startswith("hint:")), "")
    if "the build of" in head and hint and not hint.startswith("the step's own output"):
        return f"build: {hint}"[:240]  # the named cause says more than the failing RUN line
    return head[:240]


def _verify_cause(report: dict[str, object]) -> str:
    for check in report.get("checks", []):  # type: ignore[union-attr]
        if isinstance(check, dict) and check.get("status") == "fail":
            detail = str(check.get("detail", ""))
            # compose prefixes each log line with its container ("prestart-1  | ")
            lines = [re.sub(r"^\S+-\d+\s+\|\s?", "", line).strip("│ ") for line in detail.splitlines()]
            told = [m.group(0).strip() for line in lines if (m := _EXCEPTION.match(line))]
            if not told and "; last logs:" in detail:  # no exception: the app's own last words
                told = [line.strip() for line in detail.split("; last logs:", 1)[1].splitlines() if line.strip()][-1:]
            elif not told and "\n--- " in detail:  # verify --compose: the failing service's last words
                told = [line for line in lines[1:] if line and not line.startswith("--- ")][-1:]
            summary = detail.split("; last logs:")[0].splitlines()[0]
            return f"{check.get('name')}: {summary}{' — ' + told[-1] if told else ''}"[:300]
    return ""


def _copy_app(app: dict[str, object], checkouts: Path, scratch: Path) -> tuple[Path, Path | None]:
    """(the checkout, the app's folder copied to scratch): the checkout stays as it was. None: not checked out."""
    source = checkout_dir(checkouts, str(app["repo"]))
    if not source.is_dir():
        return source, None
    project = scratch / str(app["name"])
    shutil.copytree(source / str(app.get("subfolder", ".")), project, symlinks=True)
    when = _history(checkouts).get(str(app["name"]))
    if when:
        _commit_as_of(project, when)
    return source, project


def _commit_as_of(project: Path, when: str) -> None:
    """A user's clone carries the project's history, and quayside reads one fact of it: the date of the last
    commit that touched the project folder. The scratch copy gets one commit of that date, so quayside reads the
    same fact; the checkout stays a plain tree. Every file of the checkout was tracked in its repository, even one
    its .gitignore names (force-added there): so it is added here by force, and quayside sees what a clone holds."""
    dated = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    identity = ["-c", "user.name=field-bench", "-c", "user.email=bench@quayside.invalid", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A", "--force"], [*identity, "commit", "-q", "--no-verify", "-m", "as checked out"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True, env=dated)


def run_app(app: dict[str, object], checkouts: Path, scratch: Path) -> dict[str, str]:
    name = str(app["name"])
    row = {"app": name, "repo": str(app["repo"]), "shape": str(app.get("shape", "")), "inspect": "-", "init": "-",
           "build": "-", "verify": "-", "seconds": "", "cause": ""}
    source, project = _copy_app(app, checkouts, scratch)
    if project is None:
        row["cause"] = "not checked out (run prepare)"
        return row
    started = time.monotonic()
    inspected = _quayside("inspect", str(project), timeout=120)
    row["inspect"] = "ok" if inspected.returncode == 0 else "FAIL"
    if inspected.returncode != 0:
        row["cause"] = _first_line(inspected.stderr + inspected.stdout)
        return row
    initialised = _quayside("init", str(project), "--force", timeout=120)
    row["init"] = "ok" if initialised.returncode == 0 else "FAIL"
    if initialised.returncode != 0:
        row["cause"] = _first_line(initialised.stderr + initialised.stdout)
        return row
    args = ["verify", str(project), "-t", f"quayside-field/{name.lower()}:bench", "--json"]
    if "env_file" in app:
        args += ["--env-file", str(source / str(app["env_file"]))]
    for key, value in {**dict(app.get("env", {})), **generated_settings(app)}.items():  # type: ignore[call-overload]
        args += ["--env", f"{key}={value}"]
    if "start_timeout" in app:
        args += ["--start-timeout", str(app["start_timeout"])]
    verified = _quayside(*args, timeout=1800)
    row["seconds"] = f"{time.monotonic() - started:.0f}"
    try:
        report = json.loads(verified.stdout)
    except json.JSONDecodeError:
        report = None
    if report is None:
        # the build failed, or could not start (the engine has no base image: said before building)
        row["build"] = "FAIL" if "build" in verified.stderr or "the engine has no " in verified.stderr else "?"
        row["cause"] = _first_line(verified.stderr + verified.stdout)
        return row
    row["build"] = "ok"
    row["verify"] = "ok" if verified.returncode == 0 else "FAIL"
    row["cause"] = _verify_cause(report)
    subprocess.run(["docker", "rmi", "-f", f"quayside-field/{name.lower()}:bench"], capture_output=True, check=False)
    return row


GENERATORS = {"hex32": lambda: secrets.token_hex(32)}  # what `openssl rand -hex 32` prints


def generated_settings(app: dict[str, object]) -> dict[str, str]:
    """Settings the project's docs say to generate (a secret key): made fresh for each run, never recorded."""
    return {str(name): GENERATORS[str(kind)]() for name, kind in dict(app.get("generated", {})).items()}  # type: ignore[call-overload]


def _env_file_values(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and not name.startswith("#") and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[name.strip()] = value
    return values


def _compose_app_environment(project: Path) -> set[str]:
    from ruamel.yaml import YAML

    file = project / "compose.quayside.yaml"
    if not file.is_file():
        file = project / "compose.yaml"
    services = (YAML(typ="safe").load(file.read_text()) or {}).get("services") or {}
    names: set[str] = set()
    for spec in services.values():
        if isinstance(spec, dict) and isinstance(spec.get("environment"), dict):
            names |= set(spec["environment"])
    return names


def _read_by_init(app: dict[str, object]) -> bool:
    """The env file is the project's own example, which init reads (and whose placeholders it leaves to the
    code's defaults): passing its values again would undo what init decided."""
    from quayside.inspection.appsettings import EXAMPLE_ENV_FILES

    env_file = Path(str(app["env_file"]))
    return env_file.name in EXAMPLE_ENV_FILES and env_file.parent == Path(str(app.get("subfolder", ".")))


def run_compose_app(app: dict[str, object], checkouts: Path, scratch: Path) -> dict[str, str]:
    name = str(app["name"])
    row = {"app": name, "repo": str(app["repo"]), "needs": " ".join(app.get("needs", [])),  # type: ignore[arg-type]
           "init": "-", "verify_compose": "-", "db_sessions": "-", "seconds": "", "cause": ""}
    source, project = _copy_app(app, checkouts, scratch)
    if project is None:
        row["cause"] = "not checked out (run prepare)"
        return row
    started = time.monotonic()
    initialised = _quayside("init", str(project), "--target", "compose", "--force", timeout=120)
    row["init"] = "ok" if initialised.returncode == 0 else "FAIL"
    if initialised.returncode != 0:
        row["cause"] = _first_line(initialised.stderr + initialised.stdout)
        return row
    args = ["verify", str(project), "--compose", "--json"]
    documented = _env_file_values(source / str(app["env_file"])) if "env_file" in app and not _read_by_init(app) else {}
    documented.update({str(k): str(v) for k, v in dict(app.get("env", {})).items()})  # type: ignore[call-overload]
    documented.update(generated_settings(app))
    wired = _compose_app_environment(project)
    for key, value in documented.items():
        if key not in wired and value:  # what compose wires to its services stays as generated; no empty values
            args += ["--env", f"{key}={value}"]
    if "start_timeout" in app:
        args += ["--start-timeout", str(app["start_timeout"])]
    verified = _quayside(*args, timeout=2400)
    row["seconds"] = f"{time.monotonic() - started:.0f}"
    try:
        report = json.loads(verified.stdout)
    except json.JSONDecodeError:
        row["verify_compose"] = "FAIL"
        row["cause"] = _first_line(verified.stderr + verified.stdout)
        return row
    row["verify_compose"] = "ok" if verified.returncode == 0 else "FAIL"
    # which database URLs the app holds were opened from its container (none: it builds its URL from parts)
    sessions = [f"{c['name'].removeprefix('db_session ')} {c['status']}" for c in report.get("checks", [])
                if str(c.get("name", "")).startswith("db_session ")]
    row["db_sessions"] = "; ".join(sessions) or "-"
    row["cause"] = _verify_cause(report)
    image = f"{project.name.lower()}:latest"
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)
    return row


def run_compose(checkouts: Path, only: list[str], record: bool) -> int:
    apps = [a for a in load_apps() if a.get("needs") and (not only or a["name"] in only)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="quayside-field-") as tmp:
        for app in apps:
            print(f"{app['name']}: running (compose)", file=sys.stderr, flush=True)
            row = run_compose_app(app, checkouts, Path(tmp))
            row["cause"] = row["cause"].replace(f"{tmp}/", "<scratch>/")
            rows.append(row)
            print(" | ".join(row[c] for c in COMPOSE_COLUMNS), flush=True)
    green = sum(r["verify_compose"] == "ok" for r in rows)
    print(f"\n{green} of {len(rows)} apps that need a service green (verify --compose, only what each project documents)")
    print("\n| " + " | ".join(COMPOSE_COLUMNS) + " |\n|" + "---|" * len(COMPOSE_COLUMNS))
    for row in rows:
        print("| " + " | ".join(row[c].replace("|", "/").replace("\n", " ") for c in COMPOSE_COLUMNS) + " |")
    if record:
        _record(COMPOSE_RESULTS, COMPOSE_COLUMNS, rows, bool(only))
    return 0


def _record(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]], partial: bool) -> None:
    """--only updates those apps' rows and keeps the others, in manifest order."""
    kept: dict[str, dict[str, str]] = {}
    if partial and path.is_file():
        with path.open(newline="") as handle:
            kept = {row["app"]: row for row in csv.DictReader(handle)}
    kept.update({row["app"]: row for row in rows})
    order = [str(a["name"]) for a in load_apps()]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept[name] for name in order if name in kept)


def run(checkouts: Path, only: list[str], record: bool) -> int:
    apps = [a for a in load_apps() if (not only and not a.get("compose_only")) or a["name"] in only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="quayside-field-") as tmp:
        for app in apps:
            print(f"{app['name']}: running", file=sys.stderr, flush=True)
            row = run_app(app, checkouts, Path(tmp))
            row["cause"] = row["cause"].replace(f"{tmp}/", "<scratch>/")  # no machine path in the record
            rows.append(row)
            print(" | ".join(row[c] for c in COLUMNS), flush=True)
    green = sum(r["verify"] == "ok" for r in rows)
    print(f"\n{green} of {len(rows)} apps green (verify passed with only what each project documents)")
    print("\n| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(row[c].replace("|", "/") for c in COLUMNS) + " |")
    if record:
        _record(RESULTS, COLUMNS, rows, bool(only))
    return 0


# verify's own words for an app that cannot start without a service: proven, if at all, beside it
_NEEDS_SERVICE_AT_START = re.compile(r"could not reach \S+ at start|is a connection URL: run the app beside|"
                                     r"of its database's address: run the app beside")


def summary() -> int:
    """From the two records: which apps are proven, and how. An app whose lone `verify` failed because it cannot
    start without its database (verify's cause says so) is proven by `verify --compose` if that passed; no other
    red row is excused."""
    with RESULTS.open(newline="") as handle:
        alone = list(csv.DictReader(handle))
    with COMPOSE_RESULTS.open(newline="") as handle:
        beside = {row["app"]: row for row in csv.DictReader(handle)}
    proven_alone = [row["app"] for row in alone if row["verify"] == "ok"]
    with_service = [row["app"] for row in alone if row["verify"] != "ok"
                    and _NEEDS_SERVICE_AT_START.search(row["cause"])
                    and beside.get(row["app"], {}).get("verify_compose") == "ok"]
    print(f"verify alone: {len(proven_alone)} of {len(alone)}")
    print(f"cannot start without a service, and verify --compose passes: {len(with_service)} "
          f"({', '.join(with_service) or 'none'})")
    print(f"proven, either way: {len(proven_alone) + len(with_service)} of {len(alone)}")
    green = sum(row["verify_compose"] == "ok" for row in beside.values())
    print(f"verify --compose: {green} of {len(beside)} apps that need a service")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--mirrors", type=Path, required=True)
    p.add_argument("--into", type=Path, required=True)
    for command in ("run", "compose"):
        r = sub.add_parser(command)
        r.add_argument("--checkouts", type=Path, required=True)
        r.add_argument("--only", action="append", default=[])
        r.add_argument("--record", action="store_true")
    sub.add_parser("summary", help="what the two records prove, counted")
    args = parser.parse_args()
    if args.command == "summary":
        return summary()
    if args.command == "prepare":
        return prepare(args.mirrors, args.into)
    if args.command == "compose":
        return run_compose(args.checkouts, args.only, args.record)
    return run(args.checkouts, args.only, args.record)


if __name__ == "__main__":
    sys.exit(main())
