"""The tracing pipeline's own health metric, built from the catalog on prometheus_client's
default registry: spans live per process, not per app."""

from __future__ import annotations

from prometheus_client import REGISTRY

from app.core.metrics import catalog
from app.core.metrics.registry import build_counter
from app.core.metrics.vocabulary import SpanDropReason as DropReason
from app.core.metrics.vocabulary import SpanExporterName as ExporterName

__all__ = ["SPANS_DROPPED", "DropReason", "ExporterName", "count_dropped"]

SPANS_DROPPED = build_counter(catalog.TRACING_SPANS_DROPPED, REGISTRY)


def count_dropped(exporter: ExporterName, reason: DropReason, spans: int = 1) -> None:
    SPANS_DROPPED.labels(exporter=exporter, reason=reason).inc(spans)
