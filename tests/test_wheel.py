"""Ship what we test: the built wheel, installed into a fresh virtualenv (no -e, no source tree on the path),
renders every target and style of the guide app byte for byte as the snapshots say.

The first wheel shipped 12 of 28 templates (`templates/*.j2` does not reach subfolders): every test passed
with the editable install while `init --target kubernetes` from the wheel was a TemplateNotFound traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.projects import EXAMPLES, ROOT, copy_project

TARGETS = ["docker", "compose", "kubernetes", "swarm", "cloudrun", "ecs", "aci", "fly", "render", "railway"]
STYLES = ["production", "guide", "multistage", "uv"]


def _snapshot_name(target: str, style: str, name: str) -> str | None:
    """Where the snapshot of this generated file lives (the names the target tests use)."""
    if target == "docker":
        return {"Dockerfile": f"guide-app-{style}.Dockerfile", ".dockerignore": "dockerignore"}[name]
    if name in ("Dockerfile", ".dockerignore", ".env", ".gitignore"):
        return None  # the image's plan is covered by the docker target; .env holds random secrets; .gitignore is the user's
    folder = {"compose": "compose-guide-app-auto-none", "kubernetes": "kubernetes-guide-app",
              "swarm": "swarm-guide-app-external"}.get(target, f"cloud-guide-app-{target}")
    if target == "compose" and name == ".env.example":
        return None  # covered by test_compose's .env tests
    return f"{folder}/{name}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quayside command of a fresh virtualenv that has only the wheel (and its dependencies) installed."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    # build from a clean copy: an in-tree build reuses build/lib, which can hold files the package data misses
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)],
                           capture_output=True, text=True, timeout=600, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = next(dist.glob("quayside-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                             capture_output=True, text=True, timeout=900, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return venv / "bin" / "quayside"


def _run(quayside: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # run from an empty directory with a clean PYTHONPATH: nothing of the source tree can leak in
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(quayside), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False)


def test_the_wheel_ships_every_template_and_the_probe(installed: Path) -> None:
    wheel = next((installed.parents[2] / "dist").glob("quayside-*.whl"))
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("quayside/")}
    source = ROOT / "src"
    needed = {p.relative_to(source).as_posix() for p in (source / "quayside").rglob("*")
              if p.is_file() and p.suffix in (".j2", ".py", ".typed") and "__pycache__" not in p.parts}
    assert needed - shipped == set()


def test_the_installed_command_is_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed.parent / "python"), "-c", "import quayside; print(quayside.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True, timeout=60).stdout.strip()
    assert Path(where).is_relative_to(installed.parents[1]), where


def test_version_and_rules_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    from quayside import __version__

    version = _run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"quayside {__version__}"
    rules = _run(installed, "check", "--list-rules", cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    assert "QS000" in rules.stdout
    assert "QS026" in rules.stdout


@pytest.mark.parametrize(("target", "style"), [(t, "production") for t in TARGETS] + [("docker", s) for s in STYLES[1:]])
def test_init_from_the_wheel_equals_the_snapshots(installed: Path, tmp_path: Path, snapshot, target: str, style: str) -> None:
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    before = {p for p in project.rglob("*") if p.is_file()}
    result = _run(installed, "init", str(project), "--target", target, "--style", style, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    written = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file() and p not in before)
    assert "Dockerfile" in written
    compared = 0
    for name in written:
        snap = _snapshot_name(target, style, name)
        if snap is not None:
            snapshot.assert_match(snap, (project / name).read_text(encoding="utf-8"))
            compared += 1
    assert compared >= (2 if target == "docker" else 1)


def test_a_missing_template_is_one_error_not_a_traceback(installed: Path, tmp_path: Path) -> None:
    """The failure the first wheel had, made on purpose: one message, exit 3, nothing written."""
    site = installed.parents[1] / "lib"
    kubernetes = next(site.glob("python3*/site-packages/quayside/templates/kubernetes"))
    hidden = kubernetes.with_name("kubernetes-hidden")
    shutil.move(kubernetes, hidden)
    try:
        project = copy_project(EXAMPLES / "guide-app", tmp_path)
        result = _run(installed, "init", str(project), "--target", "kubernetes", cwd=tmp_path)
    finally:
        shutil.move(hidden, kubernetes)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1
    assert "missing from this installation" in result.stderr
    assert not (project / "k8s").exists()
    assert not (project / "Dockerfile").exists()
