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
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.core.config import Settings
from app.core.request_telemetry import Telemetry, TelemetryMiddleware
from app.tracing.config import TracingConfig
from app.tracing.exporters import build_exporter, plan_exporters
from app.tracing.instrument import instrument_engine, instrument_httpx, use_stable_http_conventions
from app.tracing.processor import CountingBatchProcessor
from app.tracing.server import ServerSpans
from app.tracing.switch import PROCESS

logger = logging.getLogger(__name__)
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


def trace_requests(
    provider: TracerProvider | None, telemetry: Telemetry, engine: AsyncEngine | None
) -> None:
    """Server spans from the request layer, client spans for the database and httpx."""
    if provider is None:
        telemetry.tracing = None
        return
    instrument_httpx()
    telemetry.tracing = ServerSpans(PROCESS.get_tracer("residency_scheduler.http"), telemetry)
    if engine is not None:
        instrument_engine(engine)


def setup_tracing(config: TracingConfig, app: Starlette | None = None) -> TracerProvider | None:
    """Trace the process per ``config`` and, given ``app``, its requests and database.

    Sets ``app.state.telemetry.tracing`` (server spans) and instruments the app's database
    engine and httpx; an app built by ``create_app`` flushes spans when it stops. Returns the
    SDK provider, or None when ``config.enabled`` is false.
    """
    use_stable_http_conventions()  # before any instrumentation reads the opt-in
    provider = configure_process(config)
    if app is not None:
        services = getattr(app.state, "services", None)
        engine = services.database.engine if services is not None else None
        trace_requests(provider, _telemetry_of(app), engine)
    return provider


def install_tracing(
    settings: Settings, telemetry: Telemetry, engine: AsyncEngine
) -> TracerProvider | None:
    """create_app's one line: tracing from the settings, when they ask for it."""
    if not settings.tracing_requested:
        return None
    use_stable_http_conventions()
    provider = configure_process(TracingConfig.from_settings(settings))
    trace_requests(provider, telemetry, engine)
    return provider
