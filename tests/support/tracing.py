"""What the tracing tests share: an incoming trace context and the dropped-span counter."""

from __future__ import annotations

from prometheus_client import REGISTRY

from app.core.metrics import catalog

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def dropped(exporter: str, reason: str) -> float:
    """Spans ``exporter`` dropped for ``reason`` so far, in this process."""
    value = REGISTRY.get_sample_value(
        catalog.TRACING_SPANS_DROPPED.name, {"exporter": exporter, "reason": reason}
    )
    return value or 0.0
