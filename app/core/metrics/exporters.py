"""Push metrics to a Prometheus Pushgateway, exactly as the observability guide calls it::

    from app.core.metrics.exporters import create_prometheus_exporter

    exporter = create_prometheus_exporter(
        push_gateway_url="localhost:9091", job_name="residency-scheduler", export_interval=60
    )
    await exporter.start()
    ...
    await exporter.stop()

Every ``export_interval_seconds`` the exporter collects its source once, splits the metric
families into batches of at most ``batch_size`` and sends each batch with HTTP ``POST`` to the
group ``/metrics/job/<job>/instance/<instance>[/<label>/<value>...]``. POST replaces only the
families it carries, so the batches of one cycle add up to the whole registry instead of each
replacing the last (a ``PUT`` would). Collecting, rendering and the HTTP calls run in the
exporter's own thread; the event loop only waits. A failed push is retried with exponential
backoff and jitter, each attempt bounded by ``timeout_seconds``; when a batch still fails the
rest of the cycle is skipped (the gateway is down) and the next cycle starts afresh. Failures
are counted (``residency_pushgateway_*``) and logged, never raised into the app. (POST never
removes a family from the group: one that vanished from the registry would linger until the
group is deleted. The catalog's families never vanish, and ``delete_on_stop`` clears the rest.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import default_handler, delete_from_gateway, pushadd_to_gateway
from prometheus_client.registry import Collector

from app.core.metrics import catalog
from app.core.metrics.export_config import MetricExportConfig
from app.core.metrics.pushgateway import Batch, LeaderLock, batches, gateway_url, is_permanent
from app.core.metrics.registry import Exposition, build_counter, build_gauge, latest_exposition

__all__ = ["MetricExportConfig", "PrometheusExporter", "create_prometheus_exporter", "gateway_url"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[..., Callable[[], None]]
"""prometheus_client's push handler signature: ``handler(url, method, timeout, headers, data)``
returns a callable that performs the request (``default_handler`` uses urllib)."""


class PrometheusExporter:
    """Pushes ``source`` to a Pushgateway periodically (see the module docstring)."""

    def __init__(
        self,
        push_gateway_url: str,
        job_name: str,
        config: MetricExportConfig,
        *,
        source: Collector | None = None,
        registry: CollectorRegistry | None = None,
        before_push: Callable[[], Awaitable[None]] | None = None,
        leader_lock: Path | None = None,
        handler: Handler = default_handler,
    ) -> None:
        if not job_name.strip():
            raise ValueError("job_name: must not be empty")
        self.url = gateway_url(push_gateway_url)
        self.job = job_name
        self.config = config
        self.grouping_key = {
            "instance": config.instance or socket.gethostname(),
            **config.grouping_key,
        }
        # Its own metrics go to ``registry`` (the app's, so /metrics shows them); stand-alone,
        # to a private registry that is pushed along with the source.
        own = registry if registry is not None else CollectorRegistry()
        self._pushes = build_counter(catalog.PUSHES, own)
        self._retries = build_counter(catalog.PUSH_RETRIES, own)
        self._last_success = build_gauge(catalog.PUSH_LAST_SUCCESS, own)
        base = source if source is not None else latest_exposition()
        self.source: Collector = base if registry is not None else Exposition([base, own])
        self._before_push = before_push
        self._leader = LeaderLock(leader_lock) if leader_lock is not None else None
        self._handler = handler
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start pushing every ``export_interval_seconds`` (the first push right away)."""
        if self.running:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pushgateway")
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="pushgateway")

    async def stop(self) -> None:
        """Stop the loop, push once more (``push_on_stop``) and delete the group
        (``delete_on_stop``): one attempt each, so a dead gateway cannot hold up shutdown for
        more than ``timeout_seconds`` per call."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._is_leader():
            if self.config.push_on_stop:
                await self.push(retries=0)
            if self.config.delete_on_stop:
                await self.delete()
        if self._leader is not None:
            self._leader.release()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def push(self, *, retries: int | None = None) -> bool:
        """One push cycle: every batch, each retried up to ``retries`` (default: the config's)
        times. True when the whole registry arrived; never raises."""
        if not self._is_leader():
            return True
        retries = self.config.retry_attempts if retries is None else retries
        try:
            if self._before_push is not None:
                await self._before_push()
            families = await self._off_loop(lambda: list(self.source.collect()))
        except Exception:
            logger.exception("pushgateway: collecting metrics failed")
            self._pushes.labels("failure").inc()
            return False
        complete = True
        for batch in batches(families, self.config.batch_size):
            outcome = await self._push_batch(batch, retries)
            if outcome == "down":
                return False
            complete = complete and outcome == "ok"
        if complete:
            self._last_success.set(time.time())
        return complete

    async def delete(self) -> bool:
        """Delete this instance's group from the gateway; never raises."""
        try:
            await self._call(
                lambda: delete_from_gateway(
                    self.url,
                    job=self.job,
                    grouping_key=self.grouping_key,
                    timeout=self.config.timeout_seconds,
                    handler=self._handler,
                )
            )
        except Exception as exc:
            logger.warning("pushgateway: deleting group %s failed: %s", self.grouping_key, exc)
            return False
        return True

    async def _loop(self) -> None:
        interval = self.config.export_interval_seconds
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await self.push()
            except Exception:  # push() handles its own failures; this keeps the loop alive
                logger.exception("pushgateway: push cycle failed")
            next_at += interval
            now = loop.time()
            if next_at < now:  # a slow cycle: skip the ticks it overran
                next_at = now + interval - (now - next_at) % interval
            await asyncio.sleep(next_at - now)

    async def _push_batch(self, batch: Batch, retries: int) -> str:
        def send() -> None:
            pushadd_to_gateway(
                self.url,
                job=self.job,
                registry=batch,
                grouping_key=self.grouping_key,
                timeout=self.config.timeout_seconds,
                handler=self._handler,
            )

        for attempt in range(retries + 1):
            try:
                await self._call(send)
            except Exception as exc:
                if is_permanent(exc):
                    logger.warning("pushgateway rejected a batch: %s", exc)
                    self._pushes.labels("failure").inc()
                    return "rejected"
                if attempt == retries:
                    logger.warning(
                        "pushgateway %s unreachable after %d tries: %s", self.url, attempt + 1, exc
                    )
                    self._pushes.labels("failure").inc()
                    return "down"
                self._retries.inc()
                await asyncio.sleep(self.config.backoff(attempt))
            else:
                self._pushes.labels("success").inc()
                return "ok"
        raise AssertionError("unreachable")

    async def _call(self, work: Callable[[], None]) -> None:
        """Run one HTTP call in the exporter's thread, bounded by the timeout (the same socket
        timeout ends the thread's call soon after if the wait gives up first)."""
        async with asyncio.timeout(self.config.timeout_seconds):
            await self._off_loop(work)

    async def _off_loop(self, work: Callable[[], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pushgateway")
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _is_leader(self) -> bool:
        return self._leader is None or self._leader.acquire()


def create_prometheus_exporter(
    push_gateway_url: str = "localhost:9091",
    job_name: str = "residency-scheduler",
    export_interval: float | None = None,
    *,
    config: MetricExportConfig | None = None,
    source: Collector | None = None,
    registry: CollectorRegistry | None = None,
    before_push: Callable[[], Awaitable[None]] | None = None,
    leader_lock: Path | None = None,
    handler: Handler = default_handler,
) -> PrometheusExporter:
    """The guide's factory. ``export_interval`` (seconds) overrides the interval of ``config``
    (default 60 s); a URL without a scheme means ``http://``. Without ``source`` it pushes the
    metrics of the app running in this process (the one started last), else prometheus_client's
    default registry; the other options are :class:`PrometheusExporter`'s."""
    config = config or MetricExportConfig()
    if export_interval is not None:
        config = replace(config, export_interval_seconds=export_interval)
    return PrometheusExporter(
        push_gateway_url,
        job_name,
        config,
        source=source,
        registry=registry,
        before_push=before_push,
        leader_lock=leader_lock,
        handler=handler,
    )
