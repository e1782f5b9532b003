"""Parent-based trace-id-ratio sampling from sample_rate."""

from __future__ import annotations

import math

from fastapi import FastAPI

from app.core.request_telemetry import RequestInfo
from app.tracing import TracingConfig, setup_tracing, traced
from tests.support.tracing import TRACEPARENT

INFO = RequestInfo("GET", "/health", 200, 0.001, "r" * 16)


def _scope(traceparent: str | None = None) -> dict[str, object]:
    headers = [(b"traceparent", traceparent.encode())] if traceparent else []
    return {"type": "http", "method": "GET", "path": "/health", "headers": headers}


def test_root_spans_are_sampled_at_the_configured_ratio() -> None:
    app = FastAPI()
    setup_tracing(TracingConfig(sample_rate=0.25), app)
    tracing = app.state.telemetry.tracing
    n, p = 2000, 0.25
    sampled = sum(tracing.finish(tracing.start(_scope()), INFO) is not None for _ in range(n))
    sigma = math.sqrt(n * p * (1 - p))  # about 19 spans
    assert abs(sampled - n * p) < 5 * sigma, sampled  # false alarm odds: under 1 in a million


def test_the_parents_decision_wins_both_ways() -> None:
    app = FastAPI()
    setup_tracing(TracingConfig(sample_rate=0.0), app)
    tracing = app.state.telemetry.tracing
    assert tracing.finish(tracing.start(_scope(TRACEPARENT)), INFO) is not None
    setup_tracing(TracingConfig(sample_rate=1.0), app)
    tracing = app.state.telemetry.tracing
    unsampled_parent = TRACEPARENT[:-2] + "00"
    assert tracing.finish(tracing.start(_scope(unsampled_parent)), INFO) is None


def test_children_follow_the_server_spans_decision() -> None:
    app = FastAPI()
    setup_tracing(TracingConfig(sample_rate=0.5), app)
    tracing = app.state.telemetry.tracing
    for _ in range(50):
        handle = tracing.start(_scope())
        with traced("child") as child:
            child_sampled = child.get_span_context().trace_flags.sampled
        assert (tracing.finish(handle, INFO) is not None) == child_sampled
