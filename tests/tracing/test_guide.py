"""The observability guide's tracing code, exactly as written there, works."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.core.config import Settings
from app.main import create_app
from app.tracing.server import ServerSpans
from tests.support.otlp import OtlpGrpcReceiver, otlp_grpc_receiver


@contextmanager
def receiver_on_4317() -> Iterator[OtlpGrpcReceiver | None]:
    """The guide's collector address, when this machine has it free."""
    try:
        with otlp_grpc_receiver(port=4317) as receiver:
            yield receiver
    except RuntimeError:  # port taken: the configuration is still checked
        yield None


async def test_guide_opentelemetry_configuration(
    database_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    monkeypatch.setattr("app.tracing.exporters._noticed", set())  # once per process: reset

    app = create_app(Settings(database_url=database_url, environment="test"))
    with receiver_on_4317() as receiver, caplog.at_level("INFO", logger="app.tracing"):
        # --- the guide, "1. OpenTelemetry Configuration" ---
        from app.tracing import TracingConfig, setup_tracing

        # fmt: off
        config = TracingConfig(
            service_name="residency-scheduler",
            service_version="1.0.0",
            environment="production",
            jaeger_endpoint="localhost:6831",  # or
            otlp_endpoint="http://localhost:4317",
            sample_rate=1.0  # 100% sampling (adjust in production)
        )

        setup_tracing(config, app)
        # fmt: on
        # --- end of the guide's code ---

        assert isinstance(app.state.telemetry.tracing, ServerSpans)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.get("/ready")).status_code == 200
        await app.state.services.database.dispose()
        if receiver is not None:
            from app.tracing.switch import PROCESS

            PROCESS.backend.force_flush(10_000)  # type: ignore[attr-defined]
            server = receiver.wait_for(lambda s: s.name == "GET /ready")
            assert server.resource["deployment.environment"] == "production"
            assert server.resource["service.version"] == "1.0.0"
    assert "legacy Jaeger port (6831)" in caplog.text
    assert "same destination; sending once" in caplog.text


def test_guide_trace_sampling_snippet() -> None:
    from app.tracing import TracingConfig

    # fmt: off
    # Reduce sampling in high-traffic environments
    config = TracingConfig(
        sample_rate=0.1  # 10% sampling
    )
    # fmt: on
    assert config.sample_rate == 0.1


async def test_guide_custom_spans(memory_spans: Any) -> None:
    class User:
        id = 1234

    user, residents = User(), ["r01", "r02", "r03"]

    # --- the guide, "4. Custom Spans" ---
    # fmt: off
    from app.tracing import add_span_attributes, trace_function

    @trace_function("schedule_generation")
    async def generate_schedule():  # type: ignore[no-untyped-def]
        add_span_attributes(
            user_id=user.id,
            resident_count=len(residents)
        )
        # ... implementation
    # fmt: on
    # --- end of the guide's code ---

    await generate_schedule()
    (span,) = memory_spans.get_finished_spans()
    assert span.name == "schedule_generation"
    assert dict(span.attributes) == {"resident_count": 3}  # user_id is dropped, not hashed


def test_guide_call_signature_is_positional_too(memory_spans: Any) -> None:
    from app.tracing import TracingConfig

    config = TracingConfig("svc", "2.0", "staging", None, "http://c:4318", 0.5)
    assert (config.service_name, config.otlp_endpoint, config.sample_rate) == (
        "svc",
        "http://c:4318",
        0.5,
    )
