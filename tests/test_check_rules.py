"""Each rule: its documented examples, cases it must not flag, cases it must flag (with the line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quayside.check import run_check
from quayside.check.model import RULES
from quayside.errors import UserInputError
from support.projects import write

APP = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {}\n"
REQ = "fastapi[standard]\n"
EXEC = 'CMD ["fastapi", "run", "main.py"]\n'
# app behind an Ingress (Ingress → Service app → pods labelled app=web); db only inside the cluster
K8S_FRONTED = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n"
    "    spec:\n      containers:\n        - name: app\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n  template:\n    metadata:\n      labels: {app: db}\n"
    "    spec:\n      containers:\n        - name: postgres\n"
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  selector: {app: web}\n"
    "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\nspec:\n  rules:\n    - http:\n        paths:\n"
    "          - path: /\n            pathType: Prefix\n            backend: {service: {name: app, port: {number: 80}}}\n")
HEALTH_PROBE = ('FROM python:3.12-slim\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\')"]\n'
                'CMD ["fastapi", "run", "main.py"]\n')


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
    pytest.param("QS000", {"Dockerfile": "RUN echo hi\nFROM python:3.12\n"}, [1], id="QS000-instruction-before-from"),
    pytest.param("QS000", {"Dockerfile": "FROM python:3.12\nRUN <<EOF\necho never closed\n"}, [2], id="QS000-heredoc-never-closed"),
    pytest.param("QS000", {"Dockerfile": "# escape=x\nFROM python:3.12\n"}, [1], id="QS000-bad-escape-directive"),
    pytest.param("QS000", {"Dockerfile": ""}, [1], id="QS000-empty-dockerfile"),
    pytest.param("QS000", {"Dockerfile": "FROM python:3.12\n", "compose.yaml": "services:\n  app: [unclosed\n"}, [3], id="QS000-compose-invalid-yaml"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "alembic upgrade head && uvicorn main:app --host 0.0.0.0"]\n'}, [2], id="QS001-sh-c-list-dash-stays"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["bash", "-c", "uvicorn main:app --host 0.0.0.0 | tee log"]\n'}, [2], id="QS001-bash-c-pipeline"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "fastapi run main.py"]\n'}, [2], id="QS001-cmd-sh-c-fastapi-run-main-py"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT fastapi run main.py\n'}, [2], id="QS001-entrypoint-fastapi-run-main-py"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["./start.sh"]\n', "start.sh": "#!/bin/sh\nalembic upgrade head\nfastapi run\n"}, [2], id="QS001-cmd-start-sh-start"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12 AS base\nCMD fastapi run main.py\nFROM base\nRUN true\n'}, [2], id="QS001-shell-form-in-parent-stage"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD ["sh", "-c", "uvicorn main:app --host 0.0.0.0"]\n'}, [3], id="QS001-tini-then-sh-c"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD fastapi run main.py\n'}, [3], id="QS001-tini-then-shell-form"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["/usr/bin/tini", "--", "su-exec", "app", "sh", "-c", "uvicorn main:app"]\n'}, [2], id="QS001-tini-su-exec-sh-c"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY docker/ ./bin/\nCMD ["bash", "bin/start.sh"]\n', "docker/start.sh": "#!/bin/bash\nuvicorn main:app\n"}, [4], id="QS001-script-traced-through-copy-of-a-folder"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["./entrypoint.sh"]\nCMD uvicorn main:app --reload --host 127.0.0.1\n', "entrypoint.sh": "#!/bin/sh\nexec \"$@\"\n"}, [3], id="QS009-entrypoint-script-then-shell-form-cmd"),
    pytest.param("QS013", {"Dockerfile": 'FROM python:3.12\nWORKDIR /code\nCOPY scripts ./scripts\nCMD ["bash", "scripts/start.sh"]\n', "scripts/start.sh": "#!/bin/bash\nalembic upgrade head\nexec uvicorn main:app\n"}, [4], id="QS013-script-run-by-bash"),
    pytest.param("QS013", {"Dockerfile": 'FROM python:3.12\nCOPY deploy/boot.sh /usr/local/bin/boot\nENTRYPOINT ["tini", "--", "boot"]\n', "deploy/boot.sh": "#!/bin/sh\nalembic upgrade head\nexec uvicorn main:app\n"}, [3], id="QS013-script-renamed-by-copy-under-tini"),
    pytest.param("QS002", {"Dockerfile": "ARG PY\nFROM python${PY}\n"}, [2], id="QS002-from-python-py"),
    pytest.param("QS002", {"Dockerfile": "FROM python:3.12 AS b\nFROM ubuntu\nCOPY --from=b / /\n"}, [2], id="QS002-from-ubuntu"),
    pytest.param("QS003", {"Dockerfile": "FROM tiangolo/uwsgi-nginx-flask:python3.8\n"}, [1], id="QS003-from-tiangolo-uwsgi-nginx-flask-python3-8"),
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY app /code/app\nCOPY requirements.txt /code/\nRUN pip install --no-cache-dir -r /code/requirements.txt\n", "app/main.py": APP}, [2], id="QS004-copy-app-code-app-app"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN python -m pip install -U pip && pip install fastapi\n"}, [2], id="QS005-run-python-m-pip-install-u-pip-pip-install-fasta"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/cache/apt pip install fastapi\n"}, [2], id="QS005-run-mount-type-cache-target-var-cache-apt-pip-in"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/cache/pip pip install fastapi\n"}, [2], id="QS005-mount-where-pip-does-not-cache"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=0 pip install fastapi\n"}, [2], id="QS005-inline-env-false"),
    # an unknown instruction is QS000's, and no longer silences the rules for the rest of the file
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim\nFOO bar\nCMD [\"fastapi\", \"run\", \"main.py\"]\n"}, [1], id="QS006-despite-an-unknown-instruction"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12\nUSER app\nUSER root\n"}, [3], id="QS006-user-root"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12\nUSER 0:0\n"}, [2], id="QS006-user-0-0"),
    # every stage that is an image is judged, not only the last
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS base\nFROM base AS production\n" + EXEC + "FROM base AS test\nUSER 1000\nCMD [\"pytest\"]\n"}, [2], id="QS006-production-stage-before-a-test-stage"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS web\n" + EXEC + "FROM web AS dev\nUSER 1000\n",
                           "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      target: web\n    restart: always\n"}, [1], id="QS006-stage-a-compose-target-builds"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS api\n" + EXEC + "FROM python:3.12-slim AS docs\nUSER 1000\n",
                           ".github/workflows/image.yml": "jobs:\n  b:\n    steps:\n      - run: docker build --target api -t x .\n"}, [1], id="QS006-stage-a-ci-workflow-builds"),
    pytest.param("QS007", {"Dockerfile": "FROM python:3.12\nHEALTHCHECK NONE\n" + EXEC}, [2], id="QS007-healthcheck-none"),
    pytest.param("QS008", {"Dockerfile": 'FROM python:3.12-alpine\nHEALTHCHECK CMD ["curl", "-f", "http://127.0.0.1:8000/"]\n' + EXEC}, [2], id="QS008-healthcheck-cmd-curl-f-http-127-0-0-1-8000"),
    pytest.param("QS008", {"Dockerfile": "FROM python:3.12-slim\n" + EXEC,
               "compose.yaml": "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8000/\"]\n"}, [5], id="QS008-compose-wget-healthcheck-on-slim"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-c", "g.py", "m:app"]\n', "g.py": 'bind = "127.0.0.1:8000"\n'}, [2], id="QS009-gunicorn-config-binds-loopback"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "dev", "main.py"]\n'}, [2], id="QS009-cmd-fastapi-dev-main-py"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--host", "127.0.0.1"]\n'}, [2], id="QS009-cmd-fastapi-run-main-py-host-127-0-0-1"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "main:app"]\n'}, [2], id="QS009-cmd-gunicorn-k-uvicorn-workers-uvicornworker-mai"),
    pytest.param("QS010", {"Dockerfile": 'FROM python:3.12\nENV WEB_CONCURRENCY=4\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    deploy:\n      replicas: 3\n"}, [3], id="QS010-web-concurrency-with-compose-replicas"),
    pytest.param("QS010", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--workers", "4"]\n', "compose.yaml": "services:\n  app:\n    build: .\n    cpus: 1\n"}, [2], id="QS010-workers-with-compose-cpus"),
    pytest.param("QS011", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "k8s/ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n"}, [2], id="QS011-no-proxy-headers-behind-ingress"),
    pytest.param("QS012", {"Dockerfile": 'FROM python:3.12\nCMD ["pdm", "run", "uvicorn", "main:app", "--host", "0.0.0.0"]\n'}, [2], id="QS012-cmd-pdm-run-uvicorn"),
    pytest.param("QS013", {"Dockerfile": 'FROM python:3.12\nCMD ["./entrypoint.sh"]\n', "entrypoint.sh": "#!/bin/sh\nset -e\nalembic upgrade head\nexec fastapi run\n"}, [2], id="QS013-cmd-entrypoint-sh-entrypoint"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\nENV PORT=9000\nEXPOSE 8000\n' + EXEC}, [3], id="QS014-port-drift-env-port"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    ports:\n      - \"127.0.0.1:80:80\"\n"}, [4], id="QS014-port-drift-compose"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "k8s/app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          image: app:1\n          ports:\n            - containerPort: 80\n")}, [11], id="QS014-port-drift-k8s"),
    pytest.param("QS015", {"Dockerfile": "FROM python:3.12\n" + EXEC, "main.py": APP, "requirements.txt": REQ, "k8s/app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          image: app:1\n          readinessProbe:\n            httpGet: {path: /ready, port: 8000}\n")}, [11], id="QS015-k8s-probe-path-not-served"),
    pytest.param("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": ".venv\n.git\n.env\n__pycache__\n"}, [2], id="QS016-patterns-not-recursive"),
    pytest.param("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "**/.venv\n**/.git\n**/.env\n**/__pycache__\n!**/__pycache__\n"}, [2], id="QS016-pycache-re-included"),
    # `!app` re-includes everything under app/, its __pycache__ too: Docker's last match wins
    pytest.param("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "*\n!app\n!requirements.txt\n"}, [2], id="QS016-allowlist-re-includes-pycache"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY .env /code/.env\n"}, [2], id="QS017-copy-env-code-env"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nARG GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"}, [2], id="QS017-arg-github-token-ghp-abcdefghijklmnopqrstuvwxyz0"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".env": "SECRET=1\n", ".dockerignore": ".git\n"}, [2], id="QS017-env-file-in-context-copied"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY ./app /code/app\n", "app/id_rsa": "key", "app/main.py": APP}, [2], id="QS017-ssh-key-in-copied-package"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".dockerignore": "**/.env\n", ".npmrc": "//r/:_authToken=x\n"}, [2], id="QS017-npmrc-in-whole-context"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY app/ /code/app/\n", "app/certs/server.key": "k", "app/dev.db": ""}, [2], id="QS017-key-and-local-db-in-package"),
    pytest.param("QS018", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system -r pyproject.toml\n", "uv.lock": "version = 1\n"}, [2], id="QS018-run-uv-pip-install-system-r-pyproject-toml-uv-lock"),
    pytest.param("QS019", {"Dockerfile": "FROM python:3.12 AS b\nRUN python -m venv /opt/venv\nFROM python:3.12\nWORKDIR /app\nCOPY --from=b /opt/venv .venv\n"}, [5], id="QS019-moved-under-workdir"),
    pytest.param("QS019", {"Dockerfile": "FROM python:3.12 AS b\nRUN python -m venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=b /opt/venv /venv\n"}, [4], id="QS019-copy-from-b-opt-venv-venv"),
    pytest.param("QS020", {"Dockerfile": "FROM python:3.12\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends gcc\n"}, [2], id="QS020-run-apt-get-update"),
    pytest.param("QS020", {"Dockerfile": "FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends gcc \\\n && apt-get install -y chromium && rm -rf /var/lib/apt/lists/*\n"}, [2], id="QS020-second-install-in-the-same-run"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv sync --locked\n"}, [3], id="QS027-uv-sync"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv pip install --system -r requirements.txt\n"}, [3], id="QS027-uv-pip-install"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv --no-cache sync --locked && uv pip install gunicorn\n"}, [3], id="QS027-second-command-caches"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN --mount=type=cache,target=/root/.cache/pip uv sync --locked\n"}, [3], id="QS027-pip-cache-mount-is-not-uvs"),
    pytest.param("QS021", {"compose.yaml": "services:\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_started\n  db:\n    image: postgres:17\n    volumes: [d:/var/lib/postgresql/data]\n"}, [5], id="QS021-db-started-not-healthy"),
    pytest.param("QS022", {"k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n"}, [9], id="QS022-k8s-no-memory-limit"),
    pytest.param("QS022", {"docker-compose.prod.yml": "services:\n  app:\n    build: .\n"}, [2], id="QS022-compose-named-prod"),
    pytest.param("QS022", {"compose.yaml": "services:\n  app:\n    build: .\n    restart: always\n    volumes: [\"./config:/config:ro\"]\n"}, [2], id="QS022-compose-restarts-read-only-config"),
    pytest.param("QS023", {"k8s/app.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          readinessProbe: {httpGet: {path: /, port: 80}}\n"}, [9], id="QS023-statefulset-no-liveness"),
    pytest.param("QS024", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--timeout-graceful-shutdown", "30"]\n',
               "compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 10s\n"}, [4], id="QS024-compose-grace-shorter-than-uvicorn"),
    pytest.param("QS024", {"k8s/app.yaml": K8S_FRONTED}, [11], id="QS024-k8s-ingress-without-prestop"),
    pytest.param("QS025", {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}, [2], id="QS025-user-nobody"),
    pytest.param("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER nobody:nogroup\n", "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext: {runAsNonRoot: true}\n"}, [2], id="QS026-named-user-with-runasnonroot"),
]


@pytest.mark.parametrize(("rule_id", "files", "expected"), FLAG)
def test_flags(tmp_path, rule_id, files, expected):
    assert lines_for(write(tmp_path, files), rule_id) == expected


NOOP = [
    # bash -c exec's the last command of a plain list (tests/test_live_shells.py measures it)
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["bash", "-c", "alembic upgrade head && uvicorn main:app --host 0.0.0.0"]\n'}, id="QS001-bash-c-list-execs-last"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "alembic upgrade head && exec fastapi run main.py"]\n'}, id="QS001-cmd-sh-c-alembic-upgrade-head-exec-fastapi-run-m"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD ["fastapi", "run", "main.py"]\n'}, id="QS001-entrypoint-tini"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD ["sh", "-c", "alembic upgrade head && exec uvicorn main:app"]\n'}, id="QS001-tini-sh-c-exec"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "-g", "--"]\nCMD ["sh", "-c", "uvicorn main:app"]\n'}, id="QS001-tini-g-signals-the-group"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["dumb-init", "--"]\nCMD ["sh", "-c", "uvicorn main:app"]\n'}, id="QS001-dumb-init-signals-the-group"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nENTRYPOINT ["gosu", "app", "bash", "-c", "alembic upgrade head && uvicorn main:app"]\n'}, id="QS001-gosu-bash-c-list"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCOPY docker/run.sh /srv/bin/launch\nCMD ["/srv/bin/launch"]\n', "docker/run.sh": "#!/bin/sh\nexec uvicorn main:app\n", "launch": "#!/bin/sh\nuvicorn main:app\n"}, id="QS001-script-traced-through-copy-execs"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12\nCMD ["./start.sh"]\n', "start.sh": "#!/bin/sh\nset -e\nexec fastapi run\n"}, id="QS001-script-execs-server"),
    pytest.param("QS001", {"Dockerfile": 'FROM python:3.12 AS build\nCMD echo build\nFROM python:3.12-slim\n' + EXEC}, id="QS001-cmd-echo-build"),
    pytest.param("QS002", {"Dockerfile": "ARG PY=3.12\nFROM python:${PY}-slim\n"}, id="QS002-arg-py-3-12"),
    pytest.param("QS002", {"Dockerfile": "FROM python@sha256:" + "a" * 64 + "\n"}, id="QS002-from-python-sha256-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    pytest.param("QS002", {"Dockerfile": "FROM scratch\n"}, id="QS002-from-scratch"),
    pytest.param("QS002", {"Dockerfile": "ARG base_image\nFROM $base_image AS final\n"}, id="QS002-image-chosen-at-build-time"),
    pytest.param("QS002", {"Dockerfile": "FROM python:3.12 AS base\nFROM base\n"}, id="QS002-from-python-3-12-as-base"),
    pytest.param("QS002", {"Dockerfile": "FROM registry.local:5000/python:3.12\n"}, id="QS002-from-registry-local-5000-python-3-12"),
    # what the install step itself installs or runs must come first (the real corpus's false alarms)
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY ./shared /tmp/lib/shared\nRUN pip install --no-cache-dir /tmp/lib/shared\nCOPY . /app\n", "shared/x.py": ""}, id="QS004-local-package-installed"),
    pytest.param("QS004", {"Dockerfile": 'FROM python:3.12\nARG LIBS=/opt/lib\nCOPY ./shared ${LIBS}/shared\nRUN pip install --no-cache-dir -e "${LIBS}/shared"\n', "shared/x.py": ""}, id="QS004-local-package-installed-quoted-variable-path"),
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY ./tools/langs.py /tmp/langs.py\nRUN pip install --no-cache-dir --upgrade pip setuptools wheel\n", "tools/langs.py": ""}, id="QS004-tooling-upgrade-is-no-dependency-install"),
    pytest.param("QS004", {"Dockerfile": ("FROM python:3.12 AS deps\nCOPY pyproject.toml poetry.lock /app/\nRUN poetry install --only main --no-root\n"
                                          "FROM python:3.12-slim\nCOPY --from=deps /app/.venv /app/.venv\nCOPY ./pkg /app/pkg\nRUN poetry install --only main\n"),
                           "pkg/x.py": ""}, id="QS004-dependencies-prebuilt-in-another-stage"),
    pytest.param("QS004", {"Dockerfile": ("FROM python:3.12 AS builder\nCOPY requirements.txt /code/\nRUN pip install -r /code/requirements.txt\n"
                                          "FROM builder AS project\nCOPY . /code\nRUN pip install --no-deps --target /opt/project /code\n"),
                           "requirements.txt": "", "pkg/x.py": ""}, id="QS004-project-installed-in-a-stage-from-the-dependencies-stage"),
    pytest.param("QS018", {"Dockerfile": ("FROM python:3.12 AS builder\nRUN --mount=type=bind,source=uv.lock,target=uv.lock uv sync --locked --no-install-project\n"
                                          "FROM builder AS project\nCOPY . /code\nRUN uv pip install --no-deps --target /opt/project .\n"),
                           "uv.lock": "", "pyproject.toml": ""}, id="QS018-the-project-alone-after-a-locked-sync"),
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY ./tools/langs.py /tmp/langs.py\nRUN python /tmp/langs.py && pip install --no-cache-dir -r requirements.txt\n",
                           "tools/langs.py": "", "requirements.txt": ""}, id="QS004-helper-the-step-runs"),
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY pyproject.toml uv.lock /code/\nRUN uv sync --locked --no-install-project\nCOPY . /code\nRUN uv sync --locked\n"}, id="QS004-copy-pyproject-toml-uv-lock-code"),
    pytest.param("QS004", {"Dockerfile": "FROM python:3.12\nCOPY docs /docs\nRUN pip install --no-cache-dir fastapi\n", "docs/index.md": "# docs\n"}, id="QS004-copy-docs-docs-docs"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install fastapi\n"}, id="QS005-env-pip-no-cache-dir-1"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install fastapi\n"}, id="QS005-run-mount-type-cache-target-root-cache-pip-pip-i"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12 AS build\nRUN pip install fastapi\nFROM python:3.12-slim\nCOPY --from=build /usr/local /usr/local\n"}, id="QS005-run-pip-install-fastapi"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system fastapi\n"}, id="QS005-run-uv-pip-install-system-fastapi"),
    # the real corpus's false alarms (bench/field_check; hadolint's DL3042 accepts these too)
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN pip install --no-cache /wheels/*\n"}, id="QS005-no-cache-prefix"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install fastapi\n"}, id="QS005-inline-env"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=true && pip install fastapi\n"}, id="QS005-exported-env"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=tmpfs,target=/root/.cache pip install fastapi\n"}, id="QS005-tmpfs-mount"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN --mount=type=cache,target=/var/cache/pip pip install fastapi\n"}, id="QS005-mount-at-pip-cache-dir"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN pip install fastapi && pip cache purge\n"}, id="QS005-cache-purged"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/cache/pip pip install --cache-dir=/var/cache/pip fastapi\n"}, id="QS005-cache-dir-option-on-the-mount"),
    pytest.param("QS005", {"Dockerfile": "FROM python:3.12\nRUN pip install fastapi && rm -rf /root/.cache/pip\n"}, id="QS005-cache-removed"),
    # database images drop to their own user in their entrypoint; pypiserver runs as its own (the real corpus)
    pytest.param("QS006", {"Dockerfile": "FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n"}, id="QS006-postgres-base-drops-root"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS builder\nRUN pip wheel x\nFROM python:3.12-slim\nUSER 1000\n" + EXEC}, id="QS006-build-stage-is-not-an-image"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS production\nUSER 1000\n" + EXEC + "FROM production AS test\nRUN pip install pytest\n"}, id="QS006-production-stage-the-test-stage-builds-on"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS builder\nRUN pip wheel -w /w x\nFROM python:3.12-slim\nCOPY --from=builder /w /w\nUSER 1000\n" + EXEC,
                           ".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: docker build --target builder --cache-to type=inline .\n"}, id="QS006-ci-cache-build-of-a-build-stage"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12-slim AS dev\nCMD [\"fastapi\", \"dev\"]\nFROM python:3.12-slim\nUSER 1000\n" + EXEC,
                           "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      target: dev\n    volumes: ['.:/code']\n"}, id="QS006-development-compose-target"),
    pytest.param("QS006", {"Dockerfile": "FROM pypiserver/pypiserver:v2.3.2\nCOPY packages /data/packages\n"}, id="QS006-pypiserver-base-runs-as-its-user"),
    pytest.param("QS006", {"Dockerfile": "FROM gcr.io/distroless/python3-debian12:nonroot\n"}, id="QS006-from-gcr-io-distroless-python3-debian12-nonroot"),
    pytest.param("QS006", {"Dockerfile": "FROM python:3.12 AS base\nUSER app\nFROM base\n"}, id="QS006-user-app"),
    pytest.param("QS007", {"Dockerfile": "FROM python:3.12\n" + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"python\", \"-c\", \"1\"]\n"}, id="QS007-healthcheck-in-compose"),
    pytest.param("QS007", {"Dockerfile": 'FROM python:3.12-slim\nRUN pip install --no-cache-dir bandit\nENTRYPOINT ["bandit", "-r", "/src"]\n'}, id="QS007-one-shot-tool-image"),
    pytest.param("QS008", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD curl -f http://127.0.0.1:8000/\n' + EXEC}, id="QS008-healthcheck-cmd-curl-f-http-127-0-0-1-8000"),
    pytest.param("QS008", {"Dockerfile": 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nHEALTHCHECK CMD curl -f http://127.0.0.1:8000/\n' + EXEC}, id="QS008-run-apt-get-update-apt-get-install-y-no-install"),
    pytest.param("QS008", {"Dockerfile": 'FROM python:3.12-alpine\nHEALTHCHECK CMD wget -qO- http://127.0.0.1:8000/\n' + EXEC}, id="QS008-healthcheck-cmd-wget-qo-http-127-0-0-1-8000"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nENV UVICORN_HOST=0.0.0.0\nCMD ["uvicorn", "--factory", "m:create_app"]\n'}, id="QS009-uvicorn-host-from-env"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-c", "gunicorn-config.py", "m:app"]\n', "gunicorn-config.py": 'bind = "0.0.0.0:8000"\n'}, id="QS009-gunicorn-config-file-bind"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "m:app"]\n', "gunicorn.conf.py": 'bind = ["0.0.0.0:8000"]\n'}, id="QS009-gunicorn-default-config-file"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nENV GUNICORN_CMD_ARGS="--bind=0.0.0.0:8000"\nCMD ["gunicorn", "m:app"]\n'}, id="QS009-gunicorn-cmd-args"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-c", "/etc/gunicorn/g.py", "m:app"]\n'}, id="QS009-gunicorn-config-not-in-context"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]\n'}, id="QS009-cmd-uvicorn-main-app-host-0-0-0-0-port-80"),
    pytest.param("QS009", {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "main:app"]\n'}, id="QS009-cmd-gunicorn-b-0-0-0-0-8000-main-app"),
    pytest.param("QS010", {"Dockerfile": 'FROM python:3.12\nCMD ["fastapi", "run", "main.py", "--workers", "2"]\n', "compose.yaml": "services:\n  app:\n    build: .\n    cpus: 2\n"}, id="QS010-workers-on-one-host-compose"),
    pytest.param("QS011", {"Dockerfile": 'FROM python:3.12\nENV FORWARDED_ALLOW_IPS=*\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n  web:\n    image: nginx:1.27\n"}, id="QS011-env-forwarded-allow-ips-compose"),
    pytest.param("QS011", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    environment:\n      FORWARDED_ALLOW_IPS: 172.16.0.0/12\n  web:\n    image: caddy:2\n"}, id="QS011-no-proxy-in-compose"),
    pytest.param("QS012", {"Dockerfile": 'FROM python:3.12\nRUN uv sync --locked\nCMD ["fastapi", "run", "main.py"]\n'}, id="QS012-run-uv-sync-locked"),
    # poetry and pipenv exec the command on Linux: the server is PID 1 (the real corpus's false alarm)
    pytest.param("QS012", {"Dockerfile": 'FROM python:3.12\nCMD ["poetry", "run", "uvicorn", "main:app", "--host", "0.0.0.0"]\n'}, id="QS012-poetry-run-execs"),
    pytest.param("QS013", {"Dockerfile": 'FROM python:3.12\nRUN alembic --help\n' + EXEC}, id="QS013-run-alembic-help"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\nEXPOSE 80\nCMD ["fastapi", "run", "main.py", "--port", "80"]\n'}, id="QS014-expose-80"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\nENV PORT=9000\nEXPOSE 9000\n' + EXEC}, id="QS014-env-port-9000"),
    pytest.param("QS014", {"Dockerfile": 'FROM python:3.12\n' + EXEC, "compose.yaml": "services:\n  app:\n    build: .\n    ports: [\"127.0.0.1:8080:8000\"]\n  db:\n    image: postgres:17\n    ports: [\"5432:5432\"]\n"}, id="QS014-ports-agree-compose"),
    # an incomplete route table is no evidence that a path is not served (the real corpus's false alarms)
    pytest.param("QS015", {"main.py": "from fastapi import FastAPI\nfrom api import router\napp = FastAPI()\napp.include_router(router, prefix='/health')\n",
                           "api/__init__.py": "from .routes import router\n",
                           "api/routes.py": "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('')\ndef h():\n    return {}\n",
                           "requirements.txt": REQ, "Dockerfile": HEALTH_PROBE}, id="QS015-router-re-exported-by-a-package"),
    pytest.param("QS015", {"main.py": "from fastapi import FastAPI, APIRouter\nfrom settings import s\napp = FastAPI()\nr = APIRouter()\n@r.get('/health')\ndef h():\n    return {}\napp.include_router(r, prefix=s.API)\n",
                           "settings.py": "s = 1\n", "requirements.txt": REQ, "Dockerfile": HEALTH_PROBE}, id="QS015-prefix-from-settings"),
    pytest.param("QS015", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/openapi.json\')"]\n' + EXEC, "main.py": APP, "requirements.txt": REQ}, id="QS015-probe-path-served"),
    pytest.param("QS015", {"Dockerfile": 'FROM python:3.12\nHEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/items/3\')"]\n' + EXEC,
               "main.py": APP + "\n@app.get('/items/{item_id}')\ndef item(item_id: int):\n    return {}\n", "requirements.txt": REQ}, id="QS015-probe-path-with-parameter-served"),
    pytest.param("QS016", {"Dockerfile": "FROM python:3.12\nCOPY ./app /code/app\n"}, id="QS016-copy-app-code-app"),
    pytest.param("QS016", {"Dockerfile": "FROM python:3.12\nCOPY . .\n", ".dockerignore": "*\n!app\n!requirements.txt\n**/__pycache__\n"}, id="QS016-recursive-patterns"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nENV PASSWORD_FILE=/run/secrets/db_password\nARG API_KEY\nENV TOKEN_URL=https://auth.example.com/token\n"}, id="QS017-env-password-file-run-secrets-db-password"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app\n"}, id="QS017-env-database-url-postgresql-app-db-password-db-a"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".env": "SECRET=1\n", ".dockerignore": "**/.env\n"}, id="QS017-env-file-ignored"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".env.example": "A=1\n", "app/id_utils.py": "", ".dockerignore": "**/.env\n"}, id="QS017-example-env-and-id-module-are-not-secrets"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY ./app /code/app\n", "app/id_rsa": "key", ".dockerignore": "**/id_rsa*\n"}, id="QS017-key-kept-out-by-dockerignore"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY ./app /code/app\n", "secrets/server.key": "k"}, id="QS017-key-outside-the-copied-folder"),
    pytest.param("QS018", {"Dockerfile": "FROM python:3.12\nRUN uv pip install --system -r requirements.txt\n"}, id="QS018-run-uv-pip-install-system-r-requirements-txt"),
    pytest.param("QS018", {"Dockerfile": "FROM python:3.12\nCOPY . /code\nRUN uv sync --frozen --no-install-project\n"}, id="QS018-copy-code"),
    pytest.param("QS019", {"Dockerfile": "FROM python:3.12 AS builder\nWORKDIR /app\nRUN python -m venv .venv\nFROM python:3.12\nWORKDIR /app\nCOPY --from=builder /app/.venv .venv\n"}, id="QS019-relative-destination-under-workdir"),
    pytest.param("QS019", {"Dockerfile": "FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim AS b\nRUN uv venv /opt/venv\nFROM python:3.12-slim\nCOPY --from=b /opt/venv /opt/venv\n"}, id="QS019-run-uv-venv-opt-venv"),
    pytest.param("QS019", {"Dockerfile": "FROM python:3.12 AS b\nRUN python -m venv /code/.venv\nFROM python:3.12-slim\nCOPY --from=b /code/.venv /code/.venv\n"}, id="QS019-run-python-m-venv-code-venv"),
    pytest.param("QS020", {"Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends gcc\n"}, id="QS020-run-mount-type-cache-target-var-lib-apt-sharing"),
    pytest.param("QS020", {"Dockerfile": "FROM python:3.12 AS b\nRUN apt-get update && apt-get install -y gcc\nFROM python:3.12-slim\nCOPY --from=b /x /x\n"}, id="QS020-build-stage-not-shipped"),
    pytest.param("QS020", {"Dockerfile": "FROM python:3.12\nRUN apt-get update && apt-get install -y \\\n    gcc \\\n    --no-install-recommends && rm -rf /var/lib/apt/lists/*\n"}, id="QS020-option-on-a-continued-line"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN --mount=type=cache,target=/root/.cache/uv uv sync --locked\n"}, id="QS027-cache-mount"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nENV UV_NO_CACHE=1\nRUN uv sync --locked\n"}, id="QS027-env-no-cache"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN UV_NO_CACHE=1 uv sync --locked\n"}, id="QS027-inline-no-cache"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv sync --locked --no-cache\n"}, id="QS027-option"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv --no-cache pip install --system x\n"}, id="QS027-option-before-the-subcommand"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nRUN uv pip install --no-cache-dir \\\n    pillow\n"}, id="QS027-pip-spelling-of-the-option"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv sync --locked && uv cache clean\n"}, id="QS027-cache-cleaned"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nENV UV_CACHE_DIR=/opt/uvc\nRUN --mount=type=cache,target=/opt/uvc uv sync --locked\n"}, id="QS027-mount-at-uv-cache-dir"),
    pytest.param("QS027", {"Dockerfile": "FROM python:3.12-slim AS build\nCOPY --from=ghcr.io/astral-sh/uv:0.9 /uv /bin/\nRUN uv sync --locked\nFROM python:3.12-slim\nCOPY --from=build /app/.venv /app/.venv\n"}, id="QS027-build-stage-not-shipped"),
    pytest.param("QS021", {"compose.yaml": "services:\n  app:\n    build: .\n    depends_on: [cache]\n  cache:\n    image: redis:7\n"}, id="QS021-db-healthy-with-volume"),
    pytest.param("QS022", {"compose.yaml": "services:\n  app:\n    build: .\n    mem_limit: 512m\n"}, id="QS022-compose-memory-limit"),
    # development compose files: the real corpus's false alarms (bench/field_check)
    pytest.param("QS022", {"compose.yaml": "services:\n  app:\n    build: .\n"}, id="QS022-compose-no-restart-is-development"),
    pytest.param("QS022", {"compose.yaml": "services:\n  app:\n    build: .\n    restart: always\n    volumes: [\"./app:/code/app\"]\n"}, id="QS022-compose-source-bind-mounted"),
    pytest.param("QS022", {"docker-compose.override.yml": "services:\n  app:\n    restart: always\n"}, id="QS022-compose-override"),
    pytest.param("QS022", {"docker-compose.dev.yml": "services:\n  app:\n    build: .\n    restart: always\n"}, id="QS022-compose-named-dev"),
    pytest.param("QS022", {"tests/e2e/docker/docker-compose.yml": "services:\n  app:\n    image: app:1\n    restart: always\n"}, id="QS022-compose-under-tests"),
    pytest.param("QS023", {"k8s/test/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n"}, id="QS023-k8s-under-test"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".dockerignore": ".git\n", ".env.sample": "SECRET_KEY=guiyb7a6sd\n"}, id="QS017-env-sample"),
    pytest.param("QS017", {"Dockerfile": "FROM node:20\nENV VITE_API_KEY=__API_KEY_PLACEHOLDER__\n"}, id="QS017-placeholder-value"),
    pytest.param("QS017", {"Dockerfile": "FROM python:3.12\nCOPY . /code\n", ".dockerignore": ".git\n", "venv/Lib/site-packages/certifi/cacert.pem": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"}, id="QS017-certificate-bundle"),
    pytest.param("QS022", {"k8s/test/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n"}, id="QS022-k8s-under-test"),
    pytest.param("QS024", {"compose.yaml": "services:\n  app:\n    build: .\n    stop_grace_period: 1m30s\n"}, id="QS024-compose-grace-long-enough"),
    pytest.param("QS025", {"Dockerfile": 'FROM python:3.12-slim\nUSER nobody\nCMD ["fastapi", "run", "main.py"]\n'}, id="QS025-user-nobody"),
    pytest.param("QS025", {"Dockerfile": 'FROM python:3.12-slim\nRUN useradd --system app\nENV HOME=/tmp\nUSER app\nCMD ["uv", "run", "fastapi", "run", "main.py"]\n'}, id="QS025-run-useradd-system-app"),
    pytest.param("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER app\n", "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext: {runAsNonRoot: true, runAsUser: 10001}\n"}, id="QS026-named-user-no-runasnonroot"),
    pytest.param("QS026", {"Dockerfile": "FROM python:3.12-slim\nUSER app\n"}, id="QS026-named-user-alone"),
]


@pytest.mark.parametrize(("rule_id", "files"), NOOP)
def test_noop(tmp_path, rule_id, files):
    assert lines_for(write(tmp_path, files), rule_id) == []


def test_target_names_the_image_and_an_unknown_one_is_refused(tmp_path):
    from quayside.check import CheckConfig

    root = write(tmp_path, {"Dockerfile": "FROM python:3.12-slim AS build\nRUN true\nFROM python:3.12-slim AS app\nUSER 1000\n" + EXEC})
    assert [f.line for f in run_check(root, config=CheckConfig(targets=("build",))).findings if f.rule == "QS006"] == [1]
    assert [f.line for f in run_check(root, config=CheckConfig(targets=("app",))).findings if f.rule == "QS006"] == []
    with pytest.raises(UserInputError, match="no Dockerfile checked has a stage of that name") as caught:
        run_check(root, config=CheckConfig(targets=("prod",)))
    assert "its stages: app, build" in str(caught.value)
