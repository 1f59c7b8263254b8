"""Requirements files in the encodings pip reads: a byte order mark names UTF-16 or UTF-32 (a Windows
`pip freeze > requirements.txt` in PowerShell writes UTF-16 LE, as Suah-Cho/Azure_Backend's was). Without a
mark, bytes that are not UTF-8 text stay refused."""

from __future__ import annotations

import codecs

import pytest

from quayside.errors import UserInputError
from quayside.inspection import inspect_project
from quayside.plan.dockerfile import build_plan
from quayside.plan.options import InitOptions
from quayside.targets.docker import render_dockerfile
from support.projects import write

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
REQUIREMENTS = "fastapi==0.111.0\nuvicorn==0.30.1\npsycopg2==2.9.9\n"


@pytest.mark.parametrize(("mark", "encoding"), [
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF8, "utf-8"),
])
def test_a_marked_encoding_is_read_as_pip_reads_it(tmp_path, mark, encoding):
    root = write(tmp_path / "p", {"main.py": APP})
    (root / "requirements.txt").write_bytes(mark + REQUIREMENTS.replace("\n", "\r\n").encode(encoding))
    info = inspect_project(root)
    assert {d.name for d in info.dependencies.declared} == {"fastapi", "uvicorn", "psycopg2"}
    text = render_dockerfile(build_plan(info, InitOptions()))
    assert "libpq-dev" in text  # psycopg2 from source: read from the UTF-16 file, its build libraries follow


def test_utf16_without_a_mark_is_still_refused(tmp_path):
    root = write(tmp_path / "p", {"main.py": APP})
    (root / "requirements.txt").write_bytes(REQUIREMENTS.encode("utf-16-le"))
    with pytest.raises(UserInputError, match="NUL bytes"):
        inspect_project(root)
