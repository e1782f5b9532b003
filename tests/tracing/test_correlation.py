"""One request, one trace id: in its log lines, as the exemplar of its latency observation, and
on the span the collector receives. Tracing is switched on from settings, as an operator would,
and everything goes through the real request path of a create_app() app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from app.core.config import Settings
from app.core.logging import get_logger
from app.core.logging.testing import capture_logs
from app.core.metrics import catalog
from app.main import create_app
from app.tracing.server import ServerSpans
from app.tracing.switch import PROCESS
from tests.support.lifespan import start, stop
from tests.support.otlp import OtlpHttpReceiver
from tests.support.servers import free_port

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


async def scrape_exemplars(client: httpx.AsyncClient) -> dict[str, set[str]]:
    """Trace ids of the exemplars on http_request_duration_seconds, by route."""
    response = await client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.text):
        if family.name != catalog.HTTP_REQUEST_DURATION.name:
            continue
        for sample in family.samples:
            if sample.exemplar is not None:
                route = sample.labels["route"]
                found.setdefault(route, set()).add(sample.exemplar.labels["trace_id"])
    return found


async def scrape_value(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families as text_families

    text = (await client.get("/metrics")).text
    for family in text_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    raise AssertionError(f"{name}{labels} is not at /metrics")


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def traced_by_settings(
    database_url: str, http_receiver: OtlpHttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    """TRACING_ENABLED=true and an OTLP endpoint in the environment; no tracing code."""
    http_receiver.clear()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.base_url)
    app = await start(
        create_app(Settings(database_url=database_url, environment="test", tracing_enabled=True))
    )
    assert isinstance(app.state.telemetry.tracing, ServerSpans)

    @app.get("/tests/correlated")
    async def correlated() -> dict[str, str]:
        get_logger("tests.correlated").info("inside the request")
        return {"ok": "yes"}

    yield app
    await stop(app)  # what the lifespan does at shutdown (flushes spans)


async def test_exemplar_log_lines_and_span_carry_the_requests_trace_id(
    traced_by_settings: FastAPI, http_receiver: OtlpHttpReceiver
) -> None:
    async with client_for(traced_by_settings) as client:
        with capture_logs() as lines:
            assert (await client.get("/tests/correlated")).status_code == 200
            assert (await client.get("/ready")).status_code == 200  # a real route, with SQL
        exemplars = await scrape_exemplars(client)

    inside = lines.find(logger="tests.correlated")[0]
    access = lines.find(logger="app.access", route="/tests/correlated")[0]
    assert inside["trace_id"] == access["trace_id"]
    assert inside["span_id"] == access["span_id"]  # both written inside the server span
    assert exemplars["/tests/correlated"] == {inside["trace_id"]}

    ready = lines.find(logger="app.access", route="/ready")[0]
    assert exemplars["/ready"] == {ready["trace_id"]}
    assert ready["trace_id"] != inside["trace_id"]

    await stop(traced_by_settings)
    server = http_receiver.wait_for(lambda s: s.name == "GET /ready")
    assert (server.trace_id, server.span_id) == (ready["trace_id"], ready["span_id"])
    statement = http_receiver.wait_for(lambda s: s.kind == "CLIENT")
    assert statement.trace_id == server.trace_id and statement.parent_span_id == server.span_id


async def test_collector_down_requests_succeed_and_drops_are_counted_at_metrics(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # milliseconds
    monkeypatch.setenv("OTEL_BSP_EXPORT_TIMEOUT", "300")
    app = create_app(Settings(database_url=database_url, environment="test"))
    failed = {"exporter": "otlp", "reason": "export_failed"}
    async with client_for(app) as client:
        before = await scrape_value(client, catalog.TRACING_SPANS_DROPPED.name, **failed)
        with capture_logs() as lines:
            for _ in range(5):
                assert (await client.get("/health")).status_code == 200
            for _ in range(200):  # the export thread gives up within about 0.3 s a batch
                now = await scrape_value(client, catalog.TRACING_SPANS_DROPPED.name, **failed)
                if now - before >= 5:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"only {now - before} failed spans counted at /metrics")
    await app.state.services.database.dispose()
    warnings = [line for line in lines if line.get("level") == "warning"]
    assert [w["logger"] for w in warnings] == ["app.tracing.processor"]  # once per outage
    assert not [line for line in lines if line["logger"].startswith("opentelemetry")]


async def test_scrapes_make_no_spans(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, environment="test", tracing_enabled=True))
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = PROCESS.use(provider)
    try:
        async with client_for(app) as client:
            for _ in range(3):  # each scrape counts pending swaps with a query
                assert (await client.get("/metrics")).status_code == 200
            assert exporter.get_finished_spans() == ()
            await client.get("/ready")
    finally:
        PROCESS.use(previous)
        await app.state.services.database.dispose()
    names = sorted(span.name for span in exporter.get_finished_spans())
    assert names[0] == "GET /ready" and len(names) >= 2  # the request and its SQL still traced
