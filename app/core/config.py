"""Every setting of the service, read from the environment in one place.

Each field is documented in ``docs/configuration.md``; a bad value stops the service at start
with a message naming the variable and what it accepts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/residency.db"
MIN_JWT_SECRET = 32


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

    # Security (docs/security.md): sign-in tokens, lockout, rate limits, caches
    jwt_secret: SecretStr | None = Field(default=None, validate_default=True)
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    rate_limit_login: str = "5/minute"  # per client IP
    rate_limit_api: str = "200/minute"  # per signed-in user
    lockout_threshold: int = Field(default=5, ge=1, le=100)  # failures before a lock
    lockout_seconds: int = Field(default=60, ge=1, le=86_400)  # first lock; doubles
    lockout_max_seconds: int = Field(default=3600, ge=1, le=604_800)
    suspicious_exports_per_hour: int = Field(default=20, ge=1, le=100_000)
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    active_users_window_seconds: int = Field(default=300, ge=10, le=86_400)

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

    @field_validator("jwt_secret", mode="before")
    @classmethod
    def _jwt_secret_unset(cls, value: object) -> object:
        return value or None

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Signing keys must be strong; production refuses to start on an ephemeral one.
        if value is None:
            if info.data.get("environment") == "production":
                raise ValueError(
                    "required when ENVIRONMENT=production: at least 32 random characters "
                    "(e.g. `openssl rand -hex 32`)"
                )
            return None
        secret = value.get_secret_value()
        if len(secret) < MIN_JWT_SECRET or len(set(secret)) < 8:
            raise ValueError(f"must be at least {MIN_JWT_SECRET} random characters")
        return value

    @field_validator("rate_limit_login", "rate_limit_api")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                "must be a rate like 5/minute, 200/minute or 1000/hour;10/second"
            ) from None
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
