"""Names are data, not instructions: a package named to inject a Dockerfile line either renders as one safe COPY,
or is refused with one message. Never an extra instruction."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quayside.check.dockerfile import parse
from quayside.cli import app
from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Style, build_plan
from quayside.plan.names import copy_instruction
from quayside.targets.docker import render_dockerfile
from support.projects import tree_digest

runner = CliRunner()
REQUIREMENTS = "fastapi[standard]>=0.115\n"
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def _instructions(text: str) -> list[str]:
    return [ins.keyword for ins in parse(text, "Dockerfile").instructions]


def _render(root: Path, style: Style) -> str:
    return render_dockerfile(build_plan(inspect_project(root), InitOptions(style=style)))


def test_the_audits_injection_is_refused(tmp_path):
    """A package directory named "x y\\nRUN echo INJECTED #" once produced an injected RUN."""
    project = tmp_path / "p"
    project.mkdir()
    _named(project, 'x y\nRUN echo INJECTED-RUN-uid=$(id -u) #')
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 2, result.output
    assert "INJECTED" not in "".join(p.read_text() for p in project.rglob("Dockerfile"))
    assert tree_digest(project) == before


def test_a_folder_with_a_space_is_copied_as_one_path(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    project = _named(tmp_path / "p", "my svc")
    baseline = _instructions(_render(_named(tmp_path / "q", "app"), Style.PRODUCTION))
    text = _render(project, Style.PRODUCTION)
    assert 'COPY ["./my svc", "/code/my svc"]' in text
    assert _instructions(text) == baseline


def test_copy_instruction_forms():
    assert copy_instruction("./app", "/code/app") == "COPY ./app /code/app"
    assert copy_instruction("./my svc", "/code/my svc") == 'COPY ["./my svc", "/code/my svc"]'


NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=24)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
@pytest.mark.parametrize("style", [Style.PRODUCTION, Style.GUIDE])
def test_random_names_never_add_an_instruction(tmp_path, style, name):
    if name in (".", "..") or name.startswith(".") or name.strip() != name or not name.strip():
        return  # hidden or blank folders are not where an app lives
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        baseline_root = work / "baseline"
        baseline_root.mkdir()
        baseline = _instructions(_render(_named(baseline_root, "app"), style))
        root = work / "case"
        root.mkdir()
        try:
            project = _named(root, name)
        except OSError:
            return  # a name this filesystem refuses
        try:
            text = _render(project, style)
        except UserInputError:
            return  # refused with one clear message: fine
        assert _instructions(text) == baseline, text
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _named(root: Path, package: str) -> Path:
    (root / package).mkdir()
    (root / package / "main.py").write_text(APP)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    return root
