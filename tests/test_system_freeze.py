"""A requirements.txt frozen from a Debian/Ubuntu system Python (hectoresen/FastAPI_example): the image installs
what the code imports, its server and what libraries load, at the freeze's versions, never the system's packages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quayside.engine import docker
from quayside.inspection import systemfreeze
from quayside.inspection.dependencies import detect
from support.projects import FIXTURES, copy_project, verified_image

SYSTEM = "command-not-found==0.3\npython-apt==2.4.0+ubuntu3\n"

# id, requirements, imports, chosen, imported but not declared
FIX = [
    ("pins", SYSTEM + "fastapi==0.115.2\nuvicorn==0.31.1\nawscli==1.22.34\n", {"fastapi"},
     ("fastapi==0.115.2", "uvicorn==0.31.1"), ()),
    ("import names", SYSTEM + "python-dotenv==1.0.1\nPyYAML==5.4.1\nPyJWT==2.3.0\nfastapi==0.115.2\n",
     {"dotenv", "jwt", "fastapi", "os"}, ("fastapi==0.115.2", "PyJWT==2.3.0", "python-dotenv==1.0.1"), ()),
    ("loaded by libraries", SYSTEM + "fastapi==0.115.2\npython-multipart==0.0.12\nJinja2==3.1.4\ndbus-python==1.2.18\n",
     {"fastapi"}, ("fastapi==0.115.2", "Jinja2==3.1.4", "python-multipart==0.0.12"), ()),
    ("ranges and extras as written", "distro-info==1.1+ubuntu0.2\nfastapi[standard]>=0.115\n", {"fastapi"},
     ("fastapi[standard]>=0.115",), ()),
    ("own modules and the standard library", SYSTEM + "fastapi==0.115.2\n", {"fastapi", "json", "controllers", "__future__"},
     ("fastapi==0.115.2",), ()),
    ("not declared", SYSTEM + "fastapi==0.115.2\n", {"fastapi", "psutil"}, ("fastapi==0.115.2",), ("psutil",)),
    ("a system package the code imports", SYSTEM + "fastapi==0.115.2\n", {"fastapi", "apt"}, ("fastapi==0.115.2",), ()),
]

# id, requirements: no system Python's freeze
NOOP = [
    ("a virtualenv's freeze", "fastapi==0.115.2\nuvicorn==0.31.1\n"),
    ("a system name without a pin", "fastapi\ndistro-info\n"),
    ("empty", ""),
]


@pytest.mark.parametrize(("requirements", "imports", "chosen", "missing"), [row[1:] for row in FIX], ids=[row[0] for row in FIX])
def test_what_the_image_installs_from_a_system_freeze(requirements, imports, chosen, missing):
    frozen = systemfreeze.read(requirements, frozenset(imports), frozenset({"controllers"}))
    assert frozen is not None
    assert frozen.chosen == chosen
    assert frozen.not_pinned == missing
    assert not set(frozen.requirements.splitlines()) & {"command-not-found==0.3", "python-apt==2.4.0+ubuntu3"}


@pytest.mark.parametrize("requirements", [row[1] for row in NOOP], ids=[row[0] for row in NOOP])
def test_other_requirements_are_no_system_freeze(requirements):
    assert systemfreeze.read(requirements, frozenset({"fastapi"}), frozenset()) is None


def test_the_freeze_constrains_what_they_bring_unless_pip_cannot_read_it_so():
    plain = systemfreeze.read(SYSTEM + "fastapi==0.115.2\nanyio==4.6.0\n", frozenset({"fastapi"}), frozenset())
    assert plain is not None and plain.requirements.splitlines()[5:] == ["-c requirements.txt", "fastapi==0.115.2"]
    for line in ("-e git+https://example.invalid/x.git#egg=x", "certifi @ file:///tmp/certifi", "fastapi[all]==0.1"):
        mixed = systemfreeze.read(SYSTEM + "fastapi==0.115.2\n" + line + "\n", frozenset({"fastapi"}), frozenset())
        assert mixed is not None and not mixed.constrains and "-c requirements.txt" not in mixed.requirements, line


def test_the_import_table_is_what_finds_a_renamed_distribution(monkeypatch):
    """The broken variant: without the table, `import PIL` finds no Pillow (no `python-`/`py` form of it)."""
    requirements = SYSTEM + "Pillow==9.0.1\nfastapi==0.115.2\n"
    frozen = systemfreeze.read(requirements, frozenset({"PIL", "fastapi"}), frozenset())
    assert frozen is not None and frozen.chosen == ("fastapi==0.115.2", "Pillow==9.0.1")
    monkeypatch.setattr(systemfreeze, "IMPORT_TO_DISTRIBUTION", {})
    frozen = systemfreeze.read(requirements, frozenset({"PIL", "fastapi"}), frozenset())
    assert frozen is not None and frozen.not_pinned == ("PIL",) and frozen.chosen == ("fastapi==0.115.2",)


def test_inspect_plans_the_imports_file(tmp_path):
    project = copy_project(FIXTURES / "system-freeze", tmp_path)
    deps = detect(project, None)
    assert deps.files == ("requirements.imports.txt", "requirements.txt")
    assert deps.written_requirements is not None
    assert deps.written_requirements.splitlines()[5:] == [
        "-c requirements.txt", "fastapi==0.115.2", "python-dotenv==1.0.1", "uvicorn==0.31.1"]
    assert "pip freeze of a system Python" in deps.installer.reason and "command-not-found==0.3" in deps.installer.reason
    assert {d.name for d in deps.declared} == {"fastapi", "python-dotenv", "uvicorn"}


def test_init_writes_it_and_check_finds_nothing(tmp_path):
    project = copy_project(FIXTURES / "system-freeze", tmp_path)
    run = [sys.executable, "-m", "quayside"]
    assert subprocess.run([*run, "init", str(project)], capture_output=True, check=False, timeout=120).returncode == 0
    assert (project / "requirements.imports.txt").read_text().startswith("# Written by quayside init")
    assert "-r requirements.imports.txt" in (project / "Dockerfile").read_text()
    proc = subprocess.run([*run, "check", str(project)], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and "0 findings" in proc.stdout, proc.stdout + proc.stderr


def test_a_freeze_that_declares_nothing_the_code_imports_is_one_clear_error(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (project / "requirements.txt").write_text(SYSTEM + "awscli==1.22.34\n")
    proc = subprocess.run([sys.executable, "-m", "quayside", "init", str(project)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 2 and "declares nothing the code imports" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and sorted(p.name for p in project.iterdir()) == ["main.py", "requirements.txt"]


@pytest.mark.docker
def test_live_a_system_freeze_builds_what_the_app_imports_and_passes_verify(tmp_path):
    """Green with requirements.imports.txt; the broken variant installs the freeze as it is, which cannot be built,
    and the build's hint names the freeze."""
    project = copy_project(FIXTURES / "system-freeze", tmp_path)
    with verified_image(project, "quayside-test/system-freeze:1", '/health={"status":"ok"}') as tag:
        listed = docker.run(["run", "--rm", "--entrypoint", "python", tag, "-c",
                             "import importlib.metadata as m; print(sorted(d.metadata['Name'].lower() for d in m.distributions()))"],
                            timeout=60).stdout
        assert "python-dotenv" in listed and "pyyaml" not in listed and "dbus-python" not in listed, listed
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace("-r requirements.imports.txt", "-r requirements.txt"))
        proc = subprocess.run([sys.executable, "-m", "quayside", "build", str(project), "-t", tag],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode != 0 and "is a pip freeze of a system Python" in proc.stderr, proc.stderr


def test_the_files_a_freeze_includes_reach_the_build(tmp_path):
    """`-c requirements.txt` reads what it includes: those files are bound into the install step too."""
    from support.projects import write

    project = write(tmp_path / "p", {"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
                                     "requirements.txt": "-r base.txt\ncommand-not-found==0.3\n",
                                     "base.txt": "fastapi==0.115.2\nuvicorn==0.31.1\n"})
    deps = detect(project, None)
    assert deps.files == ("requirements.imports.txt", "requirements.txt", "base.txt")
    assert deps.written_requirements is not None and "-c requirements.txt" in deps.written_requirements
