from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration from the environment, a local .env file, and secret files (swarm and Kubernetes mount
    them under /run/secrets: a file named database_url sets database_url)."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore",
        secrets_dir="/run/secrets" if Path("/run/secrets").is_dir() else None,
    )

    # No DATABASE_URL: an embedded SQLite file, so the service just runs.
    database_url: str = "sqlite:///./items.db"
    # Seconds to wait for the database before /ready gives up.
    database_timeout: float = 2.0

    @field_validator("database_url")
    @classmethod
    def use_psycopg(cls, value: str) -> str:
        # postgresql:// means psycopg2 to SQLAlchemy; this service ships psycopg 3
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix):]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
