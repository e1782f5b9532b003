"""A bounded batch span processor that counts every span it loses.

Same contract as OpenTelemetry's BatchSpanProcessor (a bounded queue, one daemon export thread,
batches by size or delay) plus what it lacks: each dropped span is counted by reason in
the catalog's ``TRACING_SPANS_DROPPED`` counter, and a failing export is logged once per outage
instead of once per batch. The request path only appends to a deque; a down or slow collector
fills the queue, and further spans are counted and dropped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from app.core.logging.libraries import exporter_noise_folded
from app.core.metrics.catalog import TRACING_SPANS_DROPPED
from app.tracing.metrics import SPANS_DROPPED, ExporterName, count_dropped

logger = logging.getLogger(__name__)


class CountingBatchProcessor(SpanProcessor):
    def __init__(
        self,
        exporter: SpanExporter,
        name: ExporterName,
        *,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay: float = 2.0,
    ) -> None:
        self.exporter = exporter
        self.name: ExporterName = name
        self._max_queue = max_queue_size
        self._batch_size = min(max_export_batch_size, max_queue_size)
        self._delay = schedule_delay
        self._queue: deque[ReadableSpan] = deque()
        self._stopped = False
        self._failing = False
        for reason in ("queue_full", "export_failed", "shutdown"):
            SPANS_DROPPED.labels(exporter=name, reason=reason)  # series exist from the start
        self._start_worker()
        restart = weakref.WeakMethod(self._start_worker)

        def after_fork_in_child() -> None:
            if (method := restart()) is not None:
                method()

        os.register_at_fork(after_in_child=after_fork_in_child)

    def _start_worker(self) -> None:
        # Also the after-fork hook: a forked child has the queue but no thread; the parent's
        # spans are the parent's to send.
        self._queue.clear()
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._exported_rounds = 0
        self._lock = threading.Lock()
        self._worker = threading.Thread(
            target=self._run, name=f"span-export-{self.name}", daemon=True
        )
        self._worker.start()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        if self._stopped:
            count_dropped(self.name, "shutdown")
            return
        if len(self._queue) >= self._max_queue:
            count_dropped(self.name, "queue_full")
            return
        self._queue.append(span)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._delay)
            self._wake.clear()
            self._export_queued()
            with self._flushed:
                self._exported_rounds += 1
                self._flushed.notify_all()

    def _export_queued(self) -> None:
        with self._lock:
            while self._queue:
                batch = [
                    self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))
                ]
                self._export(batch)

    def _export(self, batch: Sequence[ReadableSpan]) -> None:
        try:
            # The exporter's own HTTP/gRPC calls must not become spans, nor log lines: the
            # notice below is the one line of an outage.
            with suppress_instrumentation(), exporter_noise_folded():
                result = self.exporter.export(batch)
        except Exception:
            if not self._failing:  # once per outage, like the notice below
                logger.debug("span export raised", exc_info=True)
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            if self._failing:
                logger.info("span export to %s recovered", self.name)
            self._failing = False
            return
        count_dropped(self.name, "export_failed", len(batch))
        if not self._failing:
            logger.warning(
                "span export to %s failed; spans are dropped and counted in %s until it recovers",
                self.name,
                TRACING_SPANS_DROPPED.name,
            )
        self._failing = True

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Wait until everything queued now has been handed to the exporter (or timeout)."""
        if self._stopped or not self._worker.is_alive():
            return False
        deadline = time.monotonic() + timeout_millis / 1000
        with self._flushed:
            # Two rounds: one already running may have checked the queue before this call.
            target = self._exported_rounds + 2
            while self._exported_rounds < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._flushed.wait(remaining)
        return True

    def shutdown(self, timeout_millis: int = 5_000) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._wake.set()
        self._worker.join(timeout_millis / 1000)
        if not self._worker.is_alive():
            self._export_queued()  # whatever arrived while the worker was finishing
        left = len(self._queue)
        self._queue.clear()
        if left:
            count_dropped(self.name, "shutdown", left)
        self.exporter.shutdown()
