"""`quayside check` started without typer (quayside.checkcli): the same options, output and exit codes as the
typer command, which it falls back to for anything it does not handle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from quayside.checkcli import FLAG_OPTIONS, LIST_OPTIONS, VALUE_OPTIONS, parse_fast, run_fast
from quayside.cli import app
from support.projects import write

MESSY = {"Dockerfile": "FROM python AS base\nRUN pip install fastapi\nFROM base\nCOPY . /code\nCMD uvicorn main:app --reload\n",
         "docker-compose.yml": "services:\n  app:\n    build: .\n    ports: ['8000:8000']\n"}
FALLBACK_ONLY = {"--list-rules", "--explain", "--help"}


def _quayside(args: list[str], *, fast: bool, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QUAYSIDE_NO_FAST_PATH"}
    if not fast:
        env["QUAYSIDE_NO_FAST_PATH"] = "1"
    # typer in sys.modules at exit tells which path ran
    probe = ("import atexit, sys; atexit.register(lambda: print('TYPER' if 'typer' in sys.modules else 'FAST', file=sys.stderr)); "
             "sys.argv = ['quayside', *sys.argv[1:]]; from quayside.entry import main; main()")
    proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_fast_path_reads_every_option_the_command_has():
    check = typer.main.get_command(app).commands["check"]  # type: ignore[attr-defined]
    typer_options = {opt for param in check.params for opt in param.opts if opt.startswith("--")}
    fast_options = {*VALUE_OPTIONS, *LIST_OPTIONS, *FLAG_OPTIONS}
    assert typer_options - FALLBACK_ONLY == fast_options


@pytest.mark.parametrize("args", [
    ["check", "{p}"],
    ["check", "{p}", "--format", "json"],
    ["check", "{p}", "--format=sarif"],
    ["check", "{p}", "--fail-on", "error", "--select", "QS005,QS009"],
    ["check", "{p}", "--ignore", "QS002", "--ignore", "QS022", "--profile", "production"],
    ["check", "{p}/Dockerfile", "{p}/docker-compose.yml"],
    ["check", "{p}", "--diff"],
    ["check", "{p}", "--diff", "--unsafe-fixes"],
    ["check", "{p}/missing"],
    ["check", "{p}", "--select", "QS999"],
    ["check", "{p}", "--fix", "--diff"],
    ["check", "{p}", "--target", "base", "--format", "json"],
    ["check", "{p}", "--target", "nope"],
], ids=["text", "json", "sarif", "select-fail-on", "ignore-profile", "two-files", "diff", "diff-unsafe", "missing-path",
        "unknown-rule", "fix-and-diff", "target", "unknown-target"])
def test_both_paths_print_the_same_and_exit_the_same(tmp_path, args):
    project = write(tmp_path / "p", MESSY)
    argv = [a.replace("{p}", str(project)) for a in args]
    code, out, err = _quayside(argv, fast=True, cwd=tmp_path)
    code_typer, out_typer, err_typer = _quayside(argv, fast=False, cwd=tmp_path)
    assert err.endswith("FAST\n") and err_typer.endswith("TYPER\n")
    assert (code, out, err.removesuffix("FAST\n")) == (code_typer, out_typer, err_typer.removesuffix("TYPER\n"))


def test_fix_writes_the_same_files_on_both_paths(tmp_path):
    fast, slow = write(tmp_path / "fast", MESSY), write(tmp_path / "slow", MESSY)
    assert _quayside(["check", str(fast), "--fix"], fast=True, cwd=tmp_path)[0] == _quayside(["check", str(slow), "--fix"], fast=False, cwd=tmp_path)[0]
    assert (fast / "Dockerfile").read_text() == (slow / "Dockerfile").read_text() != MESSY["Dockerfile"]


@pytest.mark.parametrize("args", [["check", "--help"], ["check", "--list-rules"], ["check", "--explain", "QS001"], ["check", ".", "--format", "yaml"],
                                  ["check", ".", "--bogus"], ["inspect", "."], ["--version"], []])
def test_anything_else_goes_to_the_typer_command(args, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert run_fast(args) is None


def test_a_terminal_gets_the_typer_command_with_its_colours(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_fast(["check", str(tmp_path)]) is None


@pytest.mark.parametrize(("args", "expected"), [
    (["Dockerfile"], {"paths": [Path("Dockerfile")]}),
    (["a", "--format=json", "b", "--fail-on", "error"], {"paths": [Path("a"), Path("b")], "output_format": "json", "fail_on": "error"}),
    (["--select", "QS001", "--select=QS002,QS003", "--ignore", "QS022"], {"select": ["QS001", "QS002,QS003"], "ignore": ["QS022"]}),
    (["--fix", "--unsafe-fixes", "--target", "prod"], {"fix": True, "unsafe_fixes": True, "target": ["prod"]}),
    (["--", "--fix", "-"], {"paths": [Path("--fix"), Path("-")]}),
    (["--format"], None),  # no value: typer says so
    (["--format", "yaml"], None),  # not a format: typer lists the choices
    (["--fix=yes"], None),
    (["-q"], None),
    (["--bogus", "x"], None),
], ids=["path", "values", "repeatable", "flags", "double-dash", "missing-value", "bad-choice", "flag-value", "short", "unknown"])
def test_the_fast_path_reads_arguments_as_click_does_or_hands_over(args, expected):
    options = parse_fast(args)
    if expected is None:
        assert options is None
    else:
        assert options is not None
        got = {k: getattr(options, k) for k in expected}
        assert got == expected
