"""init: snapshots (byte-stable output) and the never-clobber / all-or-nothing contract."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quayside.cli import app
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, Proxy, Style, build_plan
from quayside.targets.docker import render_dockerignore, render_files
from support.projects import EXAMPLES, FIXTURES, copy_project, tree_digest

CASES = [
    *[(EXAMPLES / "guide-app", style, {}) for style in Style],
    *[(EXAMPLES / "guide-single-file", style, {}) for style in Style],
    (EXAMPLES / "guide-app", Style.PRODUCTION, {"proxy": Proxy.EXTERNAL, "workers": 2}),
    (FIXTURES / "src-entrypoint", Style.PRODUCTION, {}),
    (FIXTURES / "uv-project", Style.PRODUCTION, {}),
    (FIXTURES / "uv-project", Style.UV, {}),
    (FIXTURES / "includes", Style.PRODUCTION, {}),
    (FIXTURES / "includes", Style.GUIDE, {}),
    (FIXTURES / "other-variable", Style.PRODUCTION, {}),
    (FIXTURES / "api-variable", Style.GUIDE, {}),
    (FIXTURES / "poetry-project", Style.PRODUCTION, {}),
    (FIXTURES / "pdm-project", Style.PRODUCTION, {}),
    (FIXTURES / "plain-pyproject", Style.PRODUCTION, {}),
]


def _case_id(case) -> str:
    project, style, extra = case
    suffix = "".join(f"-{k}{'' if v is True else v}" for k, v in sorted(extra.items()))
    return f"{project.name}-{style.value}{suffix}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_dockerfile_snapshot(case, snapshot):
    project, style, extra = case
    text = render_files(build_plan(inspect_project(project), InitOptions(style=style, **extra)))["Dockerfile"]
    snapshot.assert_match(f"{_case_id(case)}.Dockerfile", text)


def test_dockerignore_snapshot(snapshot):
    snapshot.assert_match("dockerignore", render_dockerignore())
    for needed in ("**/.venv", "**/.env", "**/.git", "**/__pycache__"):
        assert needed in render_dockerignore().splitlines()


def test_guide_style_is_the_guides_dockerfile():
    text = render_files(build_plan(inspect_project(EXAMPLES / "guide-app"), InitOptions(style=Style.GUIDE)))["Dockerfile"]
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body == [
        "FROM python:3.12",
        "WORKDIR /code",
        "COPY ./requirements.txt /code/requirements.txt",
        "RUN pip install --no-cache-dir --upgrade -r /code/requirements.txt",
        "COPY ./app /code/app",
        'CMD ["fastapi", "run", "app/main.py", "--port", "80"]',
    ]


def test_examples_ship_the_current_rendering():
    # the examples carry the production files quayside writes; they must not drift from the templates
    for example in ("guide-app", "guide-single-file"):
        root = EXAMPLES / example
        files = render_files(build_plan(inspect_project(root), InitOptions()))
        for name, content in files.items():
            assert (root / name).read_text(encoding="utf-8") == content, f"{example}/{name}: run `quayside init --force`"


runner = CliRunner()


def test_init_writes_then_is_a_noop(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    first = runner.invoke(app, ["init", str(project)])
    assert first.exit_code == 0, first.output
    assert "create" in first.output
    before = tree_digest(project)
    second = runner.invoke(app, ["init", str(project)])
    assert second.exit_code == 0 and "unchanged" in second.output
    assert tree_digest(project) == before


def test_init_never_overwrites_without_force(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "Dockerfile").write_text("FROM python:3.12\n# mine\n")
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 2
    assert "-# mine" in result.output and "already exist" in result.output and "--force" in result.output
    assert tree_digest(project) == before  # .dockerignore was not written either: all or nothing
    forced = runner.invoke(app, ["init", str(project), "--force"])
    assert forced.exit_code == 0 and "overwrite" in forced.output
    assert "# mine" not in (project / "Dockerfile").read_text()


def test_dry_run_writes_nothing(tmp_path):
    project = copy_project(EXAMPLES / "guide-single-file", tmp_path)
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), "--dry-run", "--style", "guide"])
    assert result.exit_code == 0
    assert "+++ b/Dockerfile" in result.output and 'CMD ["fastapi", "run", "main.py", "--port", "80"]' in result.output
    assert tree_digest(project) == before


def test_read_only_directory(tmp_path, monkeypatch):
    # make the temp-file step fail the way a read-only mount does (permissions would not stop root)
    import quayside.files as files

    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    before = tree_digest(project)

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 2 and "Read-only file system" in result.output and "writable" in result.output
    assert tree_digest(project) == before


def test_failed_rename_rolls_back(tmp_path, fail_nth_replace):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / ".dockerignore").write_text("old\n")
    before = tree_digest(project)
    fail_nth_replace(2)
    result = runner.invoke(app, ["init", str(project), "--force"])
    assert result.exit_code == 2 and "rolled back" in result.output
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "3"], "is not a version like 3.12"),
        (["--port", "70000"], "is not a TCP port"),
        (["--workers", "0"], "must be at least 1"),
        (["--forwarded-allow-ips", "proxy.local"], "is not an IP address or network"),
        (["--style", "guide"], None),
    ],
)
def test_bad_options(tmp_path, args, message):
    project = copy_project(FIXTURES / "uv-project", tmp_path)
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert message is None or message in result.output
    assert tree_digest(project) == before


def test_bad_project_via_cli_is_one_message(tmp_path):
    (tmp_path / "main.py").write_text("app = (\n")
    (tmp_path / "requirements.txt").write_text("fastapi[standard]\n")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("error:") == 1 and "main.py: syntax error at line" in result.output
    assert not (tmp_path / "Dockerfile").exists()


def test_proxy_and_workers_reach_the_command():
    plan = build_plan(inspect_project(EXAMPLES / "guide-app"), InitOptions(proxy=Proxy.EXTERNAL, workers=2))
    assert plan.command[-5:] == ("--workers", "2", "--proxy-headers", "--forwarded-allow-ips", plan.decisions["forwarded_allow_ips"].value)
    assert "*" not in plan.command


@pytest.mark.parametrize(("request_args", "message"), [
    ({"python": "3.12"}, r"--python 3.12 contradicts the project: the project's requires-python is '>=3.13'"),
    ({"python": "3.13", "builder_image": "python:3.12-slim"}, "--builder-image python:3.12-slim is Python 3.12"),
    ({"base_image": "docker.io/library/python:3.11.7-slim"}, "--base-image docker.io/library/python:3.11.7-slim is Python 3.11"),
])
def test_versions_that_contradict_the_project_or_each_other_are_refused(tmp_path, request_args, message):
    from quayside.errors import UserInputError
    from quayside.init import InitRequest, plan_init
    from support.projects import write

    root = write(tmp_path / "p", {"pyproject.toml": '[project]\nname = "v"\nversion = "1"\nrequires-python = ">=3.13"\n'
                                                    'dependencies = ["fastapi[standard]"]\n',
                                  "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    with pytest.raises(UserInputError, match=message):
        plan_init(root, InitRequest(**request_args))
    assert plan_init(root, InitRequest(python="3.14")).writes  # allowed by >=3.13


@pytest.mark.parametrize(("requirements", "tool"), [
    ("fastapi[standard]==0.115.0 \\\n    --hash=sha256:00\n", "uv"),  # pip-compile's hashes: uv reads them
    ('fastapi[standard]\nhttpx>=0.27 \\\n    ; python_version >= "3.9"\n', "pip"),  # a marker carried on: pip only
])
def test_uv_installs_requirements_unless_they_use_syntax_only_pip_reads(tmp_path, requirements, tool):
    from quayside.init import InitRequest, plan_init
    from support.projects import write

    root = write(tmp_path / "p", {"requirements.txt": requirements, "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    dockerfile = next(w for w in plan_init(root, InitRequest()).writes if w.name == "Dockerfile").content
    assert (f"    {tool} pip install --python /opt/venv/bin/python -r requirements.txt" in dockerfile) is (tool == "uv")
    assert ("    pip --python /opt/venv/bin/python install -r requirements.txt" in dockerfile) is (tool == "pip")
