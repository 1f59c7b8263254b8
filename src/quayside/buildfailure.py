"""Why a build failed, in the user's terms: the failing step, its own last output lines (BuildKit's plain
progress interleaves every step's output, and pip's last line is often only "This error originates from a
subprocess"), and, for the causes real projects hit, what fixes them."""

from __future__ import annotations

import re
from pathlib import Path

_ERROR = re.compile(r"^#(\d+) ERROR: (.*)$")
_STEP = re.compile(r"^#(\d+) \[(?:[^\]]+)\] (.+)$")
_NOISE = re.compile(r"^(DONE|CACHED|sha256:|\[internal\]|transferring|resolve |extracting |naming to |exporting )")
TAIL_LINES = 25

# (what the output says, what it means, what to do): the common source builds of FastAPI projects' dependencies
HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"pg_config executable not found|libpq-fe\.h"),
     "psycopg2 builds from source and needs PostgreSQL's headers: depend on psycopg2-binary (or psycopg[binary]), "
     "or install libpq-dev and gcc in the build stage and libpq5 in the runtime (`quayside init` does: "
     "--apt-build libpq-dev --apt-runtime libpq5)"),
    (re.compile(r"mysql_config|mysqlclient.*pkg-config|Can not find valid pkg-config name"),
     "mysqlclient builds from source: install default-libmysqlclient-dev, pkg-config and gcc in the build stage "
     "and libmariadb3 in the runtime (--apt-build default-libmysqlclient-dev --apt-runtime libmariadb3), or use PyMySQL"),
    (re.compile(r"lber\.h|ldap\.h|sasl/sasl\.h"),
     "python-ldap builds from source: install libldap2-dev, libsasl2-dev and gcc in the build stage and libldap-2.5-0 "
     "in the runtime"),
    (re.compile(r"sql\.h: No such file|unixODBC"),
     "pyodbc builds from source: install unixodbc-dev and g++ in the build stage and unixodbc in the runtime"),
    (re.compile(r"command 'gcc' failed|gcc: not found|error: command 'x86_64-linux-gnu-gcc' failed|No such file or directory: 'gcc'"),
     "a dependency has no wheel for this Python and platform and builds from source, which needs a compiler: "
     "pin a version that ships a wheel, or install gcc (and the library's -dev package) in the build stage "
     "(--apt-build gcc --apt-build libfoo-dev)"),
    (re.compile(r"Unsupported compiler|C\+\+1[147] support is needed|command 'g\+\+' failed|g\+\+: not found"),
     "a dependency builds C++ from source and the build stage has no C++ compiler: pin a version that ships a "
     "wheel for this Python, or add one (--apt-build g++)"),
    (re.compile(r"401 Unauthorized|401 Client Error|401 Error, Credentials|status code 401|403 Forbidden"),
     "the package index refused the build's request for lack of credentials: put them in a netrc file (machine HOST "
     "login USER password TOKEN) and pass it as a BuildKit secret, `quayside build --secret netrc=~/.netrc`; the "
     "Dockerfile init writes mounts it when the project names its index (requirements --index-url, [[tool.uv.index]], ...)"),
    (re.compile(r"load metadata for \S+ failed|pull access denied|manifest unknown|failed to resolve source metadata for"),
     "the engine has no such base image and cannot pull it: pull it where a registry is reachable, or choose a "
     "Python it has (--python 3.12; see `docker images python`)"),
    (re.compile(r"Failed to fetch: https?://|error resolving DNS|Name does not resolve|Temporary failure in name resolution|"
                r"Failed to establish a new connection|Could not fetch URL"),
     "the build could not reach a package index: one the requirements name (--index-url, --extra-index-url, "
     "[[tool.uv.index]]), or the default one: the build's network must reach it (`quayside build --network host` "
     "when only this machine does), or install those packages from an index it reaches"),
    (re.compile(r"No matching distribution found for|ResolutionImpossible|Because .* depends on|No solution found"),
     "the installer found no versions that fit: a pin may not exist for this Python version (check --python, "
     "requires-python) or on the package index this build reaches"),
    (re.compile(r"lock file .* (needs to be|is) (updated|out of date)|The lockfile at .* needs to be updated|pyproject\.toml changed significantly"),
     "the lock file is older than pyproject.toml: update it (uv lock, poetry lock, pdm lock) and commit it"),
)


def explain(output: str) -> tuple[str, str | None]:
    """(the failing step and its last lines, a hint) from a failed build's plain progress output."""
    lines = output.splitlines()
    failing = next((m for m in map(_ERROR.match, reversed(lines)) if m), None)
    if failing is None:
        tail = [line for line in lines if line.strip()][-TAIL_LINES:]
        return "\n".join(tail), _hint(output)
    step_id = failing.group(1)
    name = next((m.group(2) for m in map(_STEP.match, lines) if m and m.group(1) == step_id), "a build step")
    name = " ".join(name.split())  # a RUN written over several lines arrives with their indentation
    prefix = f"#{step_id} "
    own = []
    for line in lines:
        if line.startswith(prefix):
            raw = line[len(prefix):]
            if raw.startswith("ERROR:"):
                continue  # BuildKit's own summary of the step (shown as the reason); the step's output has a timestamp
            text = re.sub(r"^\d+\.\d+ ", "", raw)  # BuildKit's timestamp
            if text.strip() and not _NOISE.match(text):
                own.append(text)
    shown = own[-TAIL_LINES:]
    summary = f"{name} failed ({failing.group(2)})"
    return summary + ("\n" + "\n".join(f"  {line}" for line in shown) if shown else ""), _hint("\n".join(own) or output)


def _hint(text: str) -> str | None:
    return next((hint for pattern, hint in HINTS if pattern.search(text)), None)


def system_freeze_hint(context: Path) -> str | None:
    """A hint when the build context's requirements.txt is a freeze of a system Python, else None."""
    from quayside.inspection.source import decode_requirements
    from quayside.inspection.systemfreeze import system_pins

    try:
        data = (context / "requirements.txt").read_bytes()
    except OSError:
        return None
    text = decode_requirements(data) or data.decode("utf-8", errors="replace")  # a BOM names UTF-16 (pip's reading)
    named = system_pins(text)
    if not named:
        return None
    shown = ", ".join(named[:3])
    return (f"requirements.txt is a pip freeze of a system Python: it pins the distribution's own packages ({shown}), "
            "which PyPI does not have, beside versions apt chose that need not fit together; freeze a virtualenv that "
            "holds only the app's dependencies (python -m venv .venv, install them there, pip freeze > requirements.txt)")
