"""Live: the shell behaviour QS001 rests on, measured on the lab's python:3.12-slim (Debian's dash and bash).
`sh -c` (dash) stays PID 1 even for a single command, so SIGTERM stops at the shell; `bash -c` replaces itself
with the last simple command of a plain list, so the server is PID 1 and QS001 stays silent about it."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from quayside.check import run_check
from quayside.check.rules.qs001_shell_pid1 import bash_execs_last_command
from quayside.engine import docker

pytestmark = pytest.mark.docker
IMAGE = "python:3.12-slim"


def _pid1(shell: str, script: str) -> str:
    name = f"qs-pid1-{uuid.uuid4().hex[:8]}"
    docker.run(["run", "-d", "--name", name, IMAGE, shell, "-c", script])
    try:
        deadline = time.monotonic() + 20
        while True:
            cmdline = docker.run(["exec", name, "cat", "/proc/1/cmdline"], check=False).stdout.replace("\0", " ").strip()
            if cmdline or time.monotonic() > deadline:
                return cmdline
            time.sleep(0.2)
    finally:
        docker.run(["rm", "-f", name], check=False)


@pytest.mark.parametrize("script", ["sleep 30", "true && sleep 30", "cd /tmp; sleep 30"])
def test_dash_stays_pid_1(script):
    assert _pid1("sh", script).startswith("sh -c")


@pytest.mark.parametrize(("script", "execs"), [("true && sleep 30", True), ("cd /tmp; sleep 30", True),
                                                ("sleep 30 | cat", False), ("trap 'echo x' TERM; sleep 30", False)])
def test_bash_execs_the_last_command_of_a_plain_list(script, execs):
    assert (_pid1("bash", script) == "sleep 30") is execs
    assert bash_execs_last_command(script) is execs  # the rule's model of bash agrees with bash


SERVER = ("import signal, sys, time\n"
          "signal.signal(signal.SIGTERM, lambda *a: (print('GOT-SIGTERM', flush=True), sys.exit(0)))\n"
          "print('ready', flush=True)\ntime.sleep(60)\n")


@pytest.mark.parametrize(("script", "heard"), [(f"python -c \"{SERVER}\"", False), (f"exec python -c \"{SERVER}\"", True)],
                         ids=["no-exec", "exec"])
def test_an_init_forwards_sigterm_to_the_shell_which_keeps_it(tmp_path, script, heard):
    """`docker run --init` makes the engine's docker-init (tini) PID 1, as ENTRYPOINT ["tini", "--"] does: it
    signals its child, the shell; only a server the shell exec'd hears SIGTERM. QS001's verdict must match."""
    name = f"qs-init-{uuid.uuid4().hex[:8]}"
    docker.run(["run", "-d", "--init", "--name", name, IMAGE, "sh", "-c", script])
    try:
        deadline = time.monotonic() + 20
        while "ready" not in docker.run(["logs", name], check=False).stdout and time.monotonic() < deadline:
            time.sleep(0.2)
        docker.run(["stop", "-t", "3", name])
        got = "GOT-SIGTERM" in docker.run(["logs", name], check=False).stdout
    finally:
        docker.run(["rm", "-f", name], check=False)
    assert got is heard
    dockerfile = f'FROM {IMAGE}\nENTRYPOINT ["tini", "--"]\nCMD {json.dumps(["sh", "-c", script])}\n'
    (tmp_path / "Dockerfile").write_text(dockerfile)
    flagged = [f for f in run_check(tmp_path).findings if f.rule == "QS001"]
    assert bool(flagged) is not heard
