"""Every setting of the service, read from the environment in one place.

Each field is documented in ``docs/configuration.md``; a bad value stops the service at start
with a message naming the variable and what it accepts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/residency.db"


class SettingsError(ValueError):
    """A setting in the environment has a value the service cannot run with."""


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``, ``sqlite:///``) and
    choose the async driver the service uses for each."""
    for prefix, replacement in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return replacement + url.removeprefix(prefix)
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError("must be a postgresql:// or sqlite:/// URL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    service_name: str = Field(default="residency-scheduler", min_length=1, max_length=64)

    # Logging (docs/logging.md)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None
    log_format: Literal["json", "console"] = "json"
    log_file: str | None = None
    log_max_file_size: int = Field(default=100, ge=1, le=10_000)  # MB
    log_backup_count: int = Field(default=7, ge=0, le=1000)

    # Metrics (docs/observability.md, docs/metrics.md)
    metrics_enabled: bool = True
    metrics_token: str | None = None
    pushgateway_url: str | None = None
    pushgateway_job: str = Field(default="residency-scheduler", min_length=1, max_length=128)
    pushgateway_interval: float = Field(default=60.0, gt=0, le=86_400)

    # Tracing: OpenTelemetry's own OTEL_* variables are honoured too (docs/observability.md)
    tracing_enabled: bool = False
    tracing_console: bool = False
    jaeger_endpoint: str | None = None

    @property
    def effective_log_level(self) -> str:
        """LOG_LEVEL, else DEBUG in development and INFO everywhere else."""
        if self.log_level is not None:
            return self.log_level
        return "DEBUG" if self.environment == "development" else "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) and value else (value or None)

    @field_validator("log_file", "metrics_token", "pushgateway_url", "jaeger_endpoint")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        lines.append(f"{name}: {str(err['msg']).removeprefix('Value error, ')}")
    return "invalid configuration: " + "; ".join(lines)


def load_settings() -> Settings:
    """Read the environment, turning pydantic's report into one readable message."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
