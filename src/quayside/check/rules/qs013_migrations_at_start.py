from __future__ import annotations

from collections.abc import Iterator

from quayside.check.context import CheckContext
from quayside.check.lazyre import lazy_compile
from quayside.check.model import Finding, Rule, Severity, register
from quayside.check.rules._util import entry_script, final_commands

MIGRATIONS = lazy_compile(r"\b(alembic\s+upgrade|manage\.py\s+migrate|aerich\s+upgrade|prisma\s+migrate\s+deploy|yoyo\s+apply|flask\s+db\s+upgrade)\b")


@register
class MigrationsAtStart(Rule):
    """Database migrations run in the container command (`alembic upgrade head && fastapi run ...`).

    ## Why
    Every replica and every restart runs the migration, concurrently: two replicas that start together race
    on the schema. A failed migration crash-loops the app instead of stopping the deploy. The shell needed to
    chain the commands also often ends up as PID 1.

    ## Fix
    Run migrations once, before the app starts: a one-off compose service the app waits for
    (`condition: service_completed_successfully`), a Kubernetes Job or init container, or your deploy
    pipeline.
    """

    id = "QS013"
    name = "migrations-at-start"
    severity = Severity.WARNING
    summary = "migrations run at every container start"
    references = (
        ("FastAPI guide: Previous Steps Before Starting", "https://fastapi.tiangolo.com/deployment/docker/#previous-steps-before-starting"),
    )
    bad = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["sh", "-c", "alembic upgrade head && exec fastapi run main.py"]\n'}
    good = {"Dockerfile": 'FROM python:3.12-slim\nCMD ["fastapi", "run", "main.py"]\n'}

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for df, stage, command in final_commands(ctx):
            text = " ".join(command.words())
            m = MIGRATIONS.search(text)
            if m:
                yield self.at(df.path, command.instruction, f"`{m.group(1)}` runs at every start of every replica: make it a pre-start step")
                continue
            inner = command.inner
            # the script the container starts: `./start.sh`, `bash scripts/start.sh`, or ENTRYPOINT ["tini", "--", "/start.sh"]
            for word in inner[:2]:
                script = entry_script(ctx, df, stage, command.instruction, word)
                m = MIGRATIONS.search(script) if script else None
                if m:
                    yield self.at(df.path, command.instruction, f"{word} runs `{m.group(1)}` at every start: make it a pre-start step")
                    break
