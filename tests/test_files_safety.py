"""A user's project is precious: writes stay inside it, respect its modes, hide its secrets, and are all or
nothing even when interrupted or killed. Each guard here is also shown failing against a broken variant."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quayside import files
from quayside.cli import app
from quayside.errors import UserInputError
from support.projects import EXAMPLES, copy_project, tree_digest

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- symlinks and odd files ------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", ["nginx", "k8s", "deploy"])
def test_a_symlinked_folder_leading_out_is_refused(tmp_path, linked):
    outside = tmp_path / "outside"
    outside.mkdir()
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / linked).symlink_to(outside, target_is_directory=True)
    target = {"nginx": ["--target", "compose", "--proxy", "nginx"], "k8s": ["--target", "kubernetes"],
              "deploy": ["--target", "ecs"]}[linked]
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), *target, "--force"])
    assert result.exit_code == 2, result.output
    assert "leads out of the project" in result.output
    assert list(outside.iterdir()) == []
    assert tree_digest(project) == before


def test_a_symlinked_file_leading_out_is_neither_shown_nor_replaced(tmp_path):
    outside = tmp_path / "outside-Dockerfile"
    outside.write_text("FROM scratch\n# the outside file's private content\n")
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "Dockerfile").symlink_to(outside)
    for extra in ([], ["--force"], ["--dry-run"]):
        result = runner.invoke(app, ["init", str(project), *extra])
        assert result.exit_code == 2, result.output
        assert "private content" not in result.output
    assert outside.read_text() == "FROM scratch\n# the outside file's private content\n"


def test_a_symlink_inside_the_project_is_written_through(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "docker").mkdir()
    (project / "Dockerfile").symlink_to(project / "docker" / "Dockerfile")
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert (project / "Dockerfile").is_symlink()
    assert (project / "docker" / "Dockerfile").read_text().startswith("# syntax") or "FROM" in (project / "docker" / "Dockerfile").read_text()


def test_a_fifo_where_a_file_goes_is_refused_without_blocking(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    os.mkfifo(project / "Dockerfile")
    # a read would block forever: the test has a timeout through the subprocess
    proc = subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_huge_existing_file_is_not_read(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    with (project / "Dockerfile").open("wb") as handle:
        handle.truncate(6 * 1024**3)  # sparse: 6 GiB that would exhaust memory if read
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 2
    assert "too large" in result.output


# --- modes and secrets -----------------------------------------------------------------------------------


def test_env_is_0600_and_kept_out_of_git(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    assert _mode(project / ".env") == 0o600
    assert ".env" in (project / ".gitignore").read_text().splitlines()


def test_gitignore_is_appended_never_reordered(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / ".gitignore").write_text("# mine\nbuild/\n*.log")
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    assert (project / ".gitignore").read_text() == "# mine\nbuild/\n*.log\n.env\n"
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    assert (project / ".gitignore").read_text() == "# mine\nbuild/\n*.log\n.env\n"


def test_a_utf16_gitignore_is_named_and_left_as_it_is(tmp_path):
    """Suyash-Rajput/CRUD saved its .gitignore as UTF-16 (git matches none of its patterns): init cannot add
    `.env` to it, says so with the fix, and writes nothing at all."""
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    mine = "\ufeff.env\n__pycache__/\n".encode("utf-16-le")
    (project / ".gitignore").write_bytes(mine)
    before = tree_digest(project)
    result = runner.invoke(app, ["init", str(project), "--target", "compose"])
    assert result.exit_code == 2
    assert "saved as UTF-16" in result.output and "save it as UTF-8" in result.output, result.output
    assert tree_digest(project) == before and (project / ".gitignore").read_bytes() == mine


def test_new_files_follow_the_umask_and_the_secret_stays_0600(tmp_path):
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    previous = os.umask(0o077)
    try:
        assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    finally:
        os.umask(previous)
    assert _mode(project / "compose.yaml") == 0o600
    assert _mode(project / "Dockerfile") == 0o600
    assert _mode(project / ".env") == 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    (project / "Dockerfile").write_text("FROM python:3.12\n")
    (project / "Dockerfile").chmod(0o640)
    assert runner.invoke(app, ["init", str(project), "--force"]).exit_code == 0
    assert _mode(project / "Dockerfile") == 0o640


def test_broken_variant_forcing_0644_would_expose_env(tmp_path, monkeypatch):
    """The guard above can fail: with the mode forced as the first version did, .env is world-readable."""
    monkeypatch.setattr(files, "_mode_for", lambda p: 0o644)
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    assert runner.invoke(app, ["init", str(project), "--target", "compose"]).exit_code == 0
    assert _mode(project / ".env") != 0o600


# --- all or nothing under interrupts ---------------------------------------------------------------------


def _compose_project(tmp_path: Path) -> Path:
    project = copy_project(EXAMPLES / "items-service", tmp_path)
    (project / "Dockerfile").write_text("FROM python:3.12\n# the user's own\n")
    return project


@pytest.mark.parametrize("step", range(1, 8))
def test_an_interrupt_at_any_rename_leaves_the_project_as_it_was(tmp_path, monkeypatch, step):
    project = _compose_project(tmp_path)
    before = tree_digest(project)
    real = os.replace
    calls = {"n": 0}

    def interrupted(src, dst):
        calls["n"] += 1
        if calls["n"] == step:
            raise KeyboardInterrupt
        return real(src, dst)

    plan = _plan(project)
    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.apply_writes(plan, root=project)
    assert tree_digest(project) == before


def test_broken_variant_without_rollback_leaves_a_partial_change(tmp_path, monkeypatch):
    """The interrupt test can fail: with the rollback disabled, an interrupt at the third rename leaves a mix."""
    project = _compose_project(tmp_path)
    before = tree_digest(project)
    real, calls = os.replace, {"n": 0}

    def interrupted(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(src, dst)

    plan = _plan(project)
    monkeypatch.setattr(files.os, "replace", interrupted)
    monkeypatch.setattr(files, "_roll_back", lambda entries, made: None)
    with pytest.raises(KeyboardInterrupt):
        files.apply_writes(plan, root=project)
    assert tree_digest(project) != before


def _plan(project: Path) -> list[files.PlannedWrite]:
    from quayside.init import InitRequest, plan_init
    from quayside.plan.options import Target

    init = plan_init(project, InitRequest(target=Target.COMPOSE, force=True))
    return init.writes + init.create_only


_KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from quayside import files
    from quayside.init import InitRequest, plan_init
    from quayside.plan.options import Target

    project, step = Path(sys.argv[1]), int(sys.argv[2])
    real, calls = os.replace, {"n": 0}
    def killed(src, dst):
        calls["n"] += 1
        if calls["n"] == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(src, dst)
    files.os.replace = killed
    init = plan_init(project, InitRequest(target=Target.COMPOSE, force=True))
    files.apply_writes(init.writes + init.create_only, root=project)
""")


@pytest.mark.parametrize("step", [1, 3, 6])
def test_a_killed_run_is_rolled_back_by_the_next_one(tmp_path, step):
    project = _compose_project(tmp_path)
    before = tree_digest(project)
    proc = subprocess.run([sys.executable, "-c", _KILLER, str(project), str(step)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (project / files.JOURNAL).exists()
    assert tree_digest(project) != before  # half done: some files were replaced
    assert files.recover(project) is True
    assert tree_digest(project) == before


def test_sigint_during_the_renames_waits_until_they_are_done(tmp_path):
    """A real SIGINT sent while the renames run is held back: the change completes, then the interrupt lands."""
    project = _compose_project(tmp_path)
    script = textwrap.dedent("""
        import os, signal, sys
        from pathlib import Path
        from quayside import files
        from quayside.init import InitRequest, plan_init
        from quayside.plan.options import Target
        # Python's own handler, as in a terminal: a shell that starts this test in the background (no job
        # control) hands it SIGINT ignored, and an ignored signal is discarded however it was held
        signal.signal(signal.SIGINT, signal.default_int_handler)
        project = Path(sys.argv[1])
        real, calls = os.replace, {"n": 0}
        def slow(src, dst):
            calls["n"] += 1
            if calls["n"] == 2:
                os.kill(os.getpid(), signal.SIGINT)
            return real(src, dst)
        files.os.replace = slow
        init = plan_init(project, InitRequest(target=Target.COMPOSE, force=True))
        try:
            files.apply_writes(init.writes + init.create_only, root=project)
        except KeyboardInterrupt:
            print("the interrupt landed after", calls["n"], "renames")
            raise
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0, proc.stdout  # the interrupt is not lost: it lands once the change is complete
    assert "the interrupt landed after" in proc.stdout, proc.stdout + proc.stderr
    assert not (project / files.JOURNAL).exists()
    assert "Generated by quayside" in (project / "Dockerfile").read_text()
    assert (project / "compose.yaml").is_file()
    assert not list(project.rglob("*.quayside-tmp"))


def test_orphaned_staged_files_are_cleaned_on_the_next_run(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    orphan = project / ".Dockerfile.abc123.quayside-tmp"
    orphan.write_text("half")
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert not orphan.exists()


def test_paths_outside_the_project_are_refused(tmp_path):
    with pytest.raises(UserInputError):
        files.inside(tmp_path, "../escape")
    with pytest.raises(UserInputError):
        files.inside(tmp_path, "/etc/passwd")


def test_a_live_runs_journal_is_not_rolled_back_by_another_run(tmp_path):
    """Run A holds the project lock while its journal exists (it just renamed Dockerfile in); run B, planning
    meanwhile, waits for A instead of taking A's journal for a killed run's and deleting A's new file. The
    concurrent-inits test once failed this way under load; this makes the interleaving certain."""
    import threading

    from quayside.files import JOURNAL, plan_writes, project_lock

    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    journal = {"files": [{"target": str(tmp_path / "Dockerfile"), "tmp": str(tmp_path / ".Dockerfile.x.quayside-tmp"), "backup": None}],
               "made_dirs": []}
    (tmp_path / JOURNAL).write_text(json.dumps(journal))
    holding, finish = threading.Event(), threading.Event()

    def run_a() -> None:
        with project_lock(tmp_path):
            holding.set()
            finish.wait(10)
            (tmp_path / JOURNAL).unlink()  # A is done

    owner = threading.Thread(target=run_a)
    owner.start()
    assert holding.wait(10)
    threading.Timer(0.3, finish.set).start()
    planned = plan_writes(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n"}, force=False)
    owner.join(10)
    assert (tmp_path / "Dockerfile").read_text() == "FROM python:3.12-slim\n"
    assert [p.change.value for p in planned] == ["unchanged"]
