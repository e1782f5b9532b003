"""The server span of each request, as a part of the one request telemetry layer.

Instead of OpenTelemetry's ASGI instrumentation (a wrapper span plus one span per
send/receive, +300-420 us a request), :class:`ServerSpans` implements the ``RequestTracing``
hooks of app/core/request_telemetry.py: ``start`` reads W3C ``traceparent``/``tracestate`` from
the ASGI headers, starts a SERVER span and makes it current (log lines, database and httpx
spans nest under it); ``finish`` names it by route template, sets the semantic-convention
attributes and ends it. Never recorded: the raw path, the query string, client address, headers.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app.core.request_telemetry import (
    METHODS,
    UNMATCHED_ROUTE,
    RequestInfo,
    Scope,
    Telemetry,
)
from app.tracing.spans import record_error

_PROPAGATOR = TraceContextTextMapPropagator()
_HTTP_VERSIONS = {"1.0": "1.0", "1.1": "1.1", "2": "2", "2.0": "2", "3": "3"}

Handle = tuple[trace.Span, object]


def incoming_context(scope: Scope) -> Context:
    """The remote parent from ``traceparent`` (and ``tracestate``), else an empty context: a
    server span's parent comes from the request, never from whatever runs the server."""
    carrier: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name == b"traceparent" or name == b"tracestate":
            carrier[name.decode("latin-1")] = value.decode("latin-1")
    if "traceparent" not in carrier:
        return Context()
    return _PROPAGATOR.extract(carrier, context=Context())


class ServerSpans:
    """``RequestTracing`` for :class:`~app.core.request_telemetry.TelemetryMiddleware`."""

    def __init__(self, tracer: trace.Tracer, telemetry: Telemetry) -> None:
        self._tracer = tracer
        self._telemetry = telemetry  # read per request: untracked paths (/metrics) get no span

    def start(self, scope: Scope) -> Handle | None:
        if scope["path"] in self._telemetry.untracked_paths:
            return None
        parent = incoming_context(scope)
        method = scope["method"] if scope["method"] in METHODS else "_OTHER"
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.scheme": scope.get("scheme", "http"),
        }
        version = _HTTP_VERSIONS.get(scope.get("http_version", ""))
        if version is not None:
            attributes["network.protocol.version"] = version
        span = self._tracer.start_span(
            "HTTP" if method == "_OTHER" else method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        return span, token

    def finish(self, handle: Any, info: RequestInfo) -> str | None:
        if handle is None:
            return None
        span, token = handle
        try:
            if span.is_recording():
                self._describe(span, info)
            span.end()
        finally:
            otel_context.detach(token)
        span_context = span.get_span_context()
        if not span_context.trace_flags.sampled:
            return None
        return format(span_context.trace_id, "032x")

    @staticmethod
    def _describe(span: trace.Span, info: RequestInfo) -> None:
        name = "HTTP" if info.method not in METHODS else info.method
        attributes: dict[str, Any] = {"http.response.status_code": info.status}
        if info.route != UNMATCHED_ROUTE:
            attributes["http.route"] = info.route
            name = f"{name} {info.route}"
        span.update_name(name)
        if isinstance(info.error, Exception):
            record_error(span, info.error)
        elif info.status >= 500:
            attributes["error.type"] = str(info.status)
            span.set_status(Status(StatusCode.ERROR))
        span.set_attributes(attributes)
