"""The container command as Docker will run it, and what it says about the server (port, workers, host)."""

from __future__ import annotations

import bisect

from quayside.check.dockerfile import Dockerfile, Instruction, Stage, unquoted
from quayside.check.lazyre import lazy_compile
from quayside.record import record

# a step that installs the project's dependencies (the build's progress and QS004 both look for it)
DEPENDENCY_COMMAND = lazy_compile(
    r"\bpip3?\b[^&;|]*?\sinstall\b|\buv\s+(?:sync|pip\s+install)\b|\bpoetry\s+install\b|\bpdm\s+(?:export|sync|install)\b"
)

SEPARATORS = {"&&", "||", ";", "|", "&"}
SERVERS = ("fastapi", "uvicorn", "gunicorn", "hypercorn", "granian")
SHELLS = ("sh", "bash", "dash", "ash", "zsh")
INITS = {"tini", "tini-static", "dumb-init", "docker-init", "catatonit"}
# options of the wrappers below that take a value (the next word)
_VALUE_OPTIONS = {"-p", "-e", "-r", "--rewrite", "-u", "-g", "--user", "--group", "-w"}
_ASSIGNMENT = lazy_compile(r"[A-Za-z_][A-Za-z0-9_]*=")


# a run of `;&|` (an operator), or a word of unquoted runs, quoted strings and escapes
_SHELL_TOKEN = lazy_compile(r"""[;&|]+|(?:[^\s'"\\;&|]+|'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.?)+""")
_COMMENT = lazy_compile(r"""(?:^|(?<=\s))#[^\n]*""")


def split_words(text: str) -> list[str]:
    """Shell words with quotes and escapes resolved and `&&`, `||`, `;`, `|`, `&` as words of their own; `#`
    comments dropped. A regular expression rather than shlex, which is quadratic in the length of a word."""
    if "#" in text:
        text = _COMMENT.sub("", text)
    return [token if token[0] in ";&|" else unquoted(token) for token in _SHELL_TOKEN.findall(text)]


@record
class Command:
    cmd: Instruction | None
    entrypoint: Instruction | None
    argv: list[str]
    shell_form: bool  # Docker wraps it in /bin/sh -c

    @property
    def instruction(self) -> Instruction:
        return (self.cmd or self.entrypoint)  # type: ignore[return-value]

    def unwrap(self) -> tuple[list[list[str]], list[str]]:
        """(the wrappers, the command they run): see `unwrap`."""
        return unwrap(self.argv)

    @property
    def inner(self) -> list[str]:
        """The command after its init process, privilege dropper and `env`/`exec` wrappers."""
        return self.unwrap()[1]

    @property
    def script(self) -> str | None:
        """The shell script when the command (after its wrappers) is `sh -c SCRIPT`, written or implied by shell form."""
        return shell_script(self.inner)

    def words(self) -> list[str]:
        """Every word the container runs, a `sh -c` script split into its words wherever it sits in the chain
        (an ENTRYPOINT script given a shell-form CMD receives `/bin/sh -c "uvicorn ..."`)."""
        script = self.script
        if script is not None:  # the container runs a shell script (after its wrappers): its words
            return split_words(script)
        out: list[str] = []
        argv = self.argv
        for i, word in enumerate(argv):
            if i >= 2 and argv[i - 1] in SHELL_SCRIPT_FLAGS and argv[i - 2].rsplit("/", 1)[-1] in SHELLS:
                out += split_words(word)
            else:
                out.append(word)
        return out


SHELL_SCRIPT_FLAGS = ("-c", "-ec", "-ce", "-lc", "-xc", "-exc", "-eu", "-euc")


def shell_script(argv: list[str]) -> str | None:
    if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] in SHELL_SCRIPT_FLAGS:
        return argv[2]
    return None


def unwrap(argv: list[str]) -> tuple[list[list[str]], list[str]]:
    """Peel the programs that run another command in their place or as their child: init processes (`tini --`,
    `dumb-init`), privilege droppers (`gosu USER`, `su-exec USER`, `setpriv ... --`, `runuser -u USER --`),
    `env [K=V ...]`, `exec`, and variable assignments. Returns each wrapper's words and the command left."""
    wrappers: list[list[str]] = []
    i = 0
    while i < len(argv):
        base = argv[i].rsplit("/", 1)[-1]
        j = i + 1
        if base in INITS or base in ("setpriv", "runuser", "env", "chpst", "nice"):
            while j < len(argv) and argv[j].startswith("-"):
                j += 2 if argv[j] in _VALUE_OPTIONS and base != "env" else 1
                if argv[j - 1] == "--":
                    break
            if base == "env":
                while j < len(argv) and _ASSIGNMENT.match(argv[j]):
                    j += 1
        elif base in ("gosu", "su-exec"):
            j = i + 2  # the user, then the command
        elif base == "exec":
            pass
        elif _ASSIGNMENT.match(argv[i]) and i + 1 < len(argv):
            pass  # VAR=value before a command (a shell script's words)
        else:
            break
        wrappers.append(argv[i:j])
        i = j
    return wrappers, argv[i:]


def signals_group(wrappers: list[list[str]]) -> bool:
    """The init sends SIGTERM to its child's whole process group, so a server under a non-exec shell hears it:
    dumb-init does by default (unless --single-child), tini only with -g."""
    for words in wrappers:
        base = words[0].rsplit("/", 1)[-1]
        if base == "dumb-init" and not {"-c", "--single-child"} & set(words):
            return True
        if base.startswith("tini") and "-g" in words:
            return True
    return False


_COMMAND_END = lazy_compile(r"&&|\|\||;|\||(?<!\\)\n")


class CommandEnds:
    """Where each shell command of a text ends (`&&`, `||`, `;`, `|`, an unescaped newline), found in one pass
    so that asking for many commands of one long RUN stays linear."""

    def __init__(self, text: str) -> None:
        self._ends = [m.start() for m in _COMMAND_END.finditer(text)]
        self._length = len(text)

    def after(self, start: int) -> int:
        index = bisect.bisect_left(self._ends, start)
        return self._ends[index] if index < len(self._ends) else self._length


def commands_of(script: str) -> list[list[str]]:
    """A shell script's simple commands (split on `&&`, `||`, `;`, `|`, `&` and newlines), each as words."""
    out: list[list[str]] = [[]]
    for line in script.replace("\\\n", " ").splitlines():
        for word in split_words(line):
            if word in SEPARATORS or set(word) <= set(";&|"):
                out.append([])
            else:
                out[-1].append(word)
        out.append([])
    return [c for c in out if c]


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


@record
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
    """The ENV in effect at the end of the stage (its parents' first). Computed for every stage at once, each
    from its parent's, so that a file of thousands of chained stages stays linear."""
    if df.stage_envs is None or len(df.stage_envs) != len(df.stages):
        envs: list[dict[str, str]] = []
        for st in df.stages:
            parent = df.stage_named(st.base_resolved)
            env = dict(envs[parent.index]) if parent is not None and parent.index < st.index else {}
            env.update(st.env())
            envs.append(env)
        df.stage_envs = envs
    return dict(df.stage_envs[stage.index])


_URL_PORT = lazy_compile(r"https?://[^/\s:'\"]+:(\d+)")


def url_ports(text: str) -> list[int]:
    return [int(p) for p in _URL_PORT.findall(text)]
