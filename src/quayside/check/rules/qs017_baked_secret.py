from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from quayside.check.context import CheckContext, DockerIgnore, parse_dockerignore
from quayside.check.dockerfile import parse_key_values
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import BROAD_SOURCES, copy_sources
from quayside.secretfiles import ALLOWED, SECRET_PATTERNS

SECRET_NAME = lazy_compile(r"(?i)(secret|passw(or)?d|passwd|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)")
SECRET_VALUE = lazy_compile(r"(AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|sk-[A-Za-z0-9_-]{20,}|xox[abp]-[A-Za-z0-9-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY-----)")
URL_CREDENTIALS = lazy_compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@")
NOT_A_SECRET_NAME = lazy_compile(r"(?i)(_(file|path|url|uri|endpoint|host|port|name|header|ttl|expires?\w*|length|algorithm|type|dir"
                               r"|tokens|count|limit|size|len)$|^max_)")
CONTENT_LIMIT = 64 * 1024  # a secret file is small; a larger one is judged by its name alone
_PRIVATE_KEY = lazy_compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----")
_CREDENTIAL_LINE = lazy_compile(r"(?im)^\s*(//\S+:)?(_authToken|_auth|_password|password|login)\s*[=:\s]\s*(?![\"']?\$\{)\S+")


@functools.cache
def _secret_regexes() -> list[tuple[re.Pattern[str], str]]:
    """The same list the generated .dockerignore keeps out (built when a COPY is first judged, not at import)."""
    return [(parse_dockerignore("", pattern).patterns[0][1], what) for pattern, what in SECRET_PATTERNS]


@functools.cache
def _allowed() -> DockerIgnore:
    """A negated entry in that list (.env.example) is allowed back in."""
    return parse_dockerignore("", "\n".join(a.removeprefix("!") for a in ALLOWED))

PLACEHOLDER = lazy_compile(r"^(\$.*|<.*>|changeme|change-me|changethis|example|dummy|xxx+|\*+|.*placeholder.*|your[-_].*)$", re.IGNORECASE)
# documented examples of the settings, not the settings: `.env.example` and its cousins
SAMPLE_NAME = lazy_compile(r"(?i)[._-](example|sample|template|dist|tpl|defaults?)$")


@register
class BakedSecret(Rule):
    """A secret in the image: a secret-looking `ENV`/`ARG` value, credentials in a URL, or a secret file (`.env`,
    a key, a certificate, a credentials file, a local database) that a `COPY` brings in.

    ## Why
    Every `ENV` and `ARG` value is stored in the image's config and history (`docker history`,
    `docker inspect`), and every copied file stays in its layer even if a later step deletes it. Anyone
    who can pull the image can read them.

    ## Fix
    Pass secrets at run time (environment, compose `env_file`, Docker/Kubernetes secrets), or at build
    time with `RUN --mount=type=secret`. Keep secret files out with `.dockerignore`: the one `quayside init`
    writes lists `.env*`, `.envrc`, `.npmrc`, `.pypirc`, `.netrc`, SSH keys, `*.pem`, `*.key`, key stores,
    credential files and local databases.
    """

    id = "QS017"
    name = "baked-secret"
    severity = Severity.ERROR
    summary = "a secret is baked into the image"
    references = (
        ("Docker build secrets", "https://docs.docker.com/build/building/secrets/"),
        ("Dockerfile: ENV", "https://docs.docker.com/reference/dockerfile/#env"),
    )
    bad = {"Dockerfile": "FROM python:3.12-slim\nENV DATABASE_URL=postgresql://app:hunter2@db:5432/app\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nENV DATABASE_URL=postgresql://app@db:5432/app\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        ignore = ctx.dockerignore or parse_dockerignore(".dockerignore", "")
        for df in ctx.dockerfiles:
            for ins in df.instructions:
                if ins.keyword in ("ENV", "ARG"):
                    for key, value in parse_key_values(ins.rest).items():
                        problem = self._secret(key, value)
                        if problem:
                            yield self.at(df.path, ins, f"{ins.keyword} {key}: {problem}; it is readable by anyone with the image")
                elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                    sources = copy_sources(ins)
                    named = [s for s in sources if s.rsplit("/", 1)[-1] == ".env" or s.endswith(".env")]
                    if named:
                        yield self.at(df.path, ins, f"{', '.join(named)} copied into the image: its secrets ship with every pull")
                        continue
                    shipped = self._secret_files(ctx, sources, ignore)
                    if shipped:
                        shown = ", ".join(f"{path} ({what})" for path, what in shipped[:3])
                        more = f" and {len(shipped) - 3} more" if len(shipped) > 3 else ""
                        yield self.at(df.path, ins, f"this COPY brings {shown}{more} into the image: add "
                                      f"{'it' if len(shipped) == 1 else 'them'} to .dockerignore")

    @staticmethod
    def _secret_files(ctx: CheckContext, sources: list[str], ignore: DockerIgnore) -> list[tuple[str, str]]:
        """Secret-looking files under the COPY's sources that .dockerignore lets into the context."""
        prefixes = []
        for source in sources:
            if source in BROAD_SOURCES:
                prefixes.append("")
            elif not any(c in source for c in "*?["):
                prefixes.append(source.strip("/").removeprefix("./").rstrip("/") + "/")
        if not prefixes:
            return []
        if "QS017" not in ctx.derived:  # the context's secret-looking names, matched once for all its COPYs
            ctx.derived["QS017"] = [
                (rel, what) for rel in ctx.context_files()
                # a committed virtualenv's packages (their test keys are public), or an example file
                if "site-packages/" not in rel and not SAMPLE_NAME.search(rel)
                for what in [next((what for regex, what in _secret_regexes() if regex.fullmatch(rel)), None)] if what is not None
            ]
        found = []
        for rel, what in ctx.derived["QS017"]:
            if not any(prefix == "" or rel.startswith(prefix) or rel + "/" == prefix for prefix in prefixes):
                continue
            if not ignore.excludes(rel) and not _allowed().excludes(rel) and _holds_secret(ctx.root / rel, what):
                found.append((rel, what))
        return found

    @staticmethod
    def _secret(key: str, value: str) -> str | None:
        value = value.strip().strip("\"'")
        if SECRET_VALUE.search(value):
            return "the value looks like a real credential"
        m = URL_CREDENTIALS.search(value)
        if m and not PLACEHOLDER.match(m.group(1)) and not m.group(1).startswith("$"):
            return "the URL carries a password"
        if value and SECRET_NAME.search(key) and not NOT_A_SECRET_NAME.search(key) and not PLACEHOLDER.match(value):
            return "a secret-looking name with a literal value"
        return None


def _holds_secret(path: Path, what: str) -> bool:
    """Whether a file named like a secret holds one, where its content can tell: an environment file with a
    secret-looking name set to a real value, a PEM file with a private key (not a certificate or a public
    key), a registry config with a token. Anything unreadable or large counts as a secret."""
    if what not in ("an environment file", "a direnv file", "a key or certificate", "a private key", "an npm credentials file",
                    "a PyPI credentials file", "a netrc credentials file"):
        return True
    try:
        if not path.is_file():
            return True
        large = path.stat().st_size > CONTENT_LIMIT
        with path.open("rb") as handle:
            text = handle.read(CONTENT_LIMIT).decode("utf-8", errors="replace")
    except OSError:
        return True
    if what in ("a key or certificate", "a private key"):
        # a certificate bundle is public; a private key anywhere in the first 64 KiB is not
        return bool(_PRIVATE_KEY.search(text)) or "-----BEGIN" not in text  # not PEM at all: cannot tell
    if large:
        return True
    if what in ("an npm credentials file", "a PyPI credentials file", "a netrc credentials file"):
        return bool(_CREDENTIAL_LINE.search(text))
    for line in text.splitlines():
        line = line.strip().removeprefix("export ").strip()
        if "=" not in line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.split(" #", 1)[0].strip()
        if value and BakedSecret._secret(key.strip(), value) is not None:
            return True
    return False
