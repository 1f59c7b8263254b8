"""Walking a user's project for .py files: pruned (a .git or node_modules is never read), links never followed,
and a folder that goes away meanwhile skipped (elle4a69/fastapi_bookings in the field bench: git's gc, started by
the commit just made, packed .git/objects while init walked it, and init died with a traceback)."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection.source import python_files
from support.projects import write

runner = CliRunner()


def _skip_dots(name: str) -> bool:
    return name.startswith(".") or name == "node_modules"


def test_pruned_folders_and_links_are_never_entered(tmp_path):
    project = write(tmp_path / "p", {"main.py": "", "app/core.py": "", ".git/objects/05/x.py": "",
                                     "node_modules/n/y.py": "", "app/.cache/z.py": ""})
    os.symlink(project / "app", project / "linked")
    entered: list[str] = []
    real_scandir = os.scandir

    def watching(path):
        entered.append(os.path.relpath(path, project))
        return real_scandir(path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "scandir", watching)
        found = python_files(project, _skip_dots)
    assert [p.relative_to(project).as_posix() for p in found] == ["app/core.py", "main.py"]
    assert sorted(entered) == [".", "app"]  # never .git, node_modules, the link or app/.cache


def test_a_folder_gone_while_walking_is_skipped(tmp_path, monkeypatch):
    project = write(tmp_path / "p", {"main.py": "", "objects/05/x.py": "", "objects/06/y.py": ""})
    real_scandir = os.scandir

    def vanishing(path):
        if os.path.basename(path) == "05":
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", vanishing)
    assert [p.relative_to(project).as_posix() for p in python_files(project, lambda name: False)] == \
        ["main.py", "objects/06/y.py"]


def test_a_file_system_error_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    import quayside.inspection as inspection

    def gone(path):
        raise FileNotFoundError(2, "No such file or directory", "/p/.git/objects/05")

    monkeypatch.setattr(inspection, "inspect_project", gone)
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert "error: No such file or directory: /p/.git/objects/05; run it again" in result.output
