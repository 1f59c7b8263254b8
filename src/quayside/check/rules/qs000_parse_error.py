from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.model import Finding, Rule, Severity, register


@register
class ParseError(Rule):
    """A file quayside could not read or parse.

    ## Why
    A Dockerfile that does not parse fails the build, and one quayside cannot read cannot be checked.
    Every problem is reported with its line, never as a crash: unknown instructions, instructions before
    `FROM`, unclosed heredocs, invalid escape directives, binary or non-UTF-8 files, invalid YAML and
    YAML documents too large to be real manifests.
    """

    id = "QS000"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "the file cannot be parsed"
    references = (
        ("Dockerfile reference", "https://docs.docker.com/reference/dockerfile/"),
        ("Compose file reference", "https://docs.docker.com/reference/compose-file/"),
    )
    bad = {"Dockerfile": "FROM python:3.12-slim\nRUNN pip install fastapi\n"}
    good = {"Dockerfile": "FROM python:3.12-slim\nRUN pip install --no-cache-dir fastapi\n"}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df in ctx.dockerfiles:
            for error in df.errors:
                yield self.at_line(df.path, error.line, error.column, error.message)
        for path, line, message in ctx.load_errors:
            yield Finding(self.id, self.name, self.severity, path, line, 1, line, 2, message)
