"""TRACING_CONSOLE: one compact JSON line per finished span on standard output.

OpenTelemetry's ``ConsoleSpanExporter`` prints each span as an indented, many-line JSON document
with ``0x``-prefixed ids, which neither a log shipper nor ``grep`` can follow. This exporter
writes one line per span, shaped like the log lines beside it (``timestamp``, ``logger``,
``event``, ``service``, ``trace_id``, ``span_id``) with the ids in the same lower-case hex as
the logs' (32 and 16 digits), so ``grep <trace_id>`` finds a request's log lines and its spans.
Each line is one ``os.write`` (like the log sinks), so lines of workers never interleave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from app.core.logging.processors import rfc3339
from app.core.logging.sinks import StreamSink

CONSOLE_LOGGER = "app.tracing.console"
NANOS = 1_000_000_000


def _time(nanos: int | None) -> str | None:
    return rfc3339(nanos / NANOS) if nanos is not None else None


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """The fields of one span's line."""
    context = span.get_span_context()
    parent = span.parent
    start, end = span.start_time, span.end_time
    record: dict[str, Any] = {
        "timestamp": _time(end if end is not None else start),
        "logger": CONSOLE_LOGGER,
        "event": "span",
        "service": span.resource.attributes.get("service.name"),
        "trace_id": format(context.trace_id, "032x") if context else None,
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent.span_id, "016x") if parent is not None else None,
        "name": span.name,
        "kind": SpanKind(span.kind).name.lower(),
        "start": _time(start),
        "duration_ms": round((end - start) / 1e6, 3) if start is not None and end else None,
        "status": StatusCode(span.status.status_code).name.lower(),
        "attributes": dict(span.attributes or {}),
    }
    if span.events:
        record["events"] = [event.name for event in span.events]
    return record


_encode = json.JSONEncoder(
    default=lambda value: f"<{type(value).__qualname__}>",
    ensure_ascii=False,
    separators=(",", ":"),
).encode


def span_line(span: ReadableSpan) -> str:
    """One span as one line of compact JSON (no trailing newline)."""
    return _encode(span_record(span))


class JsonConsoleSpanExporter(SpanExporter):
    """Writes :func:`span_line` of each span with ``write`` (default: standard output)."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self._write = write or StreamSink(1, "stdout").write

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self._write(span_line(span))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
