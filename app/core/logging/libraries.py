"""Third-party loggers: servers routed to the root handler, leaky or chatty ones held back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Servers' own loggers: their handlers are removed so records reach ours on the root logger.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "gunicorn", "gunicorn.error")
# Their access logs print the raw path with its query string (and the client address); the
# app writes its own access line with the route template instead (access.py).
SERVER_ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access")
# Chatty or leaky libraries, held at a floor whatever LOG_LEVEL says: SQLAlchemy's engine
# logger prints statement parameters (names, emails) at INFO, httpx prints full URLs,
# OpenTelemetry's exporters repeat one outage many times.
LIBRARY_FLOORS = {
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
    "httpx": logging.WARNING,
    "urllib3": logging.WARNING,  # like httpx: a line per connection and request, with the URL
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncio": logging.INFO,
    "multipart": logging.INFO,
    "python_multipart": logging.INFO,
    # OTLP exporters log every retry and failed batch while a collector is down; the span
    # processor logs the outage once and counts the spans (catalog.TRACING_SPANS_DROPPED).
    "opentelemetry.exporter": logging.CRITICAL,
}


_exporting = threading.local()


@contextmanager
def exporter_noise_folded() -> Iterator[None]:
    """While this thread sends telemetry (a span batch to OTLP), the libraries doing the sending
    (urllib3's connection and retry lines, requests, the exporter's own) write nothing: a down
    collector would otherwise add lines per batch, at DEBUG dozens a minute. The caller writes
    the one notice per outage instead (``app.tracing.processor``)."""
    depth = getattr(_exporting, "depth", 0)
    _exporting.depth = depth + 1
    try:
        yield
    finally:
        _exporting.depth = depth


class FoldedExporterNoise(logging.Filter):
    """Drops records (below CRITICAL) written inside :func:`exporter_noise_folded`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.CRITICAL or not getattr(_exporting, "depth", 0)


FOLD_EXPORTER_NOISE = FoldedExporterNoise()


def route_library_loggers(level: int) -> None:
    """Run after every (re)configuration: servers may have re-added their own handlers."""
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
        server_logger.setLevel(logging.NOTSET)  # LOG_LEVEL decides
    for name in SERVER_ACCESS_LOGGERS:
        access_logger = logging.getLogger(name)
        access_logger.handlers.clear()
        access_logger.propagate = True
        access_logger.setLevel(logging.WARNING)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, level))
