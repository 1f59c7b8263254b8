"""Live: secret files next to the code never reach the image. The audit found `id_rsa`, `.npmrc`, `server.key`,
`credentials`, `.envrc` and `dev.db` under `app/` in `/code/app`, with `check` silent. Now `check` names them
(before the .dockerignore exists) and the image built with the generated .dockerignore holds none of them.
The broken variant (the first version's .dockerignore, `.env*` only) shows the test can fail."""

from __future__ import annotations

import uuid

import pytest

from quayside.build import build_image
from quayside.check import run_check
from quayside.engine import docker
from quayside.files import apply_writes, plan_writes
from quayside.inspection import inspect_project
from quayside.plan import InitOptions, build_plan
from quayside.targets.docker import render_files
from support.projects import EXAMPLES, copy_project

pytestmark = pytest.mark.docker

# what each file holds when it is a real secret (fake values): check reads env, PEM and registry files to tell
SECRETS = {
    "app/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-key-for-tests\n-----END OPENSSH PRIVATE KEY-----\n",
    "app/.npmrc": "//registry.npmjs.org/:_authToken=fake-token-for-tests\n",
    "app/server.key": "-----BEGIN PRIVATE KEY-----\nfake-key-for-tests\n-----END PRIVATE KEY-----\n",
    "app/credentials": "[default]\naws_secret_access_key = fake-secret-for-tests\n",
    "app/.envrc": "export API_TOKEN=fake-token-for-tests\n",
    "app/dev.db": "SQLite format 3\n",
    ".pypirc": "[pypi]\nusername = __token__\npassword = fake-token-for-tests\n",
}
# named like secrets, holding none: public settings, a certificate, a public key (the real corpus's false alarms)
NOT_SECRETS = {
    "app/.env.development": "VITE_API_URL=http://localhost:8000\nDEBUG=true\n",
    "app/ca.pem": "-----BEGIN CERTIFICATE-----\nfake-certificate\n-----END CERTIFICATE-----\n",
    "app/repo.gpg.key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\nfake-public-key\n-----END PGP PUBLIC KEY BLOCK-----\n",
    "app/.npmrc.example": "registry=https://registry.npmjs.org/\n",
}
OLD_DOCKERIGNORE = "**/.env\n**/.env.*\n!**/.env.example\n**/.venv\n**/.git\n**/__pycache__\n"


def _project(tmp_path):
    project = copy_project(EXAMPLES / "guide-app", tmp_path)
    for name, content in {**SECRETS, **NOT_SECRETS}.items():
        (project / name).write_text(content)
    return project


def _files_in_image(project, dockerignore: str | None) -> set[str]:
    files = render_files(build_plan(inspect_project(project), InitOptions()))
    if dockerignore is not None:
        files[".dockerignore"] = dockerignore
    apply_writes(plan_writes(project, files, force=True), root=project)
    tag = f"quayside-test/secrets:{uuid.uuid4().hex[:8]}"
    try:
        build_image(project, tag=tag)
        listing = docker.run(["run", "--rm", "--entrypoint", "python", tag, "-c",
                              "import os; [print(os.path.relpath(os.path.join(d, f), '/code')) for d, _, fs in os.walk('/code') for f in fs]"])
        return set(listing.stdout.split())
    finally:
        docker.run(["rmi", "-f", tag], check=False)


def test_check_names_each_secret_file_a_copy_would_include(tmp_path):
    project = _project(tmp_path)
    (project / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /code\n")
    (project / ".dockerignore").unlink(missing_ok=True)
    findings = [f for f in run_check(project).findings if f.rule == "QS017"]
    assert len(findings) == 1
    # named, the first three by path, and counted
    assert ".pypirc (a PyPI credentials file)" in findings[0].message
    assert "app/.envrc (a direnv file)" in findings[0].message
    assert f"and {len(SECRETS) - 3} more" in findings[0].message
    # the same names holding no secret are not counted (the count above would be off) nor named
    assert not any(name in findings[0].message for name in NOT_SECRETS)


def test_secret_files_are_absent_from_the_built_image(tmp_path):
    shipped = _files_in_image(_project(tmp_path), None)
    assert "app/main.py" in shipped  # the listing works
    assert [s for s in SECRETS if s in shipped] == []


def test_broken_variant_with_the_old_dockerignore_ships_them(tmp_path):
    shipped = _files_in_image(_project(tmp_path), OLD_DOCKERIGNORE)
    assert "app/id_rsa" in shipped or "app/server.key" in shipped
