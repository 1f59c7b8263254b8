from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import DB_IMAGES, CheckContext
from quayside.check.model import Finding, Rule, Severity, register

TYPE_CHECKING = False  # typing costs 3-5 ms at check's start: see quayside.record
if TYPE_CHECKING:
    from typing import Any


def is_database(svc: Any) -> bool:
    image = str(svc.get("image", "")).split("@")[0]
    name = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return any(name == d or name.endswith("/" + d) for d in DB_IMAGES)


@register
class ComposeDbReadiness(Rule):
    """In compose, the app depends on a database without waiting for it to be healthy, or the database has no
    volume.

    ## Why
    `depends_on: [db]` only waits for the database container to start, not for the database to accept
    connections. The app's first queries, or its migrations, fail on every cold start. A database without
    a volume loses all data when its container is recreated (`docker compose down`, an image update).

    ## Fix
    Give the database a `healthcheck` (`pg_isready`) and write
    `depends_on: {db: {condition: service_healthy}}`. Mount a named volume on its data directory.
    """

    id = "QS021"
    name = "compose-db-readiness"
    severity = Severity.WARNING
    summary = "compose does not wait for a healthy database, or loses its data"
    references = (
        ("Compose: depends_on", "https://docs.docker.com/reference/compose-file/services/#depends_on"),
        ("Compose: volumes", "https://docs.docker.com/reference/compose-file/volumes/"),
    )
    bad = {"compose.yaml": "services:\n  app:\n    build: .\n    depends_on:\n      - db\n  db:\n    image: postgres:17\n"}
    good = {"compose.yaml": (
        "services:\n  app:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n"
        "  db:\n    image: postgres:17\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]\n"
        "    volumes:\n      - db-data:/var/lib/postgresql/data\nvolumes:\n  db-data: {}\n")}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        services = ctx.compose_services()
        databases = {name for _, name, svc in services if is_database(svc)}
        for doc, name, svc in services:
            depends = svc.get("depends_on")
            if isinstance(depends, list):
                for dep in depends:
                    if str(dep) in databases:
                        yield self.at_line(doc.path, doc.line_of(svc, "depends_on"), 1,
                                           f"service {name} waits only for {dep} to start, not to accept connections: use condition: service_healthy")
            elif isinstance(depends, dict):
                for dep, spec in depends.items():
                    condition = spec.get("condition") if isinstance(spec, dict) else None
                    if str(dep) in databases and condition != "service_healthy":
                        yield self.at_line(doc.path, doc.line_of(depends, dep), 1,
                                           f"service {name} depends on {dep} with condition {condition or 'service_started'}: use service_healthy")
            if name in databases and not svc.get("volumes"):
                yield self.at_line(doc.path, doc.line_of(doc.data["services"], name), 1, f"database service {name} has no volume: its data dies with the container")
