"""`quayside verify`: build (for a PATH) and prove the image live; `--compare` puts two Dockerfiles side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quayside.cli.app import app
from quayside.cli.output import printing_build, say, table, user_errors, warn
from quayside.errors import UserInputError
from quayside.plan.options import Style

if TYPE_CHECKING:
    from quayside.verify import VerifyReport
    from quayside.verify.compare import Column


def _print_report(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), indent=2, default=str))
        return
    marks = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}
    rows = [(c.name, marks[c.status], "" if c.value is None else str(c.value), c.detail) for c in report.checks]
    table(f"quayside verify {report.image}", rows, ("check", "result", "value", "detail"))
    failed = [c.name for c in report.checks if c.status == "fail"]
    say("all checks passed" if not failed else f"FAILED: {', '.join(failed)}")


def _print_comparison(columns: list[Column], as_json: bool, markdown: bool) -> None:
    from quayside.verify.compare import table as comparison
    from quayside.verify.compare import to_json, to_markdown

    if as_json:
        print(to_json(columns))
    elif markdown:
        print(to_markdown(columns), end="")
    else:
        headers, rows = comparison(columns)
        table("quayside verify --compare", rows, headers)


@app.command("verify")
def verify_cmd(
    path: Annotated[Path | None, typer.Argument(help="Project directory: build it, then verify (and prove cache reuse).")] = None,
    image: Annotated[str | None, typer.Option(help="Verify this existing image instead of building.")] = None,
    port: Annotated[int | None, typer.Option(help="Container port (default: from EXPOSE or the command's --port).")] = None,
    expect: Annotated[list[str] | None, typer.Option(help="PATH=JSON: GET PATH must answer 200 with exactly this JSON. Repeatable.")] = None,
    style: Annotated[Style | None, typer.Option(help="What to demand (default: from the Dockerfile header; production for --image).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Tag for the image built from PATH.")] = None,
    compare: Annotated[Path | None, typer.Option(help="Another Dockerfile for the same project: build and prove both, side by side.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="With --compare: print the table as Markdown (for a PR comment).")] = False,
    read_only: Annotated[bool, typer.Option("--read-only", help="Run with a read-only root filesystem and a tmpfs /tmp.")] = False,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="NAME=VALUE: a setting the app needs to start (masked in all output). Repeatable.")] = None,
    env_file: Annotated[Path | None, typer.Option("--env-file", help="A file of NAME=VALUE settings (as docker's --env-file), e.g. the project's documented example values.")] = None,
    health_path: Annotated[str | None, typer.Option("--health-path", help="The route to wait on and probe (default: the app's health route, else its OpenAPI schema).")] = None,
    start_timeout: Annotated[float | None, typer.Option(help="Seconds the app may take to answer its first request (migrations, model loading); default: [tool.quayside] start-timeout, else 60.")] = None,
    compose: Annotated[bool, typer.Option("--compose", help="Bring up the project's compose services (its own project, removed after) and prove the app service among them.")] = False,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="ID=PATH: a BuildKit secret for the build, e.g. netrc=~/.netrc for a private package index. Repeatable.")] = None,
    network: Annotated[str | None, typer.Option("--network", help="The build steps' network: default, host or none.")] = None,
) -> None:
    """Run the image on 127.0.0.1 and prove: healthy, non-root, smoke requests, graceful stop with a request
    in flight, lifespan shutdown, start time, size, and dependency-layer cache reuse."""
    from quayside.build import build_image, check_network, parse_secrets
    from quayside.inspection import projectconfig
    from quayside.verify import Expectation, VerifyOptions, verify_image, verify_path
    from quayside.verify.compare import compare_path
    from quayside.verify.settings import parse_env_file, parse_env_options

    quiet = as_json or markdown
    progress = warn if not quiet else None
    build = build_image if quiet else printing_build
    with user_errors():
        if (path is None) == (image is None):
            raise UserInputError("pass a project PATH or --image IMAGE (one of them)")
        if compare is not None and path is None:
            raise UserInputError("--compare needs a project PATH (both Dockerfiles are built from it)")
        if markdown and compare is None:
            raise UserInputError("--markdown goes with --compare")
        if start_timeout is not None and start_timeout <= 0:
            raise UserInputError(f"--start-timeout {start_timeout:g} must be more than 0 seconds")
        from_file = parse_env_file(env_file) if env_file is not None else {}
        given = parse_env_options(env or [])
        settings = {**from_file, **given}
        options = VerifyOptions(port=port, expectations=[Expectation.parse(e) for e in expect or []], read_only=read_only,
                                env=settings, env_from_file=frozenset(from_file) - frozenset(given), start_timeout=start_timeout or 60.0,
                                health_timeout=max(90.0, (start_timeout or 60.0) + 30), start_timeout_given=start_timeout is not None,
                                health_path=projectconfig.health_path(health_path, "--health-path") if health_path else None,
                                build_secrets=parse_secrets(secret or []), build_network=check_network(network))
        if compose and (path is None or compare is not None):
            raise UserInputError("--compose needs a project PATH (its compose file) and goes without --compare")
        if image is not None and options.health_path:
            options.smoke_paths = (options.health_path, *options.smoke_paths)
        if image is not None:
            options.style = style or Style.PRODUCTION
            report = verify_image(image, options, progress)
        elif compose:
            assert path is not None  # checked above
            from quayside.verify import compose_options
            from quayside.verify.stack import verify_compose

            report = verify_compose(path.resolve(), compose_options(path, options), progress)
        elif compare is not None:
            assert path is not None  # checked above
            columns = compare_path(path, compare, options, tag=tag, progress=progress, build=build)
        else:
            assert path is not None  # checked above
            report = verify_path(path, options, tag=tag, style=style, on_progress=progress, build=build)
    if compare is not None:
        _print_comparison(columns, as_json, markdown)
        ok = columns[0].report.ok  # the exit code follows the project's own Dockerfile
    else:
        _print_report(report, as_json)
        ok = report.ok
    if not ok:
        raise typer.Exit(1)
