"""A uv.lock older than pyproject.toml is said at inspect, with the names (yatharth1706/fault-watch added
python-slugify after locking; `uv sync --locked` refused it minutes into the build)."""

from __future__ import annotations

import pytest

from quayside.errors import UserInputError
from quayside.inspection.dependencies import detect
from quayside.inspection.source import load_toml
from support.projects import FIXTURES, copy_project

LOCKED = '[project]\nname = "uv-project"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = [{deps}]\n{extra}'

STALE = [
    ("one-added", '"fastapi[standard]>=0.115,<1.0", "python-slugify>=8"', "", "declares python-slugify, which it has not locked"),
    ("one-dropped", "", "", "still locks fastapi, which pyproject.toml no longer declares"),
    ("renamed", '"FastAPI[standard]>=0.115", "Python_Slugify"', "", "declares python-slugify"),
]
CURRENT = [
    ("as-locked", '"fastapi[standard]>=0.115,<1.0"', ""),
    ("spelled-otherwise", '"FastAPI[standard] >= 0.115, < 1.0"', ""),
    ("another-range", '"fastapi[standard]>=0.100"', ""),  # a specifier change: uv's own check at build
    ("dynamic", "", 'dynamic = ["dependencies"]\n'),
]


def _project(tmp_path, deps: str, extra: str):
    root = copy_project(FIXTURES / "uv-project", tmp_path)
    (root / "pyproject.toml").write_text(LOCKED.format(deps=deps, extra=extra))
    return root


@pytest.mark.parametrize(("case", "deps", "extra", "said"), STALE, ids=[c[0] for c in STALE])
def test_a_stale_lock_is_said_with_the_names(tmp_path, case, deps, extra, said):
    root = _project(tmp_path, deps, extra)
    with pytest.raises(UserInputError) as told:
        detect(root, load_toml(root / "pyproject.toml", display="pyproject.toml"))
    assert said in told.value.message and told.value.path == "uv.lock"
    assert "uv lock" in (told.value.hint or "")


@pytest.mark.parametrize(("case", "deps", "extra"), CURRENT, ids=[c[0] for c in CURRENT])
def test_a_current_lock_passes(tmp_path, case, deps, extra):
    root = _project(tmp_path, deps, extra)
    assert detect(root, load_toml(root / "pyproject.toml", display="pyproject.toml")).installer.value == "uv"
