"""TracingConfig: what setup_tracing builds, validated at construction, readable from the
environment (OpenTelemetry's own ``OTEL_*`` variables and the app's settings)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import __version__
from app.core.config import SettingsError
from app.tracing.endpoints import (
    PROTOCOLS,
    EndpointError,
    OtlpProtocol,
    resolve_otlp,
    validate_endpoint,
)

if TYPE_CHECKING:
    from app.core.config import Settings

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
_SAMPLERS = {
    "always_on": 1.0,
    "parentbased_always_on": 1.0,
    "always_off": 0.0,
    "parentbased_always_off": 0.0,
    "traceidratio": None,  # None: the rate comes from OTEL_TRACES_SAMPLER_ARG
    "parentbased_traceidratio": None,
}


# The batch span processor's standard variables (integers; the durations in milliseconds).
_BSP_INTEGERS = (
    ("max_queue_size", "OTEL_BSP_MAX_QUEUE_SIZE"),
    ("max_export_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
)
_BSP_MILLISECONDS = (
    ("schedule_delay", "OTEL_BSP_SCHEDULE_DELAY"),
    ("export_timeout", "OTEL_BSP_EXPORT_TIMEOUT"),
)


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
    def from_env(
        cls, settings: Settings | None = None, environ: Mapping[str, str] | None = None
    ) -> TracingConfig:
        """The configuration the environment asks for (see docs/tracing.md for precedence)."""
        if settings is None:
            from app.core.config import get_settings

            settings = get_settings()
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "service_name": settings.service_name,
            "environment": settings.environment,
            "jaeger_endpoint": settings.jaeger_endpoint,
            "console": settings.tracing_console,
        }
        sources = {
            "service_name": "SERVICE_NAME",
            "environment": "ENVIRONMENT",
            "jaeger_endpoint": "JAEGER_ENDPOINT",
        }

        def take(field: str, variable: str, value: Any) -> None:
            values[field] = value
            sources[field] = variable

        if name := _get(env, "OTEL_SERVICE_NAME"):
            take("service_name", "OTEL_SERVICE_NAME", name)
        protocol_var = _first_set(
            env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
        )
        if protocol_var:
            take("otlp_protocol", protocol_var, _protocol(protocol_var, env[protocol_var]))
        if endpoint_var := _first_set(
            env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ):
            take("otlp_endpoint", endpoint_var, _signal_endpoint(endpoint_var, env))
        rate = _sample_rate(env)
        if rate is not None:
            take("sample_rate", rate[0], rate[1])
        if "OTEL_SDK_DISABLED" in env:
            take("enabled", "OTEL_SDK_DISABLED", not env_flag("OTEL_SDK_DISABLED", env))
        for field, variable in _BSP_INTEGERS:
            if raw := _get(env, variable):
                take(field, variable, _integer(variable, raw))
        for field, variable in _BSP_MILLISECONDS:
            if raw := _get(env, variable):
                take(field, variable, _milliseconds(variable, raw) / 1000)
        try:
            return cls(**values)
        except TracingConfigError as exc:
            field = exc.field.removeprefix("TracingConfig.")
            raise TracingConfigError(sources.get(field, exc.field), exc.reason) from None


def _not_text(value: object) -> None:
    raise EndpointError(f"must be a string like http://HOST:PORT, got {type(value).__name__}")


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _first_set(env: Mapping[str, str], *names: str) -> str | None:
    return next((name for name in names if _get(env, name)), None)


def env_flag(name: str, env: Mapping[str, str]) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise TracingConfigError(name, f"must be true or false, got {env[name]!r}")


def _integer(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise TracingConfigError(name, f"must be an integer, got {value!r}") from None


def _milliseconds(name: str, value: str) -> int:
    millis = _integer(name, value)
    if millis <= 0:
        raise TracingConfigError(name, f"must be a number of milliseconds > 0, got {value!r}")
    return millis


def _protocol(name: str, value: str) -> OtlpProtocol:
    value = value.strip().lower()
    if value == "grpc":
        return "grpc"
    if value == "http/protobuf":
        return "http/protobuf"
    raise TracingConfigError(name, f"must be grpc or http/protobuf, got {value!r}")


def _signal_endpoint(name: str, env: Mapping[str, str]) -> str:
    """The traces endpoint as the OTLP exporter spec reads it: the signal-specific variable is
    used as is; the generic one is a base URL that gets ``/v1/traces`` for HTTP."""
    value = env[name].strip()
    if name == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
        return value
    protocol_var = _first_set(
        env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    protocol = _protocol(protocol_var, env[protocol_var]) if protocol_var else None
    try:
        target = resolve_otlp(value, protocol, append_path=True)
    except EndpointError as exc:
        raise TracingConfigError(name, str(exc)) from None
    return target.url if target.protocol == "http/protobuf" else value


def _sample_rate(env: Mapping[str, str]) -> tuple[str, float] | None:
    sampler = (_get(env, "OTEL_TRACES_SAMPLER") or "").lower()
    if sampler and sampler not in _SAMPLERS:
        raise TracingConfigError(
            "OTEL_TRACES_SAMPLER", f"must be one of {', '.join(_SAMPLERS)}, got {sampler!r}"
        )
    fixed = _SAMPLERS.get(sampler)
    if fixed is not None:
        return "OTEL_TRACES_SAMPLER", fixed
    raw = _get(env, "OTEL_TRACES_SAMPLER_ARG")
    if raw is None:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = math.nan
    if not 0 <= rate <= 1:
        raise TracingConfigError(
            "OTEL_TRACES_SAMPLER_ARG", f"must be a number from 0 to 1, got {raw!r}"
        )
    return "OTEL_TRACES_SAMPLER_ARG", rate
