"""Every setting of the service, read from the environment in one place.

Each field is documented in ``docs/configuration.md``; a bad value stops the service at start
with a message naming the variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.metrics.pushgateway import gateway_url
from app.core.otlp_endpoints import OtlpProtocol, resolve_otlp, validate_endpoint

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/residency.db"
MIN_JWT_SECRET = 32
MIN_METRICS_TOKEN = 16
_BEARER = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")  # RFC 6750 b64token: travels in a header as is
# A host name or IPv4 address, or a bracketed IPv6 literal: what a Host header carries, no port
_HOST_PATTERN = re.compile(r"^([a-z0-9-]+(\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])$")
_STRIPPED = frozenset({"otel_service_name", "jaeger_endpoint", "otel_exporter_otlp_endpoint"})

Sampler = Literal[
    "always_on", "parentbased_always_on", "always_off", "parentbased_always_off",
    "traceidratio", "parentbased_traceidratio",
]  # fmt: skip
SAMPLERS: dict[str, float | None] = {
    "always_on": 1.0,
    "parentbased_always_on": 1.0,
    "always_off": 0.0,
    "parentbased_always_off": 0.0,
    "traceidratio": None,  # the rate comes from OTEL_TRACES_SAMPLER_ARG
    "parentbased_traceidratio": None,
}


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
    # Faults (docs/configuration.md): every wait on the database or Redis is bounded
    database_connect_timeout: float = Field(default=5.0, gt=0, le=300)  # seconds
    database_pool_timeout: float = Field(default=10.0, gt=0, le=300)  # wait for a free connection
    database_statement_timeout: float = Field(default=30.0, gt=0, le=86_400)  # PostgreSQL
    ready_timeout_seconds: float = Field(default=2.0, gt=0, le=60)  # /ready's own bound
    redis_url: str | None = None
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=60)  # connect and each call
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    service_name: str = Field(default="residency-scheduler", min_length=1, max_length=64)

    # Generation jobs (docs/configuration.md): who runs them, where they wait without Redis
    generation_worker: Literal["embedded", "external"] = "embedded"
    generation_queue_file: str | None = None  # None: generation-queue.db beside the SQLite db

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

    # prometheus_client's own variable: several workers share metrics through this directory
    # (``serve --workers N`` sets it; docs/metrics.md)
    prometheus_multiproc_dir: str | None = None

    # Tracing (docs/tracing.md): the app's switches, and OpenTelemetry's standard OTEL_*
    # variables, which win over the app's settings where both say the same thing.
    tracing_enabled: bool = False
    tracing_console: bool = False
    jaeger_endpoint: str | None = None
    otel_sdk_disabled: bool = False
    otel_service_name: str | None = Field(default=None, max_length=64)
    otel_exporter_otlp_traces_endpoint: str | None = None
    otel_exporter_otlp_endpoint: str | None = None  # a base URL: /v1/traces is added for HTTP
    otel_exporter_otlp_traces_protocol: OtlpProtocol | None = None
    otel_exporter_otlp_protocol: OtlpProtocol | None = None
    otel_traces_sampler: Sampler | None = None
    otel_traces_sampler_arg: float | None = Field(default=None, ge=0, le=1)
    otel_bsp_max_queue_size: int | None = Field(default=None, ge=1)
    otel_bsp_max_export_batch_size: int | None = Field(default=None, ge=1)
    otel_bsp_schedule_delay: int | None = Field(default=None, gt=0)  # milliseconds
    otel_bsp_export_timeout: int | None = Field(default=None, gt=0)  # milliseconds

    # Security (docs/security.md): sign-in tokens, lockout, rate limits, caches
    jwt_secret: SecretStr | None = Field(default=None, validate_default=True)
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    rate_limit_login: str = "5/minute"  # per client IP
    rate_limit_api: str = "200/minute"  # per signed-in user
    lockout_threshold: int = Field(default=5, ge=1, le=100)  # per (account, IP), and per IP
    lockout_account_threshold: int = Field(default=50, ge=1, le=10_000)  # per account, any IP
    lockout_seconds: int = Field(default=60, ge=1, le=86_400)  # first lock; doubles
    lockout_max_seconds: int = Field(default=3600, ge=1, le=604_800)
    suspicious_exports_per_hour: int = Field(default=20, ge=1, le=100_000)
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    active_users_window_seconds: int = Field(default=300, ge=10, le=86_400)

    # Who may say who the client is, which Host names are served, the API docs (docs/security.md)
    trusted_proxies: str = ""  # IPs/CIDRs whose X-Forwarded-For/-Proto count; empty: nobody's
    trusted_hosts: str | None = Field(default=None, validate_default=True)  # None: "*"
    api_docs: bool | None = None  # None: on except in production

    # Request bodies (docs/configuration.md): larger ones get 413 before they are parsed
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    max_import_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)  # import, validate

    # Grafana (docs/observability.md): credentials of `dashboards push`, never a flag value
    grafana_token: SecretStr | None = None  # a service-account token, sent as Bearer
    grafana_user: str | None = None  # or basic auth: a user and its password
    grafana_password: SecretStr | None = None

    @property
    def effective_log_level(self) -> str:
        """LOG_LEVEL, else DEBUG in development and INFO everywhere else."""
        if self.log_level is not None:
            return self.log_level
        return "DEBUG" if self.environment == "development" else "INFO"

    @property
    def trusted_proxy_list(self) -> list[str]:
        """TRUSTED_PROXIES as a list of addresses and networks (empty: trust no proxy)."""
        return [entry for entry in self.trusted_proxies.split(",") if entry]

    @property
    def trusted_host_list(self) -> list[str]:
        """TRUSTED_HOSTS as a list of host patterns; ``["*"]`` (any) when unset."""
        return (self.trusted_hosts or "*").split(",")

    @property
    def api_docs_enabled(self) -> bool:
        """API_DOCS, else on everywhere except ``ENVIRONMENT=production``."""
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def otlp_protocol(self) -> OtlpProtocol | None:
        return self.otel_exporter_otlp_traces_protocol or self.otel_exporter_otlp_protocol

    @property
    def otlp_traces_endpoint(self) -> str | None:
        """The traces endpoint as the OTLP exporter spec reads it: the signal-specific variable
        as is; the generic one is a base URL that gets ``/v1/traces`` for HTTP."""
        if self.otel_exporter_otlp_traces_endpoint:
            return self.otel_exporter_otlp_traces_endpoint
        base = self.otel_exporter_otlp_endpoint
        if base is None:
            return None
        target = resolve_otlp(base, self.otlp_protocol, append_path=True)
        return target.url if target.protocol == "http/protobuf" else base

    @property
    def sample_rate(self) -> float | None:
        """What OTEL_TRACES_SAMPLER (a fixed sampler) or OTEL_TRACES_SAMPLER_ARG asks for."""
        fixed = SAMPLERS.get(self.otel_traces_sampler) if self.otel_traces_sampler else None
        return fixed if fixed is not None else self.otel_traces_sampler_arg

    @property
    def tracing_requested(self) -> bool:
        """On with TRACING_ENABLED=true, or (unless TRACING_ENABLED=false is set) when an
        exporter is configured; OTEL_SDK_DISABLED=true turns it off whatever else is set."""
        if self.otel_sdk_disabled:
            return False
        if "tracing_enabled" in self.model_fields_set:
            return self.tracing_enabled
        exporter = self.otel_exporter_otlp_traces_endpoint or self.otel_exporter_otlp_endpoint
        return bool(exporter) or self.tracing_console or self.jaeger_endpoint is not None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # `VAR=` in a shell or .env means "not set": the default applies.
        if isinstance(value, str) and not value.strip():
            field = cls.model_fields[info.field_name] if info.field_name else None
            if field is not None and not field.is_required():
                return field.get_default(call_default_factory=True)
            return value
        return value.strip() if isinstance(value, str) and info.field_name in _STRIPPED else value

    @field_validator(
        "otel_exporter_otlp_traces_protocol", "otel_exporter_otlp_protocol", "otel_traces_sampler",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "jaeger_endpoint", "otel_exporter_otlp_traces_endpoint", "otel_exporter_otlp_endpoint"
    )
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            validate_endpoint(value)
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str | None) -> str | None:
        if value is not None and (len(value) < MIN_METRICS_TOKEN or not _BEARER.match(value)):
            raise ValueError(
                f"must be at least {MIN_METRICS_TOKEN} characters of A-Z a-z 0-9 - . _ ~ + / "
                "(optionally ending in =), or unset"
            )
        return value

    @field_validator("pushgateway_url")
    @classmethod
    def _pushgateway_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                gateway_url(value)
            except ValueError:
                raise ValueError("must be HOST:PORT or an http(s):// URL") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) and value else (value or None)

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

    @field_validator("grafana_token")
    @classmethod
    def _grafana_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BEARER.match(value.get_secret_value().strip()):
            raise ValueError(
                "must be a Grafana service-account token (glsa_...): "
                "A-Z a-z 0-9 - . _ ~ + / only, or unset"
            )
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("grafana_password")
    @classmethod
    def _grafana_password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and not info.data.get("grafana_user"):
            raise ValueError("needs GRAFANA_USER (basic auth is a user and its password)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        entries = []
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                network = ipaddress.ip_network(entry, strict=True)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR network: give a comma-separated "
                    "list like 10.0.0.5,192.168.0.0/16 (empty: trust no forwarded headers)"
                ) from None
            single = network.num_addresses == 1 and "/" not in entry
            entries.append(str(network.network_address) if single else str(network))
        return ",".join(entries)

    @field_validator("trusted_hosts")
    @classmethod
    def _trusted_hosts(cls, value: str | None, info: ValidationInfo) -> str | None:
        entries = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
        if not entries:
            if info.data.get("environment") == "production":
                raise ValueError(
                    "required when ENVIRONMENT=production: the host names clients use, "
                    "comma-separated (e.g. scheduler.example.org), or * to accept any"
                )
            return None
        for entry in entries:
            wildcard = entry.removeprefix("*.") if entry != "*" else "x"
            if not _HOST_PATTERN.match(wildcard):
                raise ValueError(
                    f"{entry!r} is not a host name: give names without scheme or port, "
                    "comma-separated (e.g. scheduler.example.org,*.example.org,10.0.0.5), "
                    "or * to accept any"
                )
        return ",".join(entries)

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
