"""The command line. Core modules raise typed errors; this is the only layer that prints and exits.

Exit codes: 0 success; 1 a verify check failed, or check found something at --fail-on; 2 bad input or a
file conflict; 3 Docker engine/CLI problem.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from quayside import __version__
from quayside.errors import ConflictError, QuaysideError, UserInputError
from quayside.composeplan import Database
from quayside.plan import Proxy, Style, Target

if TYPE_CHECKING:
    from quayside.build import BuildResult, Step
    from quayside.verify import VerifyReport

# Commands import what they use inside their bodies: `quayside check` in a pre-commit hook should not
# pay for jinja2 or the verify machinery at start.

app = typer.Typer(
    name="quayside",
    help="Containerise a FastAPI project the way the FastAPI Docker guide says, and prove it on a real engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PathArg = Annotated[Path, typer.Argument(help="The project directory.", show_default=True)]


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except ConflictError as exc:
        for diff in exc.diffs:
            out.print(diff, markup=False, end="")
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except QuaysideError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"quayside {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = None,
) -> None:
    """quayside: inspect → init → build → verify."""


def _table(title: str, rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    """A rich table on a terminal; plain aligned lines otherwise (logs, CI, pipes)."""
    if out.is_terminal:
        table = Table(title=title, show_lines=False)
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    out.print(title, markup=False)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        out.print("  ".join(cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)).rstrip(), markup=False)


@app.command("inspect")
def inspect_cmd(
    path: PathArg = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Explain each decision.")] = False,
) -> None:
    """Find the app, its dependencies, Python version and server, without importing any user code."""
    from quayside.project import inspect_project

    with _user_errors():
        info = inspect_project(path)
    if as_json:
        out.print_json(json.dumps(info.to_json())) if out.is_terminal else print(json.dumps(info.to_json(), indent=2))
        return
    data = info.to_json()
    rows = [(name, str(data[name] if name != "entrypoint" else data["entrypoint"]), data["sources"][name]) for name in data["sources"]]
    rows.insert(1, ("app_path", data["app_path"], data["sources"]["entrypoint"]))
    rows.append(("dependency_files", ", ".join(data["dependency_files"]), data["sources"]["installer"]))
    _table(f"quayside inspect {info.root}", rows, ("fact", "value", "source"))
    if verbose:
        for name, decided in info.decisions().items():
            out.print(f"- {decided.explain(name)}", markup=False)
        for route in info.routes:
            out.print(f"  route {route.method} {route.path}  ({route.file}:{route.line})", markup=False)
        for local in info.dependencies.local_paths:
            out.print(f"  note: {local} installs from the project itself: the dependency layer needs that path", markup=False)


@app.command("init")
def init_cmd(
    path: PathArg = Path("."),
    style: Annotated[Style, typer.Option(help="production (default): everything the guide recommends; guide: the guide's Dockerfile; multistage; uv.")] = Style.PRODUCTION,
    target: Annotated[Target, typer.Option(help="docker: Dockerfile + .dockerignore; compose: also compose.yaml and .env.example; kubernetes: a kustomize base and overlays under k8s/; swarm: stack.yaml; cloudrun, ecs, aci, fly, render, railway: that platform's file.")] = Target.DOCKER,
    proxy: Annotated[Proxy, typer.Option(help="none; external: behind a TLS proxy you run; traefik or nginx: compose adds that proxy (HTTPS).")] = Proxy.NONE,
    db: Annotated[Database, typer.Option(help="compose, swarm, cloud targets: a Postgres database (auto: when a driver or ORM is declared).")] = Database.AUTO,
    domain: Annotated[str, typer.Option(help="kubernetes: the Ingress host.")] = "app.example.com",
    acme_email: Annotated[str, typer.Option(help="kubernetes: the ACME account e-mail of the ClusterIssuer.")] = "admin@example.com",
    replicas: Annotated[Optional[int], typer.Option(help="swarm: tasks of the app (default 2).")] = None,
    python: Annotated[Optional[str], typer.Option(help="Python version X.Y (default: from the project).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port the server listens on (default 8000; 80 for --style guide).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Server processes per container (default 1; 2 in compose, one host).")] = None,
    forwarded_allow_ips: Annotated[Optional[str], typer.Option(help="Addresses/networks trusted for X-Forwarded-* (implies --proxy external).")] = None,
    base_image: Annotated[Optional[str], typer.Option(help="Runtime base image (default python:X.Y-slim; python:X.Y for guide).")] = None,
    builder_image: Annotated[Optional[str], typer.Option(help="Build-stage image (default: the runtime base).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files that differ.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Explain each decision.")] = False,
) -> None:
    """Render Dockerfile and .dockerignore (and compose.yaml) from the project's plan. Never overwrites without --force."""
    from quayside.composemerge import is_ours, merge_into
    from quayside.composeplan import build_compose_plan, env_file
    from quayside.files import Change, apply_writes, plan_writes
    from quayside.plan import InitOptions, build_plan
    from quayside.project import inspect_project
    from quayside.kubeplan import build_kube_plan
    from quayside.cloudplan import build_cloud_plan
    from quayside.render import render_cloud_files, render_compose_files, render_files, render_kubernetes_files, render_swarm_files
    from quayside.swarmplan import build_swarm_plan

    with _user_errors():
        info = inspect_project(path)
        orchestrated = target not in (Target.DOCKER, Target.COMPOSE)
        if orchestrated:
            if workers and workers > 1:
                scaler = {Target.KUBERNETES: "the HorizontalPodAutoscaler", Target.SWARM: "swarm (--replicas)"}.get(target, "the platform")
                raise UserInputError(f"--workers with --target {target}: run one process per container and let "
                                     f"{scaler} add replicas (the guide)")
            if proxy is Proxy.NONE:
                proxy = Proxy.EXTERNAL  # behind the Ingress controller, an edge proxy on the overlay, the platform's proxy
            if proxy in (Proxy.TRAEFIK, Proxy.NGINX) and target is not Target.SWARM and target is not Target.KUBERNETES:
                raise UserInputError(f"--proxy {proxy} with --target {target}: the platform's own proxy terminates TLS",
                                     hint="leave --proxy out (or use --proxy external)")
        if replicas is not None and target is not Target.SWARM:
            raise UserInputError("--replicas is a swarm option", hint="compose: --workers; kubernetes: the HPA in k8s/base/hpa.yaml")
        options = InitOptions(style, python, port, workers if target is Target.DOCKER else None, proxy,
                              forwarded_allow_ips, base_image, builder_image)
        plan = build_plan(info, options)
        files = render_files(plan)
        decisions = dict(plan.decisions)
        secret_env: str | None = None
        if target is Target.COMPOSE:
            compose = build_compose_plan(info, plan, InitOptions(style, python, port, workers, proxy), db)
            decisions.update(compose.decisions)
            compose_files = render_compose_files(compose)
            existing = info.root / "compose.yaml"
            if existing.is_file() and not is_ours(existing.read_text(encoding="utf-8")):
                # theirs, plus our missing services
                compose_files["compose.yaml"] = merge_into(existing.read_text(encoding="utf-8"), compose_files["compose.yaml"])
            files.update(compose_files)
            files[".env.example"] = env_file(compose, example=True)
            if not (info.root / ".env").exists():
                secret_env = env_file(compose, example=False)
        elif target is Target.KUBERNETES:
            files.update(render_kubernetes_files(build_kube_plan(info, plan, domain=domain, acme_email=acme_email)))
        elif target is Target.SWARM:
            swarm = build_swarm_plan(info, plan, proxy=proxy, db=db, replicas=replicas)
            decisions.update(swarm.decisions)
            files.update(render_swarm_files(swarm))
        elif orchestrated:
            files.update(render_cloud_files(build_cloud_plan(info, plan, target.value, db)))
        planned = plan_writes(info.root, files, force=force)
        if verbose:
            for name, decided in decisions.items():
                out.print(f"- {decided.explain(name)}", markup=False)
        if dry_run:
            for p in planned:
                if p.diff:
                    out.print(p.diff, markup=False, end="")
            for p in planned:
                out.print(f"{p.change.value:>9}  {p.name}  (dry run: nothing written)", markup=False)
            if secret_env is not None:
                out.print("   create  .env  (dry run; random secrets, not shown)", markup=False)
            return
        if secret_env is not None:
            # created only when missing, never overwritten: it holds the user's secrets
            planned += plan_writes(info.root, {".env": secret_env}, force=False)
        apply_writes(planned)
    for p in planned:
        out.print(f"{p.change.value:>9}  {p.path}", markup=False)
    if any(p.change in (Change.CREATE, Change.OVERWRITE) for p in planned):
        if target is Target.KUBERNETES:
            out.print(f"next: quayside verify {path}, then quayside deploy k8s {path}", markup=False)
        elif target is Target.SWARM:
            out.print(f"next: quayside verify {path}, then quayside deploy swarm {path}", markup=False)
        elif orchestrated:
            out.print(f"next: quayside verify {path}, then deploy as {path / 'DEPLOY.md'} says", markup=False)
        else:
            nxt = "quayside up" if target is Target.COMPOSE else "quayside build"
            out.print(f"next: {nxt} {path}  (or quayside verify {path})", markup=False)


def _step_printer() -> tuple[Callable[[Step, str], None], Callable[[], None]]:  # noqa: F821
    """Live status on a terminal; one plain line per step otherwise."""
    if out.is_terminal:
        status = out.status("building…")
        status.start()

        def on_tty(step: Step, event: str) -> None:
            label = f"[{step.stage + ' ' if step.stage else ''}{step.index}/{step.total}] {step.name[:90]}"
            if event == "start":
                status.update(f"building {label}")
            elif event in ("cached", "done"):
                suffix = "CACHED" if step.cached else f"{step.seconds:.1f}s"
                out.print(f"  {label}  {suffix}", markup=False)

        return on_tty, status.stop

    def on_plain(step: Step, event: str) -> None:
        if event in ("cached", "done"):
            suffix = "CACHED" if step.cached else f"{step.seconds:.1f}s"
            out.print(f"step {step.id}: [{step.stage + ' ' if step.stage else ''}{step.index}/{step.total}] {step.name[:120]}  {suffix}", markup=False)

    return on_plain, lambda: None


def _build(path: Path, tag: Optional[str], no_cache: bool = False, dockerfile: str = "Dockerfile") -> BuildResult:
    from quayside.build import build_image, default_tag

    root = path.resolve()
    if not root.is_dir():
        raise UserInputError("is not a directory", path=path, hint="pass the project directory")
    on_step, stop = _step_printer()
    try:
        result = build_image(root, tag=tag or default_tag(root), dockerfile=dockerfile, on_step=on_step, no_cache=no_cache)
    finally:
        stop()
    cached = sum(1 for s in result.steps if s.cached)
    out.print(f"built {result.tag} ({result.image_id[:19]}) in {result.seconds:.1f}s: "
              f"{result.size_bytes / 1e6:.1f} MB, {cached}/{len(result.steps)} steps cached", markup=False)
    return result


def _printing_build(root: Path, *, tag: str, dockerfile: str = "Dockerfile") -> BuildResult:
    return _build(root, tag, dockerfile=dockerfile)


@app.command("build")
def build_cmd(
    path: PathArg = Path("."),
    tag: Annotated[Optional[str], typer.Option("--tag", "-t", help="Image tag (default: <dir>:quayside).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build without the layer cache.")] = False,
) -> None:
    """Build the image with BuildKit (docker buildx); report size and build time."""
    with _user_errors():
        _build(path, tag, no_cache)


def _print_report(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), indent=2, default=str))
        return
    marks = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}
    rows = [(c.name, marks[c.status], "" if c.value is None else str(c.value), c.detail) for c in report.checks]
    _table(f"quayside verify {report.image}", rows, ("check", "result", "value", "detail"))
    failed = [c.name for c in report.checks if c.status == "fail"]
    out.print("all checks passed" if not failed else f"FAILED: {', '.join(failed)}", markup=False)


@app.command("verify")
def verify_cmd(
    path: Annotated[Optional[Path], typer.Argument(help="Project directory: build it, then verify (and prove cache reuse).")] = None,
    image: Annotated[Optional[str], typer.Option(help="Verify this existing image instead of building.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Container port (default: from EXPOSE or the command's --port).")] = None,
    expect: Annotated[Optional[list[str]], typer.Option(help="PATH=JSON: GET PATH must answer 200 with exactly this JSON. Repeatable.")] = None,
    style: Annotated[Optional[Style], typer.Option(help="What to demand (default: from the Dockerfile header; production for --image).")] = None,
    tag: Annotated[Optional[str], typer.Option("--tag", "-t", help="Tag for the image built from PATH.")] = None,
    compare: Annotated[Optional[Path], typer.Option(help="Another Dockerfile for the same project: build and prove both, side by side.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="With --compare: print the table as Markdown (for a PR comment).")] = False,
    read_only: Annotated[bool, typer.Option("--read-only", help="Run with a read-only root filesystem and a tmpfs /tmp.")] = False,
) -> None:
    """Run the image on 127.0.0.1 and prove: healthy, non-root, smoke requests, graceful stop with a request
    in flight, lifespan shutdown, start time, size, and dependency-layer cache reuse."""
    from quayside.build import build_image, default_tag
    from quayside.project import inspect_project
    from quayside.verify import Expectation, VerifyOptions, style_of_dockerfile, verify_image, verify_project

    quiet = as_json or markdown
    progress = (lambda msg: err.print(msg, markup=False)) if not quiet else None
    with _user_errors():
        if (path is None) == (image is None):
            raise UserInputError("pass a project PATH or --image IMAGE (one of them)")
        if compare is not None and path is None:
            raise UserInputError("--compare needs a project PATH (both Dockerfiles are built from it)")
        if markdown and compare is None:
            raise UserInputError("--markdown goes with --compare")
        expectations = [Expectation.parse(e) for e in expect or []]
        options = VerifyOptions(port=port, expectations=expectations, read_only=read_only)
        if image is not None:
            options.style = (style or Style.PRODUCTION).value
            report = verify_image(image, options, progress)
        else:
            assert path is not None
            info = inspect_project(path)
            app_info = info.app.value
            options.smoke_paths = tuple(p for p in (app_info.openapi_url, app_info.docs_url) if p) or ("/",)
            image_tag = tag or default_tag(info.root)
            build = _printing_build if not quiet else build_image
            if compare is not None:
                _verify_compare(info.root, compare, options, image_tag, app_info.file, progress, build, as_json, markdown)
                return
            options.style = (style.value if style else style_of_dockerfile(info.root / "Dockerfile")) or "production"
            report, _ = verify_project(info.root, options, tag=image_tag, app_file=app_info.file, on_progress=progress, build=build)
    _print_report(report, as_json)
    if not report.ok:
        raise typer.Exit(1)


def _verify_compare(root: Path, other: Path, options: Any, tag: str, app_file: str, progress: Any, build: Any,
                    as_json: bool, markdown: bool) -> None:
    from quayside.compare import compare, table, to_json, to_markdown

    other_abs = (other if other.is_absolute() else Path.cwd() / other).resolve()
    if not other_abs.is_file():
        raise UserInputError("no such Dockerfile", path=other)
    try:
        rel = other_abs.relative_to(root).as_posix()
    except ValueError:
        raise UserInputError("the other Dockerfile must be inside the project: both are built from its directory",
                             path=other) from None
    columns = compare(root, rel, options, tag=tag, app_file=app_file, progress=progress, build=build)
    if as_json:
        print(to_json(columns))
    elif markdown:
        print(to_markdown(columns), end="")
    else:
        headers, rows = table(columns)
        _table("quayside verify --compare", rows, headers)
    if not columns[0].report.ok:
        raise typer.Exit(1)


@app.command("up")
def up_cmd(
    path: PathArg = Path("."),
    project_name: Annotated[Optional[str], typer.Option("--project-name", "-p", help="Compose project name (default: from compose.yaml).")] = None,
    wait_timeout: Annotated[int, typer.Option(help="Seconds to wait for every service to be healthy.")] = 180,
) -> None:
    """Build and start the compose project, wait until every service is healthy, print its URLs."""
    from quayside.compose import up

    printer = (lambda line: out.print(line, markup=False, highlight=False)) if not out.is_terminal else None
    with _user_errors():
        if out.is_terminal:
            with out.status("docker compose up --wait ..."):
                states = up(path.resolve(), project_name, wait_timeout=wait_timeout)
        else:
            states = up(path.resolve(), project_name, on_line=printer, wait_timeout=wait_timeout)
    rows = [(s.name, s.state, s.health or "-", " ".join(s.urls) or "-") for s in states]
    _table("quayside up", rows, ("service", "state", "health", "urls"))


@app.command("down")
def down_cmd(
    path: PathArg = Path("."),
    project_name: Annotated[Optional[str], typer.Option("--project-name", "-p", help="Compose project name.")] = None,
    volumes: Annotated[bool, typer.Option("--volumes", help="Also delete the named volumes (the database's data).")] = False,
) -> None:
    """Stop and remove the compose project's containers. Volumes (data) are kept unless --volumes."""
    from quayside.compose import down

    with _user_errors():
        down(path.resolve(), project_name, volumes=volumes)
    out.print("stopped" + (" and removed the volumes" if volumes else "; volumes kept (--volumes removes them)"), markup=False)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"


def _rule_ids(values: Optional[list[str]], option: str) -> set[str]:
    from quayside.check.model import RULES

    ids = {i.strip() for v in values or [] for i in v.split(",") if i.strip()}
    unknown = sorted(ids - set(RULES))
    if unknown:
        raise UserInputError(f"{option}: unknown rule id {', '.join(unknown)}", hint="`quayside check --list-rules` lists them")
    return ids


@app.command("check")
def check_cmd(
    path: Annotated[Path, typer.Argument(help="Project directory, or one Dockerfile.")] = Path("."),
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text, json (one object per finding) or sarif (2.1.0).")] = OutputFormat.text,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")] = FailOn.warning,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes (all of a file's fixes or none).")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Show what --fix would change; write nothing.")] = False,
    select: Annotated[Optional[list[str]], typer.Option(help="Only these rule ids (comma-separated or repeated).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(help="Skip these rule ids.")] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List the rules and exit.")] = False,
    explain: Annotated[Optional[str], typer.Option(help="Print one rule's documentation and exit.")] = None,
) -> None:
    """Lint Dockerfile, .dockerignore, compose and Kubernetes files against what FastAPI in containers needs."""
    from quayside.check import CheckConfig, run_check
    from quayside.check.docs import rule_markdown
    from quayside.check.fixes import plan_fixes
    from quayside.check.model import RULES, Severity
    from quayside.check.output import DEFAULT_DOCS_URL, format_json, format_sarif, format_text
    from quayside.files import apply_writes

    with _user_errors():
        if list_rules:
            rows = [(r.id, r.name, r.severity.label, "yes" if r.fixable else "", r.summary) for _, r in sorted(RULES.items())]
            _table("quayside check rules", rows, ("id", "name", "severity", "fix", "what"))
            return
        if explain is not None:
            rule = RULES.get(explain.upper())
            if rule is None:
                raise UserInputError(f"--explain {explain}: no such rule", hint="`quayside check --list-rules` lists them")
            out.print(rule_markdown(rule), markup=False)
            return
        if fix and diff:
            raise UserInputError("--fix and --diff together: choose one (--diff only shows, --fix writes)")
        only = None
        root = path
        if path.is_file():
            root, only = path.parent, [path.name]
        elif not path.exists():
            raise UserInputError("no such file or directory", path=path)
        config = CheckConfig.from_pyproject(root)
        if select:
            config.select = _rule_ids(select, "--select")
        config.ignore |= _rule_ids(ignore, "--ignore")
        result = run_check(root, only=only, config=config)
        if fix or diff:
            plan = plan_fixes(root, result.findings, result.context.texts)
            if diff:
                for w in plan.writes:
                    out.print(w.diff, markup=False, end="")
            else:
                # a fix can make another one possible (shell form → exec form → --reload removable): a few passes
                fixed = 0
                for _ in range(5):
                    if not plan.writes:
                        break
                    apply_writes(plan.writes)
                    fixed += len(plan.applied)
                    result = run_check(root, only=only, config=config)
                    plan = plan_fixes(root, result.findings, result.context.texts)
                err.print(f"fixed {fixed} finding(s)", markup=False)
    threshold = Severity.parse(fail_on.value)
    failing = any(f.severity >= threshold for f in result.findings)
    code = 1 if failing else 0
    if output_format is OutputFormat.json:
        print(format_json(result.findings))
    elif output_format is OutputFormat.sarif:
        print(format_sarif(result.findings, result.context.texts, docs_url=config.docs_url or DEFAULT_DOCS_URL, exit_code=code))
    elif not diff:
        for line, style in format_text(result.findings, result.context.texts, suppressed=result.suppressed):
            if out.is_terminal and style:
                out.print(line, style=style, markup=False, highlight=False)
            else:
                out.print(line, markup=False, highlight=False)
    raise typer.Exit(code)


def main() -> Any:
    try:
        return app()
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)


deploy_app = typer.Typer(help="Deploy to an orchestrator and wait until the new version serves.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")


@deploy_app.command("swarm")
def deploy_swarm_cmd(
    path: PathArg = Path("."),
    stack: Annotated[Optional[str], typer.Option("--stack", help="Stack name (default: the directory's name).")] = None,
    image: Annotated[Optional[str], typer.Option(help="Deploy this image (e.g. from your registry) instead of building one.")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds to wait for the stack to converge.")] = 300,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the stack instead (volumes and secrets are kept).")] = False,
) -> None:
    """Build the image (tagged with its content), create missing secrets, `docker stack deploy`, and wait until
    every service runs its replicas healthy and every job has completed. A rolled-back update exits 3."""
    from quayside import swarm

    with _user_errors():
        root = path.resolve()
        name = stack or swarm.default_stack_name(root)
        if remove:
            removed = swarm.remove(name)
            out.print(f"removed stack {name}" if removed else f"no stack {name}: nothing to remove", markup=False)
            return
        swarm.stack_file(root)  # before a build: no stack file is a user error, not a build
        resolve = "always"
        if image is None:
            built = _build(root, f"{name}:latest")
            image = f"{name}:{built.image_id.split(':')[-1][:12]}"
            from quayside import docker
            docker.run(["tag", built.image_id, image], timeout=30)
            resolve = "never"  # a local image: no registry to ask
        printer = lambda states: out.print(  # noqa: E731
            "  " + ", ".join(f"{s.name.removeprefix(name + '_')} {s.completed if s.is_job else s.running}/{s.desired}"
                             f"{' ' + s.update if s.update else ''}" for s in states), markup=False)
        out.print(f"deploying {image} as stack {name} ...", markup=False)
        states, created = swarm.deploy(root, stack=name, image=image, timeout=timeout, resolve_image=resolve, on_change=printer)
    for secret in created:
        out.print(f"created secret {secret}", markup=False)
    rows = [(s.name, s.mode, f"{s.completed}/{s.desired} completed" if s.is_job else f"{s.running}/{s.desired}",
             s.update or "-", s.image) for s in states]
    _table(f"quayside deploy swarm: {name} converged", rows, ("service", "mode", "tasks", "update", "image"))


@deploy_app.command("k8s")
def deploy_k8s_cmd(
    path: PathArg = Path("."),
    overlay: Annotated[str, typer.Option(help="Which k8s/overlays/ directory: staging or production.")] = "staging",
    image: Annotated[Optional[str], typer.Option(help="Deploy this image (pushed to a registry the cluster pulls from).")] = None,
    context: Annotated[Optional[str], typer.Option(help="kubeconfig context (default: the current one).")] = None,
    timeout: Annotated[int, typer.Option(help="Seconds to wait for the migration job and for the rollout.")] = 300,
) -> None:
    """Render the overlay, run the migration Job to completion (when Alembic is configured), apply, and wait for
    `kubectl rollout status`. A failed migration stops before the app changes; a failed rollout exits 3."""
    from quayside.k8sdeploy import deploy

    with _user_errors():
        rollout = deploy(path.resolve(), overlay=overlay, image=image, context=context, timeout=timeout)
    for line in rollout.applied:
        out.print(f"  {line}", markup=False)
    if rollout.migrated:
        out.print("  migration job completed before the rollout", markup=False)
    out.print(f"deployment/{rollout.deployment} rolled out in namespace {rollout.namespace} ({rollout.image})", markup=False)
