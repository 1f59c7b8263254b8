"""The project's own Dockerfile's ENV settings that the app reads, kept in the image quayside writes."""

from __future__ import annotations

import pytest

from quayside.inspection import inspect_project
from quayside.inspection.appsettings import read_app_settings
from quayside.inspection.dockerenv import carried_settings
from quayside.plan.dockerfile import build_plan
from quayside.plan.options import InitOptions
from quayside.targets.docker import render_dockerfile
from support.projects import write

APP = """import os

from fastapi import FastAPI

MODE = os.getenv("DOCKER")
ENVIRONMENT = os.environ.get("ENVIRONMENT", "dev")
SECRET_KEY = os.getenv("SECRET_KEY")
DATABASE_URL = os.getenv("DATABASE_URL")
PORT = os.getenv("PORT")
PATH = os.getenv("PATH")
app = FastAPI()
"""


def _carried(tmp_path, files):
    root = write(tmp_path / "p", {"main.py": APP, "requirements.txt": "fastapi[standard]\n", **files})
    return {c.name: (c.value, c.dockerfile) for c in carried_settings(root, read_app_settings(root))}


@pytest.mark.parametrize(("files", "expected"), [
    ({"Dockerfile": "FROM python:3.8\nENV DOCKER=true\nENV ENVIRONMENT production\n"},
     {"DOCKER": ("true", "Dockerfile"), "ENVIRONMENT": ("production", "Dockerfile")}),  # both ENV forms
    ({"Dockerfile": "FROM python:3.8\nENV UNREAD=1 DOCKER=1\n"}, {"DOCKER": ("1", "Dockerfile")}),  # read by the code only
    ({"Dockerfile": "FROM python:3.8\nENV SECRET_KEY=s3cr3t-value\n"}, {}),  # a secret: never baked
    ({"Dockerfile": "FROM python:3.8\nENV DATABASE_URL=postgresql://app:hunter2@db/app\n"}, {}),  # a password in a URL
    ({"Dockerfile": "FROM python:3.8\nENV PORT=80 PATH=/x:$PATH\n"}, {}),  # the image's machinery
    ({"Dockerfile": "FROM python:3.8\nENV ENVIRONMENT=\"two words\"\n"}, {}),  # not plain text
    ({"Dockerfile": "FROM python:3.8 AS build\nENV DOCKER=build\nFROM python:3.8-slim\nENV ENVIRONMENT=prod\n"},
     {"ENVIRONMENT": ("prod", "Dockerfile")}),  # the final stage's only
    ({"worker/Dockerfile": "FROM python:3.8\nENV DOCKER=true\n"}, {"DOCKER": ("true", "worker/Dockerfile")}),
    ({"Dockerfile": "FROM python:3.8\nENV DOCKER=root\n", "worker/Dockerfile": "FROM python:3.8\nENV DOCKER=worker\n"},
     {"DOCKER": ("root", "Dockerfile")}),  # the root one wins
    ({}, {}),
], ids=["both-forms", "read-only", "secret", "url-password", "machinery", "not-plain", "final-stage", "subfolder",
        "root-wins", "none"])
def test_what_is_carried(tmp_path, files, expected):
    assert _carried(tmp_path, files) == expected


def test_the_generated_dockerfile_keeps_them_and_init_again_keeps_them_too(tmp_path):
    root = write(tmp_path / "p", {"main.py": APP, "requirements.txt": "fastapi[standard]\n",
                                  "Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.8\nENV PORT 80\nENV DOCKER=true\n"})
    first = render_dockerfile(build_plan(inspect_project(root), InitOptions()))
    # the old image's port is its machinery, not carried: PORT is the port this image's server listens on
    assert "\nENV DOCKER=true\n" in first and "PORT=80\n" not in first and "\nENV PORT=8000\n" in first
    (root / "Dockerfile").write_text(first)
    assert render_dockerfile(build_plan(inspect_project(root), InitOptions())) == first


@pytest.mark.parametrize(("code", "options", "port"), [
    # source-builder/python-fastapi: `port = int(getEnv("PORT"))` at import, through a getter of its own
    ("import os\ndef getEnv(key):\n    return os.getenv(key)\nport = int(getEnv('PORT'))\n", InitOptions(), "8000"),
    ("import os\nport = int(os.environ['PORT'])\n", InitOptions(port=9000), "9000"),
    ("import os\nhost = os.getenv('HOST')\n", InitOptions(), None),  # PORT unread: the image leaves it unset
])
def test_the_image_gives_port_to_code_that_reads_it(tmp_path, code, options, port):
    from quayside.check import run_check

    root = write(tmp_path / "p", {"main.py": "from fastapi import FastAPI\n" + code + "app = FastAPI()\n",
                                  "requirements.txt": "fastapi[standard]\n"})
    dockerfile = render_dockerfile(build_plan(inspect_project(root), options))
    assert (f"\nENV PORT={port}\n" in dockerfile) is (port is not None)
    assert dockerfile.count("PORT=") == (1 if port else 0)
    if port is not None:
        assert f'"--port", "{port}"' in dockerfile  # the same port the server is told
    (root / "Dockerfile").write_text(dockerfile)
    assert [f for f in run_check(root).findings if f.path == "Dockerfile"] == []
