from __future__ import annotations

import json
import re
from collections.abc import Iterator

from quayside.check.command import split_words
from quayside.check.context import CheckContext
from quayside.check.dockerfile import Dockerfile, Stage
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, FixSafety, Rule, Severity, TextEdit, register
from quayside.check.rules._util import app_services, chain_instructions, compose_health_test, final_stages

INSTALL = lazy_compile(r"\b(apt-get|apt|apk|microdnf|dnf|yum)\b[^&;|]*\b(install|add)\b([^&;|]*)")


def tools_in_base(image: str) -> set[str] | None:
    """What an image ships among curl and wget; None when quayside does not know the image."""
    name = image.split("@")[0].lower()
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    if "distroless" in repo or repo == "scratch" or name == "scratch":
        return set()
    if "alpine" in tag or repo.endswith("alpine"):
        return {"wget"}  # busybox
    if "slim" in tag or "slim" in repo:
        return set()
    if repo.rsplit("/", 1)[-1] in ("python", "buildpack-deps"):
        return {"curl", "wget"}
    if repo.rsplit("/", 1)[-1] in ("debian", "ubuntu"):
        return set()
    return None


def installed_tools(df: Dockerfile, stage: Stage) -> set[str]:
    found: set[str] = set()
    for ins in chain_instructions(df, stage, "RUN"):
        for m in INSTALL.finditer(ins.args):
            found |= {t for t in ("curl", "wget") if re.search(rf"(^|\s){t}(\s|$|=)", m.group(3))}
    return found


def used_tool(words: list[str]) -> str | None:
    return next((w for w in (x.rsplit("/", 1)[-1] for x in words) if w in ("curl", "wget")), None)


def python_check(url: str) -> list[str]:
    return ["python", "-c", f"import urllib.request; urllib.request.urlopen({url!r}, timeout=3)"]


@register
class HealthcheckToolMissing(Rule):
    """The health check calls `curl` or `wget`, and the final image does not have it.

    ## Why
    `python:3.X-slim`, distroless and scratch images ship neither `curl` nor `wget` (Alpine has only
    busybox `wget`). The check then fails on every run with "not found": the container is reported
    unhealthy forever, and orchestrators restart or never route to it. The app itself is fine.

    ## Fix
    Let the image's own Python do the request:
    `HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]`.
    `--fix` rewrites a `HEALTHCHECK` this way when the URL is plain.
    """

    id = "QS008"
    name = "healthcheck-tool-missing"
    severity = Severity.ERROR
    summary = "the health check needs a tool the image does not have"
    references = (
        ("Dockerfile: HEALTHCHECK", "https://docs.docker.com/reference/dockerfile/#healthcheck"),
        ("The python slim images", "https://hub.docker.com/_/python"),
    )
    fix_safety = FixSafety.UNSAFE
    unsafe_because = "the health check runs another program: a check that passed with curl's options (redirects, headers) may now fail, or the reverse"
    fixable = True
    bad = {"Dockerfile": 'FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://127.0.0.1:8000/health || exit 1\nCMD ["fastapi", "run", "main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nHEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(\'http://127.0.0.1:8000/health\')"]\nCMD ["fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage in final_stages(ctx):
            base = df.external_base(stage)
            shipped = tools_in_base(base)
            if shipped is None:
                continue
            available = shipped | installed_tools(df, stage)
            checks = chain_instructions(df, stage, "HEALTHCHECK")
            if checks:
                ins = checks[-1]
                body = re.sub(r"^\s*CMD\s+", "", ins.rest, flags=re.IGNORECASE)
                argv = None
                if body.lstrip().startswith("["):
                    try:
                        argv = json.loads(body)
                    except json.JSONDecodeError:
                        argv = None
                words = argv if isinstance(argv, list) else split_words(body)
                tool = used_tool(words)
                if tool and tool not in available:
                    fix = None
                    urls = [w for w in words if w.startswith(("http://", "https://"))]
                    raw = df.text[ins.start:ins.end]
                    m = re.search(r"\bCMD\b", raw[len("HEALTHCHECK"):])
                    if len(urls) == 1 and base.split("/")[-1].startswith("python") and m:
                        start = ins.start + len("HEALTHCHECK") + m.start()
                        fix = Fix("check with the image's Python", (TextEdit(df.path, start, ins.end, "CMD " + json.dumps(python_check(urls[0]))),))
                    yield self.at(df.path, ins, f"HEALTHCHECK calls {tool}, which {base} does not have: the check always fails", fix)
            for doc, name, svc in app_services(ctx, df.path):
                test = compose_health_test(svc)
                tool = used_tool(test) if test is not None else None
                if tool and tool not in available:
                    line = doc.line_of(svc["healthcheck"], "test")
                    yield self.at_line(doc.path, line, 1, f"service {name}: the health check calls {tool}, which {base} does not have")
