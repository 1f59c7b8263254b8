"""Live: build and run real images on the Docker engine (the lab in CI). Nothing here is mocked."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from quayside.build import build_image
from quayside.engine import docker
from quayside.files import apply_writes, plan_writes
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Style, build_plan
from quayside.targets.docker import render_files
from quayside.verify import Expectation, VerifyOptions, verify_image
from quayside.verify.image import STOP_GRACE_SECONDS
from support.projects import EXAMPLES, FIXTURES, copy_project

pytestmark = pytest.mark.docker

GUIDE_EXPECTATIONS = [
    Expectation("/items/5?q=test", {"item_id": 5, "q": "test"}),
    Expectation("/", {"Hello": "World"}),
]


@pytest.fixture
def images():
    tags: list[str] = []
    yield tags
    for tag in tags:
        docker.run(["rmi", "-f", tag], check=False)


def _init_and_build(source, tmp_path, images, **options):
    project = copy_project(source, tmp_path)
    info = inspect_project(project)
    apply_writes(plan_writes(project, render_files(build_plan(info, InitOptions(**options))), force=False))
    tag = f"quayside-test/{source.name}:{uuid.uuid4().hex[:8]}"
    images.append(tag)
    return project, info, build_image(project, tag=tag)


def _checks(report):
    return {c.name: c for c in report.checks}


@pytest.mark.parametrize("style", list(Style), ids=[s.value for s in Style])
@pytest.mark.parametrize("example", ["guide-app", "guide-single-file"])
def test_every_style_serves_the_guide_app(tmp_path, images, example, style):
    _, _, built = _init_and_build(EXAMPLES / example, tmp_path, images, style=style)
    report = verify_image(built.tag, VerifyOptions(style=style.value, expectations=GUIDE_EXPECTATIONS))
    checks = _checks(report)
    assert report.ok, [c for c in report.checks if c.status == "fail"]
    assert checks["expect /items/5?q=test"].value == {"item_id": 5, "q": "test"}
    assert checks["smoke /docs"].status == "pass"
    assert checks["pid1"].status == "pass"  # exec form in every style: the server is PID 1
    # graceful: SIGTERM, not the SIGKILL after the grace period (how fast is bench/spine.py's figure, not a test's)
    assert checks["stop_seconds"].status == "pass" and checks["stop_seconds"].value < STOP_GRACE_SECONDS
    assert checks["inflight_completed"].value is True
    assert checks["lifespan_shutdown"].value is True
    if style is Style.PRODUCTION:
        assert checks["user_uid"].value not in (None, 0)
        assert checks["healthy"].value is True
    else:
        assert checks["healthy"].status == "skip"


def test_guide_image_fails_production_demands(tmp_path, images):
    _, _, built = _init_and_build(EXAMPLES / "guide-single-file", tmp_path, images, style=Style.GUIDE)
    report = verify_image(built.tag, VerifyOptions(style="production"))
    checks = _checks(report)
    assert not report.ok
    assert checks["user_uid"].status == "fail" and checks["user_uid"].value == 0
    assert checks["healthy"].status == "fail"


def _setuid_files(image: str) -> list[str]:
    found = docker.run(["run", "--rm", "--user", "0", "--entrypoint", "find", image, "/", "-xdev", "-type", "f", "-perm", "/6000"])
    return found.stdout.split()


def test_production_image_is_smaller_than_the_guides_and_has_no_setuid_programs(tmp_path, images):
    _, _, production = _init_and_build(EXAMPLES / "guide-app", tmp_path / "p", images, style=Style.PRODUCTION)
    _, _, guide = _init_and_build(EXAMPLES / "guide-app", tmp_path / "g", images, style=Style.GUIDE)
    assert production.size_bytes < guide.size_bytes * 0.5
    # CIS 4.8: the base image ships setuid programs (su, passwd, mount...); the production image has none left
    assert _setuid_files(production.tag) == []
    assert "/usr/bin/su" in _setuid_files(guide.tag), "the mutant (the guide's image: nothing removed) must have some"
    # what the server imports at start has bytecode in the image (the app user cannot write it, so a start
    # without it compiles each module again: 1.6 s against 1.0 s to the first 200 in bench/spine.py)
    assert _uncompiled_at_start(production.tag) == []
    unwarmed = production.tag + "-unwarmed"
    dockerfile = (tmp_path / "p" / "guide-app" / "Dockerfile")
    dockerfile.write_text("\n".join(line for line in dockerfile.read_text().splitlines() if "env -u PYTHONDONTWRITEBYTECODE" not in line) + "\n")
    images.append(unwarmed)
    build_image(tmp_path / "p" / "guide-app", tag=unwarmed)
    assert "typing" in _uncompiled_at_start(unwarmed), "the mutant (no warm-up step) must compile at start"


def _uncompiled_at_start(tag: str) -> list[str]:
    """Modules that `fastapi run`'s imports load from source, with no bytecode in the image (run as the app user)."""
    probe = ("import importlib.util, os, sys\nimport fastapi_cli.cli, uvicorn.main\n"
             "print(' '.join(sorted(n for n, m in list(sys.modules.items()) if type(getattr(m, '__loader__', None)).__name__ == 'SourceFileLoader' "
             "and not os.path.exists(importlib.util.cache_from_source(m.__file__)))))")
    return docker.run(["run", "--rm", "--entrypoint", "python", tag, "-c", probe], timeout=120).stdout.split()


@pytest.mark.parametrize(
    ("fixture", "health", "extra"),
    [
        ("uv-project", "/openapi.json", {}),  # uv sync --locked against a real uv.lock
        ("src-entrypoint", "/healthz", {}),  # src layout, [tool.fastapi], the project itself pip-installed
        ("other-variable", "/ping", {}),  # uvicorn command, `service` variable, docs disabled
        ("includes", "/health/live", {"workers": 2}),  # -r/-c includes, routers, two workers
    ],
)
def test_production_on_real_layouts(tmp_path, images, fixture, health, extra):
    _, info, built = _init_and_build(FIXTURES / fixture, tmp_path, images, style=Style.PRODUCTION, **extra)
    config = docker.inspect_image(built.tag)["Config"]
    assert health in config["Healthcheck"]["Test"][-1]
    smoke = tuple(p for p in (info.app.value.openapi_url, info.app.value.docs_url) if p)
    report = verify_image(built.tag, VerifyOptions(smoke_paths=smoke))
    assert report.ok, [c for c in report.checks if c.status == "fail"]
    assert report.value("healthy") is True and report.value("stop_seconds") < STOP_GRACE_SECONDS


def test_cli_verify_path_proves_cache_reuse(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    tag = f"quayside-test/cli:{uuid.uuid4().hex[:8]}"
    try:
        init = subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, text=True, check=False)
        assert init.returncode == 0, init.stderr
        proc = subprocess.run(
            [sys.executable, "-m", "quayside", "verify", str(project), "--json", "-t", tag,
             "--expect", '/items/5?q=test={"item_id":5,"q":"test"}'],
            capture_output=True, text=True, timeout=600, check=False,
)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        data = json.loads(proc.stdout)
        assert data["ok"] is True and data["cache_reused"] is True
        for key in ("healthy", "user_uid", "stop_seconds", "inflight_completed", "lifespan_shutdown", "start_seconds", "size_bytes"):
            assert key in data
        cache = next(c for c in data["checks"] if c["name"] == "cache_reused")
        assert "CACHED" in cache["detail"]
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_cli_verify_exit_code_on_failure(tmp_path, images):
    _, _, built = _init_and_build(EXAMPLES / "guide-single-file", tmp_path, images, style=Style.GUIDE)
    proc = subprocess.run(
        [sys.executable, "-m", "quayside", "verify", "--image", built.tag, "--style", "production"],
        capture_output=True, text=True, timeout=300, check=False,
)
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "user_uid" in proc.stdout


def test_cli_build_reports_size_and_time(tmp_path):
    project = copy_project(EXAMPLES / "guide-single-file", tmp_path)
    tag = f"quayside-test/build:{uuid.uuid4().hex[:8]}"
    try:
        assert subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, check=False).returncode == 0
        proc = subprocess.run([sys.executable, "-m", "quayside", "build", str(project), "-t", tag], capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"built {tag}" in proc.stdout and " MB, " in proc.stdout and "steps cached" in proc.stdout
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_build_without_dockerfile_is_a_user_error(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "quayside", "build", str(project)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "run `quayside init` first" in proc.stderr


def test_verify_compare_side_by_side(tmp_path):
    from quayside.plan import InitOptions, Style, build_plan
    from quayside.targets.docker import render_dockerfile

    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    assert subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, check=False).returncode == 0
    (project / "Dockerfile.guide").write_text(render_dockerfile(build_plan(inspect_project(project), InitOptions(style=Style.GUIDE))))
    tag = f"quayside-test/compare:{uuid.uuid4().hex[:8]}"
    try:
        proc = subprocess.run([sys.executable, "-m", "quayside", "verify", str(project), "--compare", str(project / "Dockerfile.guide"),
                               "--json", "-t", tag], capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        production, guide = json.loads(proc.stdout)
        assert (production["dockerfile"], guide["dockerfile"]) == ("Dockerfile", "Dockerfile.guide")
        assert production["size_bytes"] < guide["size_bytes"] * 0.5
        assert production["cache_reused"] is True and guide["cache_reused"] is True
        assert production["user_uid"] == 10001 and guide["user_uid"] == 0
        assert production["findings"] == [] and guide["findings"] == []  # the guide file says why it runs as root
        assert production["layers"] > 0 and guide["layers"] > 0
        markdown = subprocess.run([sys.executable, "-m", "quayside", "verify", str(project), "--compare", "Dockerfile.guide",
                                   "--markdown", "-t", tag], capture_output=True, text=True, timeout=900, cwd=project, check=False)
        assert markdown.returncode == 0, markdown.stderr
        assert markdown.stdout.startswith("|  | Dockerfile | Dockerfile.guide |") and "| size |" in markdown.stdout
    finally:
        docker.run(["rmi", "-f", tag, tag + "-compare"], check=False)
