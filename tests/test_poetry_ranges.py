"""A Poetry project without poetry.lock (monkrobot/ProjectHelperFastapi): init writes the ranges
[tool.poetry.dependencies] declares, in pip's terms, to requirements.poetry.txt, and the image installs them.
Conversion tables ("found" / "refused"), as pyupgrade's."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection import inspect_project
from quayside.inspection.poetryranges import FILE, NotExportable, requirement, specifier
from support.projects import tree_digest, write

runner = CliRunner()

SPECIFIERS = [
    ("^1.2.3", ">=1.2.3,<2"), ("^1.2", ">=1.2,<2"), ("^1", ">=1,<2"), ("^0.2.3", ">=0.2.3,<0.3"),
    ("^0.0.3", ">=0.0.3,<0.0.4"), ("^0.0", ">=0.0,<0.1"), ("^0", ">=0,<1"), ("~1.2.3", ">=1.2.3,<1.3"),
    ("~1.2", ">=1.2,<1.3"), ("~1", ">=1,<2"), ("1.2.*", "==1.2.*"), ("3.11.7", "==3.11.7"), ("*", ""),
    (">= 1.2, < 1.5", ">=1.2,<1.5"), ("~=1.4", "~=1.4"), ("^2024.1", ">=2024.1,<2025"), ("^1.0.0b1", ">=1.0.0b1,<2"),
]

REQUIREMENTS = [
    ("fastapi", {"version": "^0.111.1", "extras": ["standard"]}, "fastapi[standard]<0.112,>=0.111.1"),
    ("uvloop", {"version": "^0.19", "markers": 'sys_platform != "win32"', "python": ">=3.9"},
     'uvloop<0.20,>=0.19; python_version >= "3.9" and sys_platform != "win32"'),
    ("pytz", "*", "pytz"),
    ("redis", {"version": "5.0.1"}, "redis==5.0.1"),
]

REFUSED = [
    ("git", {"git": "https://example.invalid/x.git"}, "comes from a git"),
    ("path", {"path": "../lib", "develop": True}, "comes from a path"),
    ("union", "^1.0 || ^2.0", "union"),
    ("several", [{"version": "^1", "python": "<3.10"}, {"version": "^2", "python": ">=3.10"}], "several constraints"),
    ("nonsense", "banana", "not one these rules read"),
]


@pytest.mark.parametrize(("poetry", "pep440"), SPECIFIERS, ids=[s[0] for s in SPECIFIERS])
def test_specifier(poetry, pep440):
    assert specifier(poetry) == pep440


@pytest.mark.parametrize(("name", "spec", "line"), REQUIREMENTS, ids=[r[0] for r in REQUIREMENTS])
def test_requirement(name, spec, line):
    assert requirement(name, spec) == line


def test_an_optional_dependency_is_left_to_its_extra():
    assert requirement("orjson", {"version": "^3", "optional": True}) is None


@pytest.mark.parametrize(("name", "spec", "said"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(name, spec, said):
    with pytest.raises(NotExportable, match=said):
        requirement(name, spec)


PYPROJECT = ('[tool.poetry]\nname = "helper"\nversion = "0.1.0"\npackage-mode = false\n\n[tool.poetry.dependencies]\n'
             'python = "^3.11"\nfastapi = {version = "^0.115", extras = ["standard"]}\npython-slugify = "^8.0"\n\n'
             '[tool.poetry.group.dev.dependencies]\npytest = "^8.0"\n')
APP = "from fastapi import FastAPI\nfrom slugify import slugify\n\napp = FastAPI()\n"


def test_init_writes_the_ranges_and_its_output_is_stable_and_clean(tmp_path):
    project = write(tmp_path / "p", {"pyproject.toml": PYPROJECT, "main.py": APP})
    info = inspect_project(project)
    assert (info.dependencies.installer.value, info.dependencies.files) == ("pip", (FILE,))
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    written = (project / FILE).read_text().splitlines()
    assert written[2:] == ["fastapi[standard]<0.116,>=0.115", "python-slugify<9,>=8.0"]  # no dev group
    assert f"-r {FILE}" in (project / "Dockerfile").read_text()
    checked = runner.invoke(app, ["check", str(project)])
    assert checked.exit_code == 0 and "0 findings" in checked.output, checked.output
    before = tree_digest(project)
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert tree_digest(project) == before
    # pyproject.toml is the declaration: a changed range is written again
    (project / "pyproject.toml").write_text(PYPROJECT.replace('python-slugify = "^8.0"', 'python-slugify = "~8.0.4"'))
    assert runner.invoke(app, ["init", str(project), "--force"]).exit_code == 0
    assert (project / FILE).read_text().splitlines()[-1] == "python-slugify<8.1,>=8.0.4"


def test_a_declaration_these_rules_cannot_read_is_one_clear_error(tmp_path):
    project = write(tmp_path / "p", {"pyproject.toml": PYPROJECT.replace('python-slugify = "^8.0"',
                                                                         'lib = {git = "https://example.invalid/lib.git"}'),
                                     "main.py": APP})
    result = runner.invoke(app, ["inspect", str(project)])
    assert result.exit_code == 2
    assert "a Poetry project without poetry.lock" in result.output and "lib comes from a git" in result.output
    assert "poetry lock" in result.output


def test_the_ranges_resolve_as_of_the_projects_last_commit(tmp_path):
    """monkrobot/ProjectHelperFastapi: `sqlalchemy = "^2.0.31"` with asyncio. Resolved today, the range takes
    SQLAlchemy 2.1, which no longer brings greenlet, and the app fails at import; resolved as of the commit that
    last touched pyproject.toml (which the written file cannot have: init writes it), it gets what its authors
    ran. With pyproject.toml edited since (the broken variant's shape), history cannot say, and it is today's."""
    from support.projects import commit_all

    project = write(tmp_path / "p", {"pyproject.toml": PYPROJECT, "main.py": APP})
    commit_all(project, "2025-04-21T14:24:00+00:00")
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert "--exclude-newer 2025-04-22T00:00:00Z -r requirements.poetry.txt" in (project / "Dockerfile").read_text()
    (project / "pyproject.toml").write_text(PYPROJECT + "\n")
    assert runner.invoke(app, ["init", str(project), "--force"]).exit_code == 0
    assert "--exclude-newer" not in (project / "Dockerfile").read_text()
