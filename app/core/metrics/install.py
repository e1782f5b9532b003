"""The app's metrics, built at construction and running for the app's lifespan.

:func:`build_metrics` builds the registry, the scrape-time refresh hooks and (with
``PUSHGATEWAY_URL``) the Pushgateway exporter; ``create_app()`` plugs the HTTP part into the
request telemetry layer and serves ``GET /metrics`` from the routes list. While the app runs,
:meth:`ServiceMetrics.running` counts the domain events, watches the database pool and pushes;
leaving it undoes all three.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import disable_created_metrics

from app.core.config import Settings
from app.core.metrics.database import PoolMetrics
from app.core.metrics.exporters import MetricExportConfig, PrometheusExporter
from app.core.metrics.refresh import ActiveUsers, ScrapeRefresh
from app.core.metrics.registry import AppMetrics, serving
from app.core.metrics.subscribers import MetricsSink
from app.db.engine import Database
from app.events import bus


@dataclass(frozen=True)
class ServiceMetrics:
    metrics: AppMetrics
    refresh: ScrapeRefresh
    token: str | None  # METRICS_TOKEN: scrapes must send it as a bearer token
    exporter: PrometheusExporter | None

    @contextlib.asynccontextmanager
    async def running(self, database: Database) -> AsyncIterator[None]:
        sink = MetricsSink(self.metrics)
        with (
            bus.subscribed(sink.handlers),
            contextlib.closing(PoolMetrics(database.engine, self.metrics)),
            serving(self.metrics),  # what a stand-alone exporter pushes
        ):
            try:
                if self.exporter is None:
                    yield
                    return
                await self.exporter.start()
                try:
                    yield
                finally:
                    await self.exporter.stop()  # its last push needs nothing closed yet
            finally:
                await self.refresh.close()


def build_metrics(
    settings: Settings, database: Database, active_users: ActiveUsers
) -> ServiceMetrics | None:
    """The app's metrics; None when METRICS_ENABLED is false."""
    if not settings.metrics_enabled:
        return None
    # _created series double every counter in the text format and Prometheus ignores them.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    multiprocess_dir = settings.prometheus_multiproc_dir
    metrics = AppMetrics(multiprocess_dir=multiprocess_dir)
    refresh = ScrapeRefresh(metrics, database=database, active_users=active_users)
    exporter = None
    if settings.pushgateway_url:
        exporter = PrometheusExporter(
            settings.pushgateway_url,
            settings.pushgateway_job,
            MetricExportConfig(
                export_interval_seconds=settings.pushgateway_interval,
                instance=f"{socket.gethostname()}:{settings.port}",
            ),
            source=metrics.exposition,
            registry=metrics.registry,
            before_push=refresh,
            leader_lock=(Path(multiprocess_dir) / "pushgateway.lock" if multiprocess_dir else None),
        )
    return ServiceMetrics(metrics, refresh, settings.metrics_token, exporter)
