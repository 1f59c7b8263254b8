"""Each rule: its documented examples, cases it must not flag, cases it must flag (with the line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quayside.check import run_check
from quayside.check.model import RULES

APP = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {}\n"
REQ = "fastapi[standard]\n"
EXEC = 'CMD ["fastapi", "run", "main.py"]\n'


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def lines_for(root: Path, rule: str) -> list[int]:
    return [f.line for f in run_check(root).findings if f.rule == rule]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_documented_examples(tmp_path, rule_id):
    rule = RULES[rule_id]
    assert lines_for(write(tmp_path / "bad", rule.bad), rule_id), f"{rule_id} does not flag its own bad example"
    assert not lines_for(write(tmp_path / "good", rule.good), rule_id), f"{rule_id} flags its own good example"
    assert rule.doc() and "## Why" in rule.doc()


FLAG = [
    # (rule, files, expected lines)
    ("QS000", {"Dockerfile": "RUN echo hi\nFROM python:3.12\n"}, [1]),
    ("QS000", {"Dockerfile": "FROM python:3.12\nRUN <<EOF\necho never closed\n"}, [2]),
    ("QS000", {"Dockerfile": "# escape=x\nFROM python:3.12\n"}, [1]),
    ("QS000", {"Dockerfile": ""}, [1]),
    ("QS000", {"Dockerfile": "FROM python:3.12\n", "compose.yaml": "services:\n  app: [unclosed\n"}, [3]),
    ("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "fastapi run main.py"]\n'}, [2]),
    ("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT fastapi run main.py\n'}, [2]),
    ("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["./start.sh"]\n', "start.sh": "#!/bin/sh\nalembic upgrade head\nfastapi run\n"}, [2]),
    ("QS001", {"Dockerfile": 'FROM python:3.12 AS base\nCMD fastapi run main.py\nFROM base\nRUN true\n'}, [2]),
    ("QS002", {"Dockerfile": "ARG PY\nFROM python${PY}\n"}, [2]),
    ("QS002", {"Dockerfile": "FROM python:3.12 AS b\nFROM ubuntu\nCOPY --from=b / /\n"}, [2]),
    ("QS003", {"Dockerfile": "FROM tiangolo/uwsgi-nginx-flask:python3.8\n"}, [1]),
    ("QS004", {"Dockerfile": "FROM python:3.12\nCOPY app /code/app\nCOPY requirements.txt /code/\nRUN pip install --no-cache-dir -r /code/requirements.txt\n", "app/main.py": APP}, [2]),
    ("QS005", {"Dockerfile": "FROM python:3.12\nRUN python -m pip install -U pip && pip install fastapi\n"}, [2]),
    ("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/cache/apt pip install fastapi\n"}, [2]),
    ("QS006", {"Dockerfile": "FROM python:3.12\nUSER app\nUSER root\n"}, [3]),
    ("QS006", {"Dockerfile": "FROM python:3.12\nUSER 0:0\n"}, [2]),
    ("QS007", {"Dockerfile": "FROM python:3.12\nHEALTHCHECK NONE\n" + EXEC}, [2]),
    ("QS008", {"Dockerfile": 'FROM python:3.12-alpine\nHEALTHCHECK CMD ["curl", "-f", "http://127.0.0.1:8000/"]\n' + EXEC}, [2]),
    ("QS008", {"Dockerfile": "FROM python:3.12-slim\n" + EXEC,
               "compose.yaml": "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8000/\"]\n"}, [5]),
    ("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "dev", "main.py"]\n'}, [2]),
    ("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--host", "127.0.0.1"]\n'}, [2]),
    ("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "main:app"]\n'}, [2]),
    ("QS010", {"Dockerfile": 'FROM python:3.12\nENV WEB_CONCURRENCY=4\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    deploy:\n      replicas: 3\n"}, [3]),
    ("QS010", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--workers", "4"]\n', "compose.yaml": "services:\n  app:\n    build: .\n    cpus: 1\n"}, [2]),
    ("QS011", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "k8s/ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n"}, [2]),
    ("QS012", {"Dockerfile": 'FROM python:3.12\nCMD ["poetry", "run", "uvicorn", "main:app", "--host", "0.0.0.0"]\n'}, [2]),
    ("QS013", {"Dockerfile": 'FROM python:3.12\nCMD ["./entrypoint.sh"]\n', "entrypoint.sh": "#!/bin/sh\nset -e\nalembic upgrade head\nexec fastapi run\n"}, [2]),
    ("QS014", {"Dockerfile": 'FROM python:3.12\nENV PORT=9000\nEXPOSE 8000\n' + EXEC}, [3]),
    ("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    ports:\n      - \"127.0.0.1:80:80\"\n"}, [4]),
    ("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "k8s/app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          image: app:1\n          ports:\n            - containerPort: 80\n")}, [11]),
    ("QS015", {"Dockerfile": "FROM python:3.12\n" + EXEC, "main.py": APP, "requirements.txt": REQ, "k8s/app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          image: app:1\n          readinessProbe:\n            httpGet: {path: /ready, port: 8000}\n")}, [11]),
    ("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": ".venv\n.git\n.env\n__pycache__\n"}, [2]),
    ("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "**/.venv\n**/.git\n**/.env\n**/__pycache__\n!**/__pycache__\n"}, [2]),
    # `!app` re-includes everything under app/, its __pycache__ too: Docker's last match wins
    ("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "*\n!app\n!requirements.txt\n"}, [2]),
    ("QS017", {"Dockerfile": "FROM python:3.12\nCOPY .env /code/.env\n"}, [2]),
    ("QS017", {"Dockerfile": "FROM python:3.12\nARG GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"}, [2]),
    ("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".env": "SECRET=1\n", ".dockerignore": ".git\n"}, [2]),
    ("QS018", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system -r pyproject.toml\n", "uv.lock": "version = 1\n"}, [2]),
    ("QS019", {"Dockerfile": "FROM python:3.12 AS b\nRUN python -m venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=b /opt/venv /venv\n"}, [4]),
    ("QS020", {"Dockerfile": "FROM python:3.12\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends gcc\n"}, [2]),
    ("QS021", {"compose.yaml": "services:\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_started\n  db:\n    image: postgres:17\n    volumes: [d:/var/lib/postgresql/data]\n"}, [5]),
    ("QS022", {"k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n"}, [9]),
    ("QS023", {"k8s/app.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          readinessProbe: {httpGet: {path: /, port: 80}}\n"}, [9]),
    ("QS024", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--timeout-graceful-shutdown", "30"]\n',
               "compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 10s\n"}, [4]),
    ("QS024", {"k8s/app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n")}, [9]),
    ("QS025", {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}, [2]),
    ("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER nobody:nogroup\n", "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext: {runAsNonRoot: true}\n"}, [2]),
]


@pytest.mark.parametrize("rule_id,files,expected", FLAG, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(FLAG)])
def test_flags(tmp_path, rule_id, files, expected):
    assert lines_for(write(tmp_path, files), rule_id) == expected


NOOP = [
    ("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "alembic upgrade head && exec fastapi run main.py"]\n'}),
    ("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD fastapi run main.py\n'}),
    ("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["./start.sh"]\n', "start.sh": "#!/bin/sh\nset -e\nexec fastapi run\n"}),
    ("QS001", {"Dockerfile": 'FROM python:3.12 AS build\nCMD echo build\nFROM python:3.12-slim\n' + EXEC}),
    ("QS002", {"Dockerfile": "ARG PY=3.12\nFROM python:${PY}-slim\n"}),
    ("QS002", {"Dockerfile": "FROM python@sha256:" + "a" * 64 + "\n"}),
    ("QS002", {"Dockerfile": "FROM scratch\n"}),
    ("QS002", {"Dockerfile": "FROM python:3.12 AS base\nFROM base\n"}),
    ("QS002", {"Dockerfile": "FROM registry.local:5000/python:3.12\n"}),
    ("QS004", {"Dockerfile": "FROM python:3.12\nCOPY pyproject.toml uv.lock /code/\nRUN uv sync --locked --no-install-project\nCOPY . /code\nRUN uv sync --locked\n"}),
    ("QS004", {"Dockerfile": "FROM python:3.12\nCOPY docs /docs\nRUN pip install --no-cache-dir fastapi\n", "docs/index.md": "# docs\n"}),
    ("QS005", {"Dockerfile": "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install fastapi\n"}),
    ("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install fastapi\n"}),
    ("QS005", {"Dockerfile": "FROM python:3.12 AS build\nRUN pip install fastapi\nFROM python:3.12-slim\nCOPY --from=build /usr/local /usr/local\n"}),
    ("QS005", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system fastapi\n"}),
    ("QS006", {"Dockerfile": "FROM gcr.io/distroless/python3-debian12:nonroot\n"}),
    ("QS006", {"Dockerfile": "FROM python:3.12 AS base\nUSER app\nFROM base\n"}),
    ("QS007", {"Dockerfile": "FROM python:3.12\n" + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"python\", \"-c\", \"1\"]\n"}),
    ("QS008", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD curl -f http://127.0.0.1:8000/\n' + EXEC}),
    ("QS008", {"Dockerfile": 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nHEALTHCHECK CMD curl -f http://127.0.0.1:8000/\n' + EXEC}),
    ("QS008", {"Dockerfile": 'FROM python:3.12-alpine\nHEALTHCHECK CMD wget -qO- http://127.0.0.1:8000/\n' + EXEC}),
    ("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]\n'}),
    ("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "main:app"]\n'}),
    ("QS010", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--workers", "2"]\n', "compose.yaml": "services:\n  app:\n    build: .\n    cpus: 2\n"}),
    ("QS011", {"Dockerfile": 'FROM python:3.12\nENV FORWARDED_ALLOW_IPS=*\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n  web:\n    image: nginx:1.27\n"}),
    ("QS011", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    environment:\n      FORWARDED_ALLOW_IPS: 172.16.0.0/12\n  web:\n    image: caddy:2\n"}),
    ("QS012", {"Dockerfile": 'FROM python:3.12\nRUN uv sync --locked\nCMD ["fastapi", "run", "main.py"]\n'}),
    ("QS013", {"Dockerfile": 'FROM python:3.12\nRUN alembic --help\n' + EXEC}),
    ("QS014", {"Dockerfile": 'FROM python:3.12\nEXPOSE 80\nCMD ["fastapi", "run", "main.py", "--port", "80"]\n'}),
    ("QS014", {"Dockerfile": 'FROM python:3.12\nENV PORT=9000\nEXPOSE 9000\n' + EXEC}),
    ("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    ports: [\"127.0.0.1:8080:8000\"]\n  db:\n    image: postgres:17\n    ports: [\"5432:5432\"]\n"}),
    ("QS015", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/openapi.json\')"]\n' + EXEC, "main.py": APP, "requirements.txt": REQ}),
    ("QS015", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/items/3\')"]\n' + EXEC,
               "main.py": APP + "\n@app.get('/items/{item_id}')\ndef item(item_id: int):\n    return {}\n", "requirements.txt": REQ}),
    ("QS016", {"Dockerfile": "FROM python:3.12\nCOPY ./app /code/app\n"}),
    ("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "*\n!app\n!requirements.txt\n**/__pycache__\n"}),
    ("QS017", {"Dockerfile": "FROM python:3.12\nENV PASSWORD_FILE=/run/secrets/db_password\nARG API_KEY\nENV TOKEN_URL=https://auth.example.com/token\n"}),
    ("QS017", {"Dockerfile": "FROM python:3.12\nENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app\n"}),
    ("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".env": "SECRET=1\n", ".dockerignore": "**/.env\n"}),
    ("QS018", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system -r requirements.txt\n"}),
    ("QS018", {"Dockerfile": "FROM python:3.12\nCOPY . /code\nRUN uv sync --frozen --no-install-project\n"}),
    ("QS019", {"Dockerfile": "FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim AS b\nRUN uv venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\n"}),
    ("QS019", {"Dockerfile": "FROM python:3.12 AS b\nRUN python -m venv /code/.venv\nFROM python:3.12-slim\nCOPY --from=b /code/.venv /code/.venv\n"}),
    ("QS020", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends gcc\n"}),
    ("QS021", {"compose.yaml": "services:\n  app:\n    build: .\n    depends_on: [cache]\n  cache:\n    image: redis:7\n"}),
    ("QS022", {"compose.yaml": "services:\n  app:\n    build: .\n    mem_limit: 512m\n"}),
    ("QS024", {"compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 1m30s\n"}),
    ("QS025", {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nCMD ["fastapi", "run", "main.py"]\n'}),
    ("QS025", {"Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system app\nENV HOME=/tmp\nUSER app\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}),
    ("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER app\n", "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext: {runAsNonRoot: true, runAsUser: 10001}\n"}),
    ("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER app\n"}),
]


@pytest.mark.parametrize("rule_id,files", NOOP, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NOOP)])
def test_noop(tmp_path, rule_id, files):
    assert lines_for(write(tmp_path, files), rule_id) == []
