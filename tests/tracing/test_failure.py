"""A collector that is down or slow never hurts requests; lost spans are counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.tracing import TracingConfig
from tests.support.otlp import otlp_http_receiver
from tests.support.servers import free_port
from tests.support.tracing import dropped


async def test_receiver_down_requests_succeed_and_failed_exports_are_counted(
    traced_app: Callable[..., Any],
) -> None:
    before = dropped("otlp", "export_failed")
    config = TracingConfig(
        otlp_endpoint=f"http://127.0.0.1:{free_port()}/v1/traces", export_timeout=0.5
    )
    async with traced_app(config) as t:
        for _ in range(5):
            assert (await t.client.get("/ready")).status_code == 200
        t.flush()
    assert dropped("otlp", "export_failed") - before >= 10  # 5 server + 5 database spans


async def test_full_queue_drops_and_counts_instead_of_blocking(
    traced_app: Callable[..., Any],
) -> None:
    before = dropped("otlp", "queue_full")
    with otlp_http_receiver() as stuck:
        stuck.pause()  # the first batch hangs in the exporter; the queue fills up behind it
        config = TracingConfig(
            otlp_endpoint=stuck.endpoint,
            max_queue_size=4,
            max_export_batch_size=2,
            schedule_delay=60,
        )
        async with traced_app(config) as t:
            for _ in range(20):
                assert (await t.client.get("/health")).status_code == 200
            lost = dropped("otlp", "queue_full") - before
            stuck.resume()
            t.flush()
        assert 20 - 4 - 2 <= lost <= 20 - 4  # the queue's 4, plus the batch in flight if taken
        assert len(stuck.spans) + lost == 20  # every span is either delivered or counted


async def test_shutdown_counts_what_could_not_be_sent(traced_app: Callable[..., Any]) -> None:
    before = dropped("otlp", "shutdown")
    config = TracingConfig(
        otlp_endpoint=f"http://127.0.0.1:{free_port()}/v1/traces",
        schedule_delay=60,
        export_timeout=0.5,
    )
    async with traced_app(config) as t:
        for _ in range(3):
            await t.client.get("/health")
        assert t.provider is not None
        t.provider.shutdown()  # worker stops; exports fail or are cut short
        await t.client.get("/health")  # a span after shutdown
    assert dropped("otlp", "shutdown") - before >= 1
