"""CountingBatchProcessor: bounded, batched, and every lost span counted."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from prometheus_client import REGISTRY

from app.core.metrics import catalog
from app.tracing.processor import CountingBatchProcessor
from tests.support.tracing import dropped


class FakeExporter(SpanExporter):
    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.result = SpanExportResult.SUCCESS
        self.raises = False
        self.shut = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.raises:
            raise ConnectionError("collector gone")
        self.batches.append([s.name for s in spans])
        return self.result

    def shutdown(self) -> None:
        self.shut = True


@pytest.fixture
def exporter() -> FakeExporter:
    return FakeExporter()


@pytest.fixture
def processor(exporter: FakeExporter) -> Iterator[CountingBatchProcessor]:
    processor = CountingBatchProcessor(
        exporter, "console", max_queue_size=10, max_export_batch_size=3, schedule_delay=60
    )
    yield processor
    processor.shutdown()


def emit(processor: CountingBatchProcessor, count: int, sampler: object = None) -> None:
    provider = TracerProvider(sampler=sampler) if sampler else TracerProvider()  # type: ignore[arg-type]
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    for i in range(count):
        tracer.start_span(f"s{i}").end()


def test_exports_in_batches_on_flush(
    processor: CountingBatchProcessor, exporter: FakeExporter
) -> None:
    emit(processor, 7)
    assert processor.force_flush(5_000)
    assert sorted(name for batch in exporter.batches for name in batch) == sorted(
        f"s{i}" for i in range(7)
    )
    assert all(len(batch) <= 3 for batch in exporter.batches)


def test_unsampled_spans_are_ignored(
    processor: CountingBatchProcessor, exporter: FakeExporter
) -> None:
    emit(processor, 5, sampler=ALWAYS_OFF)
    assert processor.force_flush(5_000)
    assert exporter.batches == []


def test_failures_are_counted_and_logged_once_per_outage(
    processor: CountingBatchProcessor, exporter: FakeExporter, caplog: pytest.LogCaptureFixture
) -> None:
    before = dropped("console", "export_failed")
    with caplog.at_level("INFO", logger="app.tracing.processor"):
        exporter.raises = True
        emit(processor, 2)
        processor.force_flush(5_000)
        emit(processor, 2)
        processor.force_flush(5_000)
        exporter.raises = False
        exporter.result = SpanExportResult.FAILURE
        emit(processor, 1)
        processor.force_flush(5_000)
        exporter.result = SpanExportResult.SUCCESS
        emit(processor, 1)
        processor.force_flush(5_000)
    assert dropped("console", "export_failed") - before == 5
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failed" in m for m in messages) == 1
    assert sum("recovered" in m for m in messages) == 1


def test_shutdown_exports_what_is_queued_then_counts_late_spans(
    processor: CountingBatchProcessor, exporter: FakeExporter
) -> None:
    before = dropped("console", "shutdown")
    emit(processor, 2)
    processor.shutdown()
    assert sum(len(b) for b in exporter.batches) == 2 and exporter.shut
    emit(processor, 3)
    assert dropped("console", "shutdown") - before == 3
    assert not processor.force_flush(100)


def test_series_exist_before_anything_is_dropped(processor: CountingBatchProcessor) -> None:
    for reason in ("queue_full", "export_failed", "shutdown"):
        labels = {"exporter": "console", "reason": reason}
        value = REGISTRY.get_sample_value(catalog.TRACING_SPANS_DROPPED.name, labels)
        assert value is not None  # present from the start, so rate() and alerts see zero
