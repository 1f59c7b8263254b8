"""The container command as Docker will run it, and what it says about the server (port, workers, host)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from quayside.check.dockerfile import Dockerfile, Instruction, Stage
from quayside.check.lazyre import lazy_compile

# a step that installs the project's dependencies (the build's progress and QS004 both look for it)
DEPENDENCY_COMMAND = lazy_compile(
    r"\bpip3?\b[^&;|]*?\sinstall\b|\buv\s+(?:sync|pip\s+install)\b|\bpoetry\s+install\b|\bpdm\s+(?:export|sync|install)\b"
)

SEPARATORS = {"&&", "||", ";", "|", "&"}
SERVERS = ("fastapi", "uvicorn", "gunicorn", "hypercorn", "granian")


def split_words(text: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return text.split()


@dataclass
class Command:
    cmd: Instruction | None
    entrypoint: Instruction | None
    argv: list[str]
    shell_form: bool  # Docker wraps it in /bin/sh -c

    @property
    def instruction(self) -> Instruction:
        return (self.cmd or self.entrypoint)  # type: ignore[return-value]

    @property
    def script(self) -> str | None:
        """The shell script when the command is `sh -c SCRIPT` (written or implied by shell form)."""
        if len(self.argv) >= 3 and self.argv[0].rsplit("/", 1)[-1] in ("sh", "bash", "dash", "ash", "zsh") and self.argv[1] in ("-c", "-ec", "-ce", "-lc", "-xc"):
            return self.argv[2]
        return None

    def words(self) -> list[str]:
        script = self.script
        return split_words(script) if script is not None else list(self.argv)


def effective_command(df: Dockerfile, stage: Stage) -> Command | None:
    cmd = entrypoint = None
    for st in df.stage_chain(stage):
        cmd = cmd or st.last("CMD")
        entrypoint = entrypoint or st.last("ENTRYPOINT")
    if cmd is None and entrypoint is None:
        return None
    argv: list[str] = []
    shell = False
    if entrypoint is not None:
        ep = entrypoint.exec_form
        if ep is None:
            return Command(cmd, entrypoint, ["/bin/sh", "-c", entrypoint.rest], True)
        argv = list(ep)
    if cmd is not None and not (entrypoint is not None and entrypoint.exec_form is None):
        c = cmd.exec_form
        if c is None:
            shell = entrypoint is None
            argv += ["/bin/sh", "-c", cmd.rest]
        else:
            argv += c
    return Command(cmd, entrypoint, argv, shell)


@dataclass
class Server:
    kind: str  # fastapi-run | fastapi-dev | uvicorn | gunicorn | hypercorn | granian
    args: list[str]  # the server's own arguments, up to a shell separator

    def option(self, *names: str) -> str | None:
        for i, arg in enumerate(self.args):
            for name in names:
                if arg == name and i + 1 < len(self.args):
                    return self.args[i + 1]
                if name.startswith("--") and arg.startswith(name + "="):
                    return arg.split("=", 1)[1]
        return None

    def has(self, *names: str) -> bool:
        return any(a in names or any(a.startswith(n + "=") for n in names if n.startswith("--")) for a in self.args)


def find_server(words: list[str]) -> Server | None:
    for i, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if base == "fastapi" and i + 1 < len(words) and words[i + 1] in ("run", "dev"):
            return Server(f"fastapi-{words[i + 1]}", _until_separator(words[i + 2:]))
        if base in SERVERS[1:]:
            return Server(base, _until_separator(words[i + 1:]))
        if base.startswith("python") and words[i + 1:i + 3] and words[i + 1] == "-m" and i + 2 < len(words) and words[i + 2] in SERVERS[1:]:
            return Server(words[i + 2], _until_separator(words[i + 3:]))
    return None


def _until_separator(words: list[str]) -> list[str]:
    out = []
    for w in words:
        if w in SEPARATORS:
            break
        out.append(w)
    return out


def server_port(server: Server, env: dict[str, str]) -> int | None:
    value = server.option("--port", "-p") if server.kind != "gunicorn" else None
    if server.kind in ("gunicorn", "hypercorn", "granian"):
        bind = server.option("--bind", "-b")
        if bind and ":" in bind:
            value = bind.rsplit(":", 1)[1]
        elif server.kind == "granian":
            value = server.option("--port")
    if value is None and server.kind.startswith("fastapi"):
        value = env.get("PORT")
    if value is None and server.kind == "uvicorn":
        value = env.get("UVICORN_PORT")
    if value is None:
        return 8000
    return int(value) if value.isdigit() else None


def server_workers(server: Server, env: dict[str, str]) -> int:
    value = server.option("--workers", "-w")
    if value is None:
        value = env.get("WEB_CONCURRENCY") or env.get("UVICORN_WORKERS")
    return int(value) if value and value.isdigit() else 1


def stage_env(df: Dockerfile, stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for st in reversed(df.stage_chain(stage)):
        env.update(st.env())
    return env


_URL_PORT = lazy_compile(r"https?://[^/\s:'\"]+:(\d+)")


def url_ports(text: str) -> list[int]:
    return [int(p) for p in _URL_PORT.findall(text)]
