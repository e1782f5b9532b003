"""A collector outage is one notice in the logs, not a line per batch from urllib3 and friends."""

from __future__ import annotations

import logging

import httpx

from app.core.config import Settings
from app.core.logging import configure_logging
from app.core.logging.libraries import exporter_noise_folded
from app.core.logging.testing import capture_logs
from app.main import create_app
from app.tracing import TracingConfig, setup_tracing
from tests.support.servers import free_port

NOISY = ("urllib3", "requests", "opentelemetry")


async def test_an_otlp_http_outage_at_debug_is_one_notice(database_url: str) -> None:
    """At DEBUG (development's default), urllib3 alone wrote two lines per failed batch."""
    app = create_app(Settings(database_url=database_url, environment="test", log_level="DEBUG"))
    config = TracingConfig(
        otlp_endpoint=f"http://127.0.0.1:{free_port()}/v1/traces", export_timeout=0.5
    )
    provider = setup_tracing(config, app)
    assert provider is not None
    transport = httpx.ASGITransport(app=app)
    try:
        with capture_logs() as lines:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                for _ in range(5):
                    assert (await client.get("/health")).status_code == 200
                    assert provider.force_flush(10_000)  # a batch per request: five failures
    finally:
        await app.state.services.database.dispose()
        configure_logging(Settings(environment="test"))
    noise = [line for line in lines if str(line.get("logger", "")).startswith(NOISY)]
    assert noise == []
    notices = [line for line in lines if "span export to otlp failed" in str(line["event"])]
    assert len(notices) == 1 and notices[0]["level"] == "warning"
    assert len(lines.find(event="request")) == 5


def test_library_lines_are_folded_only_while_exporting() -> None:
    urllib3 = logging.getLogger("urllib3.connectionpool")
    with capture_logs() as lines:
        urllib3.warning("Retrying (Retry(total=2)) after connection broken: /v1/traces")
        with exporter_noise_folded():
            urllib3.warning("Retrying (Retry(total=1)) after connection broken: /v1/traces")
            logging.getLogger("app.tracing.processor").warning("also folded: inside the export")
        urllib3.debug("Starting new HTTP connection (1): 127.0.0.1:4318")  # below its floor
    assert [line["event"] for line in lines] == [
        "Retrying (Retry(total=2)) after connection broken: /v1/traces"
    ]
