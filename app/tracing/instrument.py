"""Client spans: SQLAlchemy statements on the app's engine, outgoing httpx requests.

SQLAlchemy is instrumented per engine (OpenTelemetry's ``EngineTracer``), not through
``SQLAlchemyInstrumentor().instrument()``, which would also patch ``create_engine`` for every
engine in the process and add a "connect" span per checkout. Spans carry the statement with
its placeholders; parameters are never read. httpx is patched once per process; its spans keep
the URL without userinfo, query or fragment.
"""

from __future__ import annotations

import weakref
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opentelemetry.metrics import NoOpUpDownCounter
from opentelemetry.trace import Span
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.environment import default
from app.tracing.switch import PROCESS

_instrumented_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_URL_KEYS = ("url.full", "http.url")


def use_stable_http_conventions() -> None:
    """Client spans use the same stable HTTP attribute names as the server span (``url.full``,
    ``http.request.method``), unless the operator chose otherwise. Read once per process."""
    default("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


def instrument_engine(engine: AsyncEngine | Engine) -> None:
    """Statement spans for ``engine`` (idempotent)."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if sync_engine in _instrumented_engines:
        return
    _instrumented_engines.add(sync_engine)
    EngineTracer(  # type: ignore[no-untyped-call]
        PROCESS.get_tracer("opentelemetry.instrumentation.sqlalchemy"),
        sync_engine,
        NoOpUpDownCounter("db.client.connections.usage"),  # pool metrics are the catalog's
        enable_commenter=False,
    )


def bare_url(url: str) -> str:
    """``url`` without credentials, query or fragment (they can carry tokens and ids)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _strip_url(span: Span, _request: Any) -> None:
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_KEYS:
        value = attributes.get(key)
        if isinstance(value, str):
            span.set_attribute(key, bare_url(value))


async def _strip_url_async(span: Span, request: Any) -> None:
    _strip_url(span, request)


def instrument_httpx() -> None:
    """Client spans (and ``traceparent`` injection) for every httpx request (once per process)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        return
    instrumentor.instrument(
        tracer_provider=PROCESS,
        request_hook=_strip_url,
        async_request_hook=_strip_url_async,
    )
