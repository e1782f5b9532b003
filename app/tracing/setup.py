"""setup_tracing(config, app): the tracer provider, its exporters, and the app's hooks.

Per process and idempotent: the app factory runs in every worker after fork, so each worker
builds its own provider (and export thread); calling it again with an equal config changes
nothing, with a different config the new provider replaces the old one for every tracer.

The provider is deliberately not made OpenTelemetry's global one: FastAPI >= 0.165 switches
its native telemetry on (its own server span plus spans per dependency, endpoint and
serialization) as soon as a global provider exists, which would double every request's spans.
The app's tracers all come from app.tracing (``traced``, ``trace_function``, instrumentations
given the provider explicitly).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from starlette.applications import Starlette

from app.core.config import Settings
from app.core.request_telemetry import Telemetry, TelemetryMiddleware
from app.tracing.config import TracingConfig, env_flag
from app.tracing.exporters import build_exporter, plan_exporters
from app.tracing.instrument import instrument_engine, instrument_httpx, use_stable_http_conventions
from app.tracing.processor import CountingBatchProcessor
from app.tracing.server import ServerSpans
from app.tracing.switch import PROCESS

logger = logging.getLogger(__name__)
_OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
FLUSH_TIMEOUT_MILLIS = 5_000


@dataclass(frozen=True, slots=True)
class _Installed:
    pid: int
    config: TracingConfig
    provider: TracerProvider | None  # None: tracing disabled by the config


_lock = threading.Lock()
_installed: _Installed | None = None
_instance_id: tuple[int, str] = (0, "")


def _process_instance_id() -> str:
    """One id per worker process (``service.instance.id``), new after fork."""
    global _instance_id
    if _instance_id[0] != os.getpid():
        _instance_id = (os.getpid(), uuid.uuid4().hex)
    return _instance_id[1]


def build_provider(config: TracingConfig) -> TracerProvider:
    resource = Resource.create(
        {
            "service.name": config.service_name,
            "service.version": config.service_version,
            "service.instance.id": _process_instance_id(),
            "deployment.environment": config.environment,
            "deployment.environment.name": config.environment,
        }
    )
    provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(config.sample_rate)),
    )
    plans = plan_exporters(config)
    for plan in plans:
        provider.add_span_processor(
            CountingBatchProcessor(
                build_exporter(plan, config),
                plan.name,
                max_queue_size=config.max_queue_size,
                max_export_batch_size=config.max_export_batch_size,
                schedule_delay=config.schedule_delay,
            )
        )
    if not plans:
        logger.info(
            "tracing is on without an exporter: spans give trace ids to logs and exemplars only; "
            "set OTEL_EXPORTER_OTLP_ENDPOINT, JAEGER_ENDPOINT or TRACING_CONSOLE to send them"
        )
    return provider


def _retire(provider: TracerProvider) -> None:
    # Flushing to a slow collector must not hold up the caller.
    threading.Thread(target=provider.shutdown, name="tracing-retire", daemon=True).start()


def configure_process(config: TracingConfig) -> TracerProvider | None:
    """Make ``config`` the process's tracing; returns its provider (None when disabled)."""
    global _installed
    with _lock:
        current = _installed
        pid = os.getpid()
        if current is not None and current.pid == pid and current.config == config:
            return current.provider
        provider = build_provider(config) if config.enabled else None
        PROCESS.use(provider if provider is not None else trace.NoOpTracerProvider())
        if current is not None and current.pid == pid and current.provider is not None:
            _retire(current.provider)
        _installed = _Installed(pid, config, provider)
        return provider


async def flush_spans() -> None:
    """Export what is queued (at shutdown), off the event loop and bounded in time."""
    backend = PROCESS.backend
    if isinstance(backend, TracerProvider):
        await asyncio.to_thread(backend.force_flush, FLUSH_TIMEOUT_MILLIS)


def _telemetry_of(app: Starlette) -> Telemetry:
    telemetry = getattr(app.state, "telemetry", None)
    if isinstance(telemetry, Telemetry):
        return telemetry
    # An app not built by create_app: give it the request layer (before it starts serving).
    telemetry = Telemetry()
    app.add_middleware(TelemetryMiddleware, telemetry=telemetry)
    app.state.telemetry = telemetry
    return telemetry


def setup_tracing(config: TracingConfig, app: Starlette | None = None) -> TracerProvider | None:
    """Trace the process per ``config`` and, given ``app``, its requests and database.

    Sets ``app.state.telemetry.tracing`` (server spans), instruments
    ``app.state.database.engine`` and httpx, and flushes spans at the app's shutdown. Returns
    the SDK provider, or None when ``config.enabled`` is false.
    """
    use_stable_http_conventions()  # before any instrumentation reads the opt-in
    provider = configure_process(config)
    if app is None:
        return provider
    telemetry = _telemetry_of(app)
    if provider is None:
        telemetry.tracing = None
        return None
    instrument_httpx()
    telemetry.tracing = ServerSpans(PROCESS.get_tracer("residency_scheduler.http"), telemetry)
    database = getattr(app.state, "database", None)
    if database is not None and getattr(database, "engine", None) is not None:
        instrument_engine(database.engine)
    shutdown = getattr(app.state, "shutdown", None)
    if isinstance(shutdown, list) and flush_spans not in shutdown:
        shutdown.append(flush_spans)
    return provider


def tracing_requested(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """Tracing is on when TRACING_ENABLED=true, or (unless TRACING_ENABLED=false is set) when an
    exporter is configured; OTEL_SDK_DISABLED=true turns it off whatever else is set."""
    env = os.environ if environ is None else environ
    if "OTEL_SDK_DISABLED" in env and env_flag("OTEL_SDK_DISABLED", env):
        return False
    if "tracing_enabled" in settings.model_fields_set:
        return settings.tracing_enabled
    exporter_set = any(env.get(name, "").strip() for name in _OTLP_ENDPOINT_VARIABLES)
    return exporter_set or settings.tracing_console or settings.jaeger_endpoint is not None


def install_tracing(
    app: Starlette, settings: Settings, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """create_app's one line: tracing from settings and OTEL_* variables, when requested."""
    if not tracing_requested(settings, environ):
        return None
    return setup_tracing(TracingConfig.from_env(settings, environ), app)
