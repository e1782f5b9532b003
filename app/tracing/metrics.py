"""The tracing pipeline's own health metric, on prometheus_client's default registry.

Kept here as a plain Counter so the metrics catalog can adopt it (import ``SPANS_DROPPED``)
without two declarations of the same name.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import Counter

DropReason = Literal["queue_full", "export_failed", "shutdown"]
ExporterName = Literal["otlp", "jaeger", "console"]

SPANS_DROPPED = Counter(
    "residency_tracing_spans_dropped_total",
    "Finished, sampled spans that never reached an exporter's destination: the export queue "
    "was full, the export failed (collector down, slow or rejecting), or tracing was shut down.",
    ["exporter", "reason"],
)


def count_dropped(exporter: ExporterName, reason: DropReason, spans: int = 1) -> None:
    SPANS_DROPPED.labels(exporter=exporter, reason=reason).inc(spans)
