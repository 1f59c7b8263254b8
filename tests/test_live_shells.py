"""Live: the shell behaviour QS001 rests on, measured on the lab's python:3.12-slim (Debian's dash and bash).
`sh -c` (dash) stays PID 1 even for a single command, so SIGTERM stops at the shell; `bash -c` replaces itself
with the last simple command of a plain list, so the server is PID 1 and QS001 stays silent about it."""

from __future__ import annotations

import time
import uuid

import pytest

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
