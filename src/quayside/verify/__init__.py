"""Stage 4, verify: run the image and prove it behaves as a production FastAPI container should.

`image` runs one container (health, non-root, PID 1, smoke requests, graceful stop with a request in flight),
`cache` proves the dependency layer survives a code change, `compare` puts two Dockerfiles side by side, and
`probe/` is what verify mounts into the container (never into the image).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from quayside.build import BuildResult, build_image, default_tag
from quayside.errors import QuaysideError, UserInputError
from quayside.inspection import ProjectInfo, inspect_project
from quayside.plan.options import Style
from quayside.verify.cache import check_cache_reuse
from quayside.verify.image import port_from_image, verify_image
from quayside.verify.report import Check, Expectation, VerifyOptions, VerifyReport, style_of_dockerfile

__all__ = ["Check", "Expectation", "VerifyOptions", "VerifyReport", "check_cache_reuse", "compose_options", "port_from_image",
           "project_options", "style_of_dockerfile", "verify_image", "verify_path", "verify_project"]


def verify_project(
    root: Path,
    options: VerifyOptions,
    *,
    tag: str,
    dockerfile: str = "Dockerfile",
    app_file: str,
    on_progress: Callable[[str], None] | None = None,
    build: Callable[..., BuildResult] = build_image,
) -> tuple[VerifyReport, BuildResult]:
    """Build the project with this Dockerfile, verify the image, then prove the dependency layer is reused."""
    built = build(root, tag=tag, dockerfile=dockerfile, secrets=options.build_secrets, network=options.build_network)
    report = verify_image(built.tag, options, on_progress)
    if on_progress:
        on_progress("rebuilding a copy with a touched source file (cache reuse)")
    cache, _ = check_cache_reuse(root, app_file, dockerfile, image=built.tag, secrets=options.build_secrets,
                                 network=options.build_network)
    report.checks.append(cache)
    return report, built


def project_options(info: ProjectInfo, options: VerifyOptions, style: Style | None) -> tuple[VerifyOptions, str]:
    """What to demand of a project's image: its smoke paths from inspect, its style from its Dockerfile's header.
    Returns the options and the app's file (touched by the cache-reuse check)."""
    app = info.app.value
    health = options.health_path or info.health_path.value
    smoke = tuple(p for p in (health, app.openapi_url, app.docs_url) if p) or ("/",)
    chosen = style or style_of_dockerfile(info.root / "Dockerfile") or Style.PRODUCTION
    if not options.start_timeout_given and info.config.start_timeout is not None:
        options = replace(options, start_timeout=info.config.start_timeout,
                          health_timeout=max(options.health_timeout, info.config.start_timeout + 30))
    options = _leave_placeholders_to_defaults(info.root, options)
    return replace(options, smoke_paths=smoke, style=chosen, health_path=health,
                   settings_without_default=_settings_without_default(info.root), shadowing=_shadowing(info),
                   app_reads=_app_reads(info.root), engine_urls=_engine_urls(info.root),
                   dotenv_files=_dotenv_files(info.root),
                   fixed_addresses=_fixed_addresses(info), project_root=info.root), app.file


def _leave_placeholders_to_defaults(root: Path, options: VerifyOptions) -> VerifyOptions:
    """An env file value that is a placeholder (`ACCESS_TOKEN_EXPIRE_MINUTES="<time>"` in the project's
    example) for a setting whose code has a default is not passed: the default stands, as in the compose
    environment init writes from the same example. A value given with --env is always passed."""
    from quayside.inspection.appsettings import default_stands, is_placeholder, read_app_settings

    candidates = [name for name in sorted(options.env_from_file) if is_placeholder(options.env.get(name, ""))]
    if not candidates:
        return options
    try:
        settings = {s.name: s for s in read_app_settings(root).settings}
    except UserInputError:
        return options
    left = tuple(name for name in candidates if name in settings and default_stands(options.env[name], settings[name]))
    if not left:
        return options
    return replace(options, env={k: v for k, v in options.env.items() if k not in left}, placeholders_left=left)


def _fixed_addresses(info: ProjectInfo) -> tuple[str, ...]:
    from quayside.inspection.services import fixed_addresses

    try:
        within: tuple[str, ...] | None = info.runtime_content().paths
    except QuaysideError:
        within = None  # what the image holds is not plain: every module of the project counts
    return fixed_addresses(info.root, within)


def _dotenv_files(root: Path) -> tuple[str, ...]:
    from quayside.inspection.appsettings import dotenv_files

    return dotenv_files(root)


def _app_reads(root: Path) -> frozenset[str]:
    from quayside.inspection.appsettings import read_app_settings

    try:
        return frozenset(s.name for s in read_app_settings(root).settings)
    except UserInputError:
        return frozenset()


def _engine_urls(root: Path) -> frozenset[str]:
    from quayside.inspection.appsettings import read_app_settings

    try:
        return frozenset(read_app_settings(root).engine_urls)
    except UserInputError:
        return frozenset()


def _shadowing(info: ProjectInfo) -> tuple[str, ...]:
    from packaging.utils import canonicalize_name

    declared = {d.name for d in info.dependencies.declared}
    top = info.root / info.app.value.import_root
    found = [f"{p.name}/" if p.is_dir() else p.name for p in sorted(top.iterdir())
             if (p.is_dir() and (p / "__init__.py").is_file() and canonicalize_name(p.name) in declared)
             or (p.suffix == ".py" and p.is_file() and canonicalize_name(p.stem) in declared)] if top.is_dir() else []
    return tuple(found)


def _settings_without_default(root: Path) -> tuple[tuple[str, str], ...]:
    from quayside.inspection.appsettings import read_app_settings

    try:
        settings = read_app_settings(root)
    except UserInputError:
        return ()  # a settings file that does not parse: only the named causes are offered
    # a field that declares a default (None, a factory) has one; os.getenv("X") has None, which the code may not expect
    return tuple((s.name, s.source) for s in settings.settings
                 if (s.required or (s.default is None and not s.annotation)) and not s.scalar and not s.name.startswith("TEST"))


def compose_options(path: Path, options: VerifyOptions) -> VerifyOptions:
    """What to demand of the app service of a compose project: its smoke paths and start time from inspect."""
    info = inspect_project(path)
    chosen, _ = project_options(info, options, Style.PRODUCTION)
    ready = info.ready_path.value
    return replace(chosen, ready_path=ready if ready and ready != chosen.health_path else None)


def verify_path(path: Path, options: VerifyOptions, *, tag: str | None = None, style: Style | None = None,
                on_progress: Callable[[str], None] | None = None,
                build: Callable[..., BuildResult] = build_image) -> VerifyReport:
    """`quayside verify PATH`: build the project, prove its image, prove cache reuse."""
    info = inspect_project(path)
    options, app_file = project_options(info, options, style)
    report, _ = verify_project(info.root, options, tag=tag or default_tag(info.root), app_file=app_file,
                               on_progress=on_progress, build=build)
    return report
