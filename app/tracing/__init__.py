"""Distributed tracing: OpenTelemetry with OTLP (and Jaeger as OTLP), one server span per
request from the shared request layer, database/httpx client spans and PHI-free custom spans.

    from app.tracing import TracingConfig, setup_tracing, trace_function, add_span_attributes

See docs/tracing.md.
"""

from app.tracing.config import TracingConfig, TracingConfigError
from app.tracing.metrics import SPANS_DROPPED
from app.tracing.setup import install_tracing, setup_tracing
from app.tracing.spans import add_span_attributes, current_trace_ids, trace_function, traced

__all__ = [
    "SPANS_DROPPED",
    "TracingConfig",
    "TracingConfigError",
    "add_span_attributes",
    "current_trace_ids",
    "install_tracing",
    "setup_tracing",
    "trace_function",
    "traced",
]
