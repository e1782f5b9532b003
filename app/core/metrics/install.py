"""``install_metrics(app, settings)``: everything metrics, wired at construction time.

Called once from ``create_app()``: it builds the app's registry, plugs the HTTP metrics into
the request telemetry layer, adds ``GET /metrics``, counts the domain events, watches the
database pool, and (with ``PUSHGATEWAY_URL``) registers the Pushgateway exporter's start and
stop with the lifespan. Calling it twice on one app changes nothing.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import disable_created_metrics

from app.core.config import Settings, SettingsError
from app.core.metrics.database import PoolMetrics
from app.core.metrics.endpoint import METRICS_PATH, metrics_endpoint
from app.core.metrics.exporters import MetricExportConfig, PrometheusExporter, gateway_url
from app.core.metrics.http import http_metrics
from app.core.metrics.refresh import ScrapeRefresh, active_users_hook, pending_swaps_hook
from app.core.metrics.registry import AppMetrics, multiprocess_directory
from app.core.metrics.subscribers import fanout, subscribe

# RFC 6750 b64token: what can travel in "Authorization: Bearer <token>" unchanged.
_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MIN_TOKEN_LENGTH = 16


def check_metrics_token(token: str | None) -> None:
    if token is None:
        return
    if len(token) < MIN_TOKEN_LENGTH or not _TOKEN.match(token):
        raise SettingsError(
            f"invalid configuration: METRICS_TOKEN: must be at least {MIN_TOKEN_LENGTH} "
            "characters of A-Z a-z 0-9 - . _ ~ + / (optionally ending in =), or unset"
        )


def check_pushgateway_url(url: str | None) -> None:
    if url is None:
        return
    try:
        gateway_url(url)
    except ValueError:
        raise SettingsError(
            "invalid configuration: PUSHGATEWAY_URL: must be HOST:PORT or an http(s):// URL"
        ) from None


def check_metrics_settings(settings: Settings) -> None:
    """What install_metrics would refuse, checked without building anything (``serve`` runs
    it before starting any server, so a bad value is one clean message, not a traceback)."""
    if settings.metrics_enabled:
        check_metrics_token(settings.metrics_token)
        check_pushgateway_url(settings.pushgateway_url)


def install_metrics(app: FastAPI, settings: Settings) -> AppMetrics | None:
    """Wire the metrics into ``app`` (see the module docstring); None when METRICS_ENABLED is
    false. Needs ``app.state.telemetry``, ``.database``, ``.startup`` and ``.shutdown``."""
    if not settings.metrics_enabled:
        return None
    existing: AppMetrics | None = getattr(app.state, "metrics", None)
    if existing is not None:
        return existing
    check_metrics_settings(settings)
    # _created series double every counter in the text format and Prometheus ignores them.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    multiprocess_dir = multiprocess_directory()
    metrics = AppMetrics(multiprocess_dir=multiprocess_dir)
    state = app.state
    state.metrics = metrics
    state.telemetry.metrics = http_metrics(metrics)

    sink = subscribe(metrics)
    pool = PoolMetrics(state.database.engine, metrics)
    state.metrics_subscription = sink  # the fan-out holds it weakly: the app keeps it alive
    state.metrics_pool = pool

    async def unsubscribe() -> None:
        fanout.detach(sink)
        pool.close()

    state.shutdown.append(unsubscribe)

    refresh = ScrapeRefresh(
        metrics,
        {
            "active_users": active_users_hook(state, metrics),
            "pending_swaps": pending_swaps_hook(state.database, metrics),
        },
    )
    app.add_route(
        METRICS_PATH,
        metrics_endpoint(metrics.exposition, refresh, settings.metrics_token),
        methods=["GET"],
        include_in_schema=False,
    )

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
        state.metrics_exporter = exporter
        state.startup.append(exporter.start)
        state.shutdown.insert(0, exporter.stop)  # its last push needs nothing closed yet
    return metrics
