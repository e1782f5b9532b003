"""Tracing turned on from settings and OTEL_* variables, without code, through create_app."""

from __future__ import annotations

import httpx
import pytest

from app.core.config import Settings, SettingsError, load_settings
from app.main import create_app
from app.tracing import current_trace_ids
from app.tracing.server import ServerSpans
from tests.support.lifespan import start, stop
from tests.support.otlp import OtlpHttpReceiver


async def test_otlp_endpoint_in_the_environment_traces_the_app(
    monkeypatch: pytest.MonkeyPatch, database_url: str, http_receiver: OtlpHttpReceiver
) -> None:
    http_receiver.clear()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", http_receiver.base_url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "scheduler-under-test")
    app = await start(create_app(Settings(database_url=database_url, environment="test")))
    assert isinstance(app.state.telemetry.tracing, ServerSpans)

    async def ids() -> dict[str, str | None]:
        current = current_trace_ids()  # what a log line written in a handler sees
        return {
            "trace_id": current[0] if current else None,
            "span_id": current[1] if current else None,
        }

    app.add_api_route("/test/ids", ids)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        seen = (await client.get("/test/ids")).json()
    await stop(app)  # what the lifespan does at shutdown
    server = http_receiver.wait_for(lambda s: s.name == "GET /test/ids")
    assert (seen["trace_id"], seen["span_id"]) == (server.trace_id, server.span_id)
    assert server.resource["service.name"] == "scheduler-under-test"


async def test_tracing_stays_off_by_default(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, environment="test"))
    assert app.state.telemetry.tracing is None


async def test_a_bad_tracing_variable_stops_the_app_with_its_name(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TRACING_ENABLED", "true")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "1.5")
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(SettingsError, match="OTEL_TRACES_SAMPLER_ARG: Input should be less than"):
        load_settings()
