"""A private package index: found in the project's own files, its credentials mounted as a BuildKit secret for
the dependency step only (never an ARG, an ENV, a layer or the log), and proven live against an index behind
basic auth on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quayside.build import parse_secrets
from quayside.buildfailure import explain
from quayside.check import run_check
from quayside.engine import docker
from quayside.errors import UserInputError
from quayside.inspection import privateindex
from support.private_index import PROJECT, VALUE, serve_private_index
from support.projects import write

MAIN = "from fastapi import FastAPI\n\nimport quayside_private_probe\n\napp = FastAPI()\n\n\n@app.get('/probe')\ndef probe():\n    return {'value': quayside_private_probe.VALUE}\n"


@pytest.mark.parametrize(("files", "expected"), [
    ({"requirements.txt": "--extra-index-url https://pkgs.example.com/simple/\nfastapi[standard]\n"},
     [("https://pkgs.example.com/simple/", "requirements.txt:1", False)]),
    ({"requirements.txt": "-r base.txt\n", "base.txt": "-i https://tok:s3cret@gitlab.example.com/api/v4/projects/1/packages/pypi/simple\nfastapi\n"},
     [("https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple", "base.txt:1", True)]),
    ({"requirements.txt": "--index-url https://pypi.org/simple\n--extra-index-url ${PRIVATE_URL}\nfastapi\n"}, []),
    ({"pyproject.toml": '[project]\nname = "a"\ndependencies = ["fastapi"]\n[[tool.uv.index]]\nname = "corp"\nurl = "https://corp.example.com/simple"\n'},
     [("https://corp.example.com/simple", "pyproject.toml [[tool.uv.index]]", False)]),
    ({"pyproject.toml": '[tool.poetry]\nname = "a"\n[[tool.poetry.source]]\nname = "corp"\nurl = "http://10.0.0.5:8080/simple/"\n'},
     [("http://10.0.0.5:8080/simple/", "pyproject.toml [[tool.poetry.source]]", False)]),
    ({"pyproject.toml": '[project]\nname = "a"\n[[tool.pdm.source]]\nname = "pypi"\nurl = "https://pypi.org/simple"\n'}, []),
], ids=["requirements-extra", "included-inline-credentials", "public-and-env", "uv-index", "poetry-source", "pdm-pypi"])
def test_private_indexes_are_read_from_the_project(tmp_path, files, expected):
    import tomllib

    root = write(tmp_path / "p", files)
    pyproject = tomllib.loads(files["pyproject.toml"]) if "pyproject.toml" in files else None
    dependency_files = tuple(name for name in files if name.endswith(".txt"))
    found = privateindex.detect(root, pyproject, dependency_files)
    assert [(i.url, i.origin, i.inline_credentials) for i in found] == expected
    assert all("s3cret" not in i.url for i in found)


@pytest.mark.parametrize("files", [
    {"requirements.txt": "--extra-index-url https://pkgs.example.com/simple/\nfastapi[standard]\n", "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
    {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndependencies = ["fastapi[standard]"]\n[[tool.uv.index]]\nname = "corp"\nurl = "https://corp.example.com/simple"\n',
     "uv.lock": 'version = 1\nrequires-python = ">=3.12"\n', "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
], ids=["requirements", "uv"])
@pytest.mark.parametrize("style", ["production", "uv", "guide", "multistage"])
def test_init_mounts_the_netrc_secret_and_the_result_passes_check(tmp_path, files, style):
    if style in ("guide", "multistage") and "uv.lock" in files:
        pytest.skip("the guide's styles install requirements files")
    root = write(tmp_path / "p", files)
    proc = subprocess.run([sys.executable, "-m", "quayside", "init", str(root), "--style", style], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    dockerfile = (root / "Dockerfile").read_text()
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in dockerfile
    assert "quayside build --secret netrc=~/.netrc" in dockerfile
    result = run_check(root)
    assert [(f.rule, f.message) for f in result.findings] == []


def test_secrets_on_the_command_line(tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine x login a password b\n")
    assert parse_secrets([f"netrc={netrc}"]) == {"netrc": netrc.resolve()}
    for bad in ["netrc", f"bad id={netrc}", "netrc=", f"netrc={tmp_path / 'missing'}"]:
        with pytest.raises(UserInputError):
            parse_secrets([bad])


def test_a_401_from_the_index_gets_the_secret_hint():
    output = ("#9 [builder 4/6] RUN uv pip install -r requirements.txt\n"
              "#9 0.8 error: Failed to fetch: `http://127.0.0.1:5000/simple/fastapi/`\n"
              "#9 0.8   Caused by: HTTP status client error (401 Unauthorized) for url (http://127.0.0.1:5000/simple/fastapi/)\n"
              "#9 ERROR: process did not complete successfully: exit code: 2\n")
    _, hint = explain(output)
    assert hint is not None and "--secret netrc=~/.netrc" in hint


def _leaks(tag: str, password: str) -> list[str]:
    """Where the password appears in an image: its history and config, or any file of its filesystem."""
    found = []
    history = docker.run(["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag], timeout=60).stdout
    config = docker.run(["image", "inspect", tag], timeout=60).stdout
    if password in history or password in config:
        found.append("history/config")
    files = docker.run(["run", "--rm", "--user", "0", "--entrypoint", "sh", tag, "-c",
                        f"grep -rlF {password} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null || true"],
                       timeout=120).stdout.split()
    return found + files


@pytest.mark.docker
def test_live_a_private_index_builds_with_the_secret_and_the_image_keeps_no_credentials(tmp_path):
    with serve_private_index() as index:
        root = write(tmp_path / "private-app", {
            "requirements.txt": f"--extra-index-url {index.url}\nfastapi[standard]>=0.115\n{PROJECT}==1.0\n",
            "main.py": MAIN,
        })
        (tmp_path / "netrc").write_text(index.netrc())
        run = [sys.executable, "-m", "quayside"]
        assert subprocess.run([*run, "init", str(root)], capture_output=True, text=True, timeout=120, check=False).returncode == 0
        tag = "quayside-test/private-index:1"
        try:
            refused = subprocess.run([*run, "build", str(root), "-t", tag, "--network", "host"],
                                     capture_output=True, text=True, timeout=900, check=False)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert "401" in refused.stderr and "--secret netrc=~/.netrc" in refused.stderr
            assert any(status == 401 for _, status in index.requests)

            proved = subprocess.run([*run, "verify", str(root), "-t", tag, "--network", "host",
                                     "--secret", f"netrc={tmp_path / 'netrc'}", "--expect", f'/probe={{"value":"{VALUE}"}}'],
                                    capture_output=True, text=True, timeout=1800, check=False)
            output = proved.stdout + proved.stderr
            assert proved.returncode == 0, output
            assert (f"/simple/{PROJECT}/", 200) in index.requests or (f"/simple/{PROJECT}", 200) in index.requests
            assert index.password not in output
            assert _leaks(tag, index.password) == []

            # the detector can fail: the classic mistake, the netrc copied into the image, is found
            broken = write(tmp_path / "broken", {"Dockerfile": "FROM python:3.12-slim\nCOPY netrc /root/.netrc\n", "netrc": index.netrc()})
            docker.run(["buildx", "build", "--load", "-t", "quayside-test/private-index-broken:1", str(broken)], timeout=600)
            assert _leaks("quayside-test/private-index-broken:1", index.password) == ["/root/.netrc"]
        finally:
            docker.run(["rmi", "-f", tag, "quayside-test/private-index-broken:1"], check=False)


def test_a_poetry_source_is_named_to_the_installer_that_reads_the_lock(tmp_path):
    from support.projects import FIXTURES, copy_project

    root = copy_project(FIXTURES / "poetry-project", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[[tool.poetry.source]]\nname = "corp"\nurl = "https://corp.example.com/simple/"\npriority = "supplemental"\n')
    proc = subprocess.run([sys.executable, "-m", "quayside", "init", str(root)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    dockerfile = (root / "Dockerfile").read_text()
    assert "-r /tmp/requirements.txt --extra-index-url https://corp.example.com/simple/\n" in dockerfile
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in dockerfile
    assert [(f.rule, f.message) for f in run_check(root).findings] == []
