"""Label values the telemetry layer defines itself; the domain's come from its event modules.

A leaf: the catalog builds its labels from these types, and the code that counts uses the same
types, so a value is typed once and mypy checks every use.
"""

from __future__ import annotations

from typing import Literal

OTHER = "other"
"""The value an unexpected label value is folded into, so no label grows without bound."""

RefreshHook = Literal["active_users", "pending_swaps", "active_schedule"]
"""Gauges read from their source at scrape time (``app.core.metrics.refresh``)."""
PushResult = Literal["success", "failure"]
CacheResult = Literal["hit", "miss"]
ValidationResult = Literal["valid", "invalid"]
SpanExporterName = Literal["otlp", "jaeger", "console"]
SpanDropReason = Literal["queue_full", "export_failed", "shutdown"]
