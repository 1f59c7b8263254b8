"""The file compose fills `${NAME}` in from: `.env` beside the compose file, as compose reads by default, unless
the project keeps a folder of that name (testdrivenio/fastapi-celery-project: `.env/.dev-sample`). Compose skips a
`.env` folder silently, so quayside writes `.env.quayside` then and passes it with `--env-file` wherever it runs
compose; DEPLOY.md says so for a hand-typed `docker compose`."""

from __future__ import annotations

from pathlib import Path

DEFAULT = ".env"
BESIDE_A_FOLDER = ".env.quayside"


def env_file_name(root: Path) -> str:
    default = root / DEFAULT
    return BESIDE_A_FOLDER if default.is_dir() and not default.is_symlink() else DEFAULT


def env_file_args(root: Path) -> list[str]:
    """`--env-file` for `docker compose` when the file is not the one it reads by itself."""
    name = env_file_name(root)
    return [] if name == DEFAULT else ["--env-file", str(root / name)]
