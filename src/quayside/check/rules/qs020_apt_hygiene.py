from __future__ import annotations

from collections.abc import Iterator

from quayside.check.command import CommandEnds
from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Fix, FixSafety, Rule, Severity, TextEdit, register
from quayside.check.rules._util import shipped_stages

APT_INSTALL = lazy_compile(r"\bapt(-get)?\s+(?:-\S+\s+)*install\b")


@register
class AptHygiene(Rule):
    """`apt-get install` without `--no-install-recommends`, or without removing the package lists.

    ## Why
    Recommended packages roughly double what apt installs (documentation, X11 libraries, extra tools), and
    the package lists in `/var/lib/apt/lists` add tens of megabytes. Both stay in the layer unless removed
    in the same `RUN`.

    ## Fix
    `apt-get install -y --no-install-recommends ... && rm -rf /var/lib/apt/lists/*`, or a cache mount on
    `/var/lib/apt`. `--fix` adds both.
    """

    id = "QS020"
    name = "apt-hygiene"
    severity = Severity.WARNING
    summary = "apt leaves recommended packages or lists in the image"
    references = (
        ("Docker best practices: apt-get", "https://docs.docker.com/build/building/best-practices/#apt-get"),
    )
    fix_safety = FixSafety.UNSAFE
    unsafe_because = "recommended packages are no longer installed; a program that needed one of them fails at run time"
    fixable = True
    bad = {"Dockerfile": "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y libpq5\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\\n    && rm -rf /var/lib/apt/lists/*\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            # a build stage's layers are not shipped: only what the images are made of counts
            shipped = [ins for st in shipped_stages(ctx, df) for ins in st.instructions]
            for ins in shipped:
                if ins.keyword != "RUN" or not APT_INSTALL.search(ins.args):
                    continue
                text = ins.args + "\n".join(h.body for h in ins.heredocs)
                problems, edits = [], []
                # each install command on its own: a compliant one does not excuse the next in the same RUN
                raw = df.text[ins.start:ins.end]
                ends = CommandEnds(raw)
                # one verdict per command (its first `install` word), so a long command is read once
                first_of_command = {ends.after(m.end()): m for m in reversed(list(APT_INSTALL.finditer(raw)))}
                bare = sorted((m for end, m in first_of_command.items() if "--no-install-recommends" not in raw[m.start():end]), key=lambda m: m.start())
                if bare and "Install-Recommends" not in text:
                    problems.append("without --no-install-recommends")
                    edits += [TextEdit(df.path, ins.start + m.end(), ins.start + m.end(), " --no-install-recommends") for m in bare]
                cached = any("type=cache" in v and "/var/lib/apt" in v for v in ins.flag_values("mount"))
                if "/var/lib/apt/lists" not in text and not cached:
                    problems.append("without removing /var/lib/apt/lists")
                    if not ins.heredocs and ins.exec_form is None:
                        edits.append(TextEdit(df.path, ins.end, ins.end, " \\\n    && rm -rf /var/lib/apt/lists/*"))
                if problems:
                    fix = Fix("slim apt install", tuple(edits)) if edits else None
                    yield self.at(df.path, ins, "apt-get install " + " and ".join(problems) + ": extra megabytes in the layer", fix)
