"""The examples behave as the FastAPI guide's app: checked in-process here, and in containers by test_live."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from fastapi.testclient import TestClient

from support.projects import EXAMPLES


def _load(example: str, module_file: str, module_name: str):
    root = EXAMPLES / example
    sys.path.insert(0, str(root))
    try:
        spec = importlib.util.spec_from_file_location(module_name, root / module_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.app
    finally:
        sys.path.remove(str(root))


@pytest.mark.parametrize(("example", "module_file"), [("guide-app", "app/main.py"), ("guide-single-file", "main.py")])
def test_guide_endpoints(example, module_file):
    client = TestClient(_load(example, module_file, f"quayside_example_{example.replace('-', '_')}"))
    assert client.get("/").json() == {"Hello": "World"}
    assert client.get("/items/5", params={"q": "test"}).json() == {"item_id": 5, "q": "test"}
    assert client.get("/items/5").json() == {"item_id": 5, "q": None}
    assert client.get("/items/five").status_code == 422
    assert client.get("/docs").status_code == 200 and client.get("/redoc").status_code == 200
