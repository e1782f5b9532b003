"""structlog processors that add the correlation fields every line carries.

Each is a small function of ``(logger, method_name, event_dict)``; they run for structlog calls
and for standard-library records alike (see :mod:`app.core.logging.stdlib`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from opentelemetry import trace
from structlog.typing import EventDict

from app.core.context import request_id_var, user_id_var

_cache: tuple[int, str] = (-1, "")  # (second, its formatted date and time), swapped whole


def rfc3339(epoch_seconds: float | None = None) -> str:
    """``2026-07-01T07:00:00.123456Z``: RFC 3339, UTC, microseconds. The date part is
    formatted once per second (``strftime`` is the slow bit)."""
    global _cache
    if epoch_seconds is None:
        nanos = time.time_ns()
        second, micros = nanos // 1_000_000_000, nanos % 1_000_000_000 // 1000
    else:
        second = int(epoch_seconds)
        micros = int((epoch_seconds - second) * 1_000_000)
    cached_second, prefix = _cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _cache = (second, prefix)
    return f"{prefix}.{micros:06d}Z"


def add_timestamp(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    if "timestamp" not in event_dict:
        event_dict["timestamp"] = rfc3339()
    return event_dict


def add_level(_logger: Any, method: str, event_dict: EventDict) -> EventDict:
    # structlog passes the canonical method name: warn -> warning, exception -> error.
    event_dict.setdefault("level", method)
    return event_dict


def add_logger_name(logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    if "logger" not in event_dict:
        event_dict["logger"] = getattr(logger, "name", None) or "app"
    return event_dict


class ServiceFields:
    """service, environment and version: constant per process, the labels Loki keeps."""

    __slots__ = ("_fields",)

    def __init__(self, service: str, environment: str, version: str) -> None:
        self._fields = {"service": service, "environment": environment, "version": version}

    def __call__(self, _logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        event_dict.update(self._fields)
        return event_dict


class RequestContext:
    """request_id from the request layer's context variable and, when a user is signed in,
    a pseudonym for them: HMAC-SHA256 of the user id under ``LOG_PSEUDONYM_KEY``, so one user's
    lines can be followed without the logs naming (or numbering) them."""

    __slots__ = ("_key",)

    def __init__(self, pseudonym_key: bytes) -> None:
        self._key = pseudonym_key

    def pseudonym(self, user_id: int) -> str:
        digest = hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()
        return "u_" + digest[:16]

    def __call__(self, _logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        if "request_id" not in event_dict:
            request_id = request_id_var.get()
            if request_id is not None:
                event_dict["request_id"] = request_id
        user_id = user_id_var.get()
        if user_id is not None:
            event_dict["user_pseudonym"] = self.pseudonym(user_id)
        return event_dict


def add_trace_context(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """trace_id and span_id of the current OpenTelemetry span, in the hex form Jaeger and the
    W3C ``traceparent`` header use; absent outside a span."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict
