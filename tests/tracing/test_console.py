"""TRACING_CONSOLE: one compact JSON line per span, ids in the logs' hex form."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from app.tracing import TracingConfig
from app.tracing.console import JsonConsoleSpanExporter, span_line
from app.tracing.exporters import build_exporter, plan_exporters
from tests.support.tracing import TRACEPARENT

TRACE_ID = TRACEPARENT.split("-")[1]


def test_the_console_plan_builds_the_json_line_exporter() -> None:
    (plan,) = plan_exporters(TracingConfig(console=True))
    assert isinstance(build_exporter(plan, TracingConfig(console=True)), JsonConsoleSpanExporter)


async def test_each_span_is_one_json_line_that_greps_with_the_logs(
    traced_app: Callable[..., Any], capfd: pytest.CaptureFixture[str]
) -> None:
    async with traced_app(TracingConfig(console=True, service_name="console-svc")) as t:
        capfd.readouterr()
        response = await t.client.get("/ready", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200
        t.flush()
    out = capfd.readouterr().out
    lines = [json.loads(raw) for raw in out.splitlines() if raw.strip()]  # every line is JSON
    spans = [line for line in lines if line.get("event") == "span"]
    assert len(spans) >= 2  # the server span and the database's
    assert len(spans) == out.count('"event":"span"')  # one line each, nothing multi-line
    for span in spans:
        assert span["trace_id"] == TRACE_ID
        assert re.fullmatch(r"[0-9a-f]{16}", span["span_id"])
        assert span["service"] == "console-svc" and span["logger"] == "app.tracing.console"
        assert span["duration_ms"] >= 0 and span["timestamp"].endswith("Z")
    (server,) = [span for span in spans if span["kind"] == "server"]
    assert server["parent_span_id"] == TRACEPARENT.split("-")[2]
    assert server["attributes"]["http.route"] == "/ready"
    (access,) = [line for line in lines if line.get("event") == "request"]
    assert access["trace_id"] == server["trace_id"]
    assert {span["span_id"] for span in spans} >= {access["span_id"]}


def test_a_span_line_is_compact_and_self_contained(memory_spans: Any) -> None:
    from app.tracing.switch import PROCESS

    with PROCESS.get_tracer("test").start_as_current_span("work") as span:
        span.set_attribute("items", 3)
        span.add_event("halfway")
    (finished,) = memory_spans.get_finished_spans()
    line = span_line(finished)
    assert "\n" not in line and " " not in line.replace("halfway", "")
    record = json.loads(line)
    assert (record["name"], record["kind"], record["status"]) == ("work", "internal", "unset")
    assert record["attributes"] == {"items": 3} and record["events"] == ["halfway"]
    assert record["parent_span_id"] is None
    written: list[str] = []
    JsonConsoleSpanExporter(written.append).export([finished])
    assert written == [line]
