"""TracingConfig: what setup_tracing builds, validated at construction, built from the settings
(OpenTelemetry's own ``OTEL_*`` variables and the app's) at startup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import __version__
from app.core.config import SettingsError
from app.core.otlp_endpoints import PROTOCOLS, EndpointError, OtlpProtocol, validate_endpoint

if TYPE_CHECKING:
    from app.core.config import Settings


class TracingConfigError(SettingsError):
    """A tracing setting the service cannot run with; ``str()`` names the field or variable."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class TracingConfig:
    """Every field has a default, so ``TracingConfig(sample_rate=0.1)`` alone is valid.

    With neither ``otlp_endpoint`` nor ``jaeger_endpoint`` nor ``console``, spans are still
    created (trace ids in logs, exemplars, propagation) but exported nowhere.
    """

    service_name: str = "residency-scheduler"
    service_version: str = __version__
    environment: str = "development"
    jaeger_endpoint: str | None = None
    otlp_endpoint: str | None = None
    sample_rate: float = 1.0
    # None: inferred from the endpoint (grpc:// or port 4317 -> gRPC, else HTTP/protobuf)
    otlp_protocol: OtlpProtocol | None = None
    console: bool = False  # also print spans to stdout (development)
    enabled: bool = True
    max_queue_size: int = 2048  # spans waiting for export, per exporter; beyond it they drop
    max_export_batch_size: int = 512
    schedule_delay: float = 2.0  # seconds between exports
    export_timeout: float = 10.0  # seconds per export attempt, retries included

    def __post_init__(self) -> None:
        for name in ("service_name", "service_version", "environment"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise TracingConfigError(f"TracingConfig.{name}", "must be a non-empty string")
        rate = self.sample_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise TracingConfigError(
                "TracingConfig.sample_rate",
                f"must be a number from 0 to 1 (the fraction of traces kept), got {rate!r}",
            )
        if self.otlp_protocol is not None and self.otlp_protocol not in PROTOCOLS:
            raise TracingConfigError(
                "TracingConfig.otlp_protocol",
                f"must be one of {', '.join(PROTOCOLS)}, got {self.otlp_protocol!r}",
            )
        for name in ("otlp_endpoint", "jaeger_endpoint"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                validate_endpoint(value) if isinstance(value, str) else _not_text(value)
            except EndpointError as exc:
                raise TracingConfigError(f"TracingConfig.{name}", str(exc)) from None
        for name, low in (("max_queue_size", 1), ("max_export_batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise TracingConfigError(f"TracingConfig.{name}", f"must be an integer >= {low}")
        for name in ("schedule_delay", "export_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise TracingConfigError(f"TracingConfig.{name}", "must be a number of seconds > 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> TracingConfig:
        """The configuration the settings ask for; OTEL_* variables win over the app's own
        (see docs/tracing.md). Settings validated every variable already."""
        values: dict[str, Any] = {
            "service_name": settings.otel_service_name or settings.service_name,
            "environment": settings.environment,
            "jaeger_endpoint": settings.jaeger_endpoint,
            "otlp_endpoint": settings.otlp_traces_endpoint,
            "otlp_protocol": settings.otlp_protocol,
            "console": settings.tracing_console,
            "enabled": not settings.otel_sdk_disabled,
        }
        if settings.sample_rate is not None:
            values["sample_rate"] = settings.sample_rate
        for field, value in (
            ("max_queue_size", settings.otel_bsp_max_queue_size),
            ("max_export_batch_size", settings.otel_bsp_max_export_batch_size),
        ):
            if value is not None:
                values[field] = value
        for field, millis in (
            ("schedule_delay", settings.otel_bsp_schedule_delay),
            ("export_timeout", settings.otel_bsp_export_timeout),
        ):
            if millis is not None:
                values[field] = millis / 1000
        return cls(**values)


def _not_text(value: object) -> None:
    raise EndpointError(f"must be a string like http://HOST:PORT, got {type(value).__name__}")
