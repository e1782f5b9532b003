"""Every Prometheus query of every dashboard panel, run against a real Prometheus scraping the
app (uvicorn, a free port) under traffic: no query is rejected, every query returns data, and
every metric a query reads is emitted by the scraped target.

The app pushes to a real Pushgateway (so the exporter's own metrics are on /metrics), and the
test counts a dropped span, as the tracing processor does when an export fails: a short session
has no failing span exporter.

The dashboards' variables are substituted as Grafana would: ``$job`` and ``$instance`` by the
scraped job and instance, ``$__rate_interval`` by 5 s (four 1 s scrape intervals plus one).
Loki targets are skipped (by datasource type): there is no Loki here.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.metrics.catalog import CATALOG
from app.core.metrics.dashboard_model import build_dashboards
from app.core.metrics.thresholds import JOB
from app.db.migrate import upgrade_database
from app.tracing.metrics import count_dropped
from tests.support.scraped_app import (
    CONFIG,
    TOKEN,
    AppServer,
    Traffic,
    add_user,
    real_api_calls,
    sign_in,
    wait_value,
)
from tests.support.servers import PrometheusServer, prometheus_server, pushgateway_server

RATE_INTERVAL = "5s"
NAMES = sorted((spec.name for spec in CATALOG), key=len, reverse=True)
EXTERNAL_SERIES = ("up", "scrape_duration_seconds")


def prometheus_queries() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, PromQL with the dashboard's variables left in)."""
    return [
        (dashboard["uid"], panel["title"], target["expr"])
        for dashboard in build_dashboards()
        for panel in dashboard["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == "prometheus"
    ]


def substitute(expr: str, instance: str) -> str:
    return (
        expr.replace("$__rate_interval", RATE_INTERVAL)
        .replace("$job", JOB)
        .replace("$instance", instance)
    )


def metrics_read(expr: str) -> set[str]:
    """The series names a query selects (``name{...}``), histograms by their base name too."""
    selected = set(re.findall(r"\b([a-zA-Z_:][\w:]*)\{", expr))
    assert selected, f"no selector in {expr!r}"
    return selected


@pytest.fixture
def served(tmp_path: Path) -> Iterator[AppServer]:
    url = f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    asyncio.run(upgrade_database(url))
    asyncio.run(add_user(url))
    with pushgateway_server() as gateway:
        settings = Settings(
            database_url=url,
            environment="test",
            metrics_token=TOKEN,
            pushgateway_url=gateway.url,
            pushgateway_interval=1.0,
        )
        with AppServer(settings) as server:
            yield server


def test_every_panel_query_returns_data(served: AppServer) -> None:
    token = sign_in(served.url)
    instance = f"127.0.0.1:{served.port}"
    config = CONFIG.format(token=TOKEN, port=served.port)
    with prometheus_server(config, extra_args=["--enable-feature=exemplar-storage"]) as prometheus:
        assert wait_value(prometheus, f'up{{job="{JOB}"}}', lambda v: v == 1) == 1
        real_api_calls(served.url, token)
        count_dropped("otlp", "export_failed")
        with Traffic(served.url, token):
            check_every_panel(prometheus, instance)


def check_every_panel(prometheus: PrometheusServer, instance: str) -> None:
    queries = prometheus_queries()
    assert len(queries) >= 40
    # Rejected PromQL fails at once (PrometheusQueryError), before any waiting.
    for _, _, expr in queries:
        prometheus.query(substitute(expr, instance))

    emitted: dict[str, bool] = {}
    empty: list[str] = []
    deadline = time.monotonic() + 90
    for uid, title, expr in queries:
        promql = substitute(expr, instance)
        for name in metrics_read(promql):
            if name not in emitted:
                selector = f'{{__name__="{name}",job="{JOB}",instance="{instance}"}}'
                emitted[name] = bool(prometheus.query(f"count({selector})"))
        while not prometheus.query(promql):
            if time.monotonic() > deadline:
                empty.append(f"{uid} / {title}: {promql}")
                break
            time.sleep(0.25)
    missing = sorted(name for name, seen in emitted.items() if not seen)
    assert missing == [], f"metrics read by panels but not emitted: {missing}"
    assert empty == [], "panel queries without data:\n" + "\n".join(empty)
    read = set(emitted)
    assert {"up", "scrape_duration_seconds"} <= read
    assert any(name.startswith(catalog_name) for name in read for catalog_name in NAMES)
