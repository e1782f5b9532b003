"""A real Prometheus scrapes the app (uvicorn, a free port) under test traffic, and every
query of the monitoring checklist returns a value.

Traffic goes through the real API where the feature exists (sign-in, failed sign-in, people,
compliance validation, schedule import, the stored report); events of features that a short
session does not reach (generation, swaps, rate limits, caches) are published on the bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.metrics import catalog
from app.core.metrics.checklist import CHECKLIST
from app.db.migrate import upgrade_database
from tests.support.scraped_app import (
    CONFIG,
    TOKEN,
    TRACE_ID,
    AppServer,
    Traffic,
    add_user,
    positive,
    real_api_calls,
    sign_in,
    wait_value,
)
from tests.support.servers import PrometheusServer, prometheus_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[AppServer]:
    url = f"sqlite+aiosqlite:///{tmp_path}/e2e.db"
    asyncio.run(upgrade_database(url))
    asyncio.run(add_user(url))
    settings = Settings(database_url=url, environment="test", metrics_token=TOKEN)
    with AppServer(settings) as server:
        yield server


def test_prometheus_answers_every_checklist_query(served: AppServer) -> None:
    token = sign_in(served.url)
    config = CONFIG.format(token=TOKEN, port=served.port)
    with prometheus_server(config, extra_args=["--enable-feature=exemplar-storage"]) as prometheus:
        assert wait_value(prometheus, 'up{job="residency-scheduler"}', lambda v: v == 1) == 1
        real_api_calls(served.url, token)
        with Traffic(served.url, token):
            check_every_query(prometheus)


def check_every_query(prometheus: PrometheusServer) -> None:
    """Every checklist query returns a value; where the traffic moved it, a plausible one."""
    for item in CHECKLIST:
        for query in item.queries:
            prometheus.wait_for(query.promql, timeout=60)

    health_rate = 'sum(rate(http_requests_total{route="/health"}[1m]))'
    assert wait_value(prometheus, health_rate, positive) > 0
    for q in (0.5, 0.95, 0.99):
        latency = wait_value(
            prometheus,
            f"histogram_quantile({q}, sum by (le) "
            "(rate(http_request_duration_seconds_bucket[1m])))",
        )
        assert 0 < latency <= 10
    checks = {
        "Error rate": lambda v: 0 <= v <= 1,
        "Cache hit rate": lambda v: 0 < v < 1,
        "CPU usage": lambda v: v >= 0,
        "Memory usage": lambda v: v > 0,
        "Disk I/O": lambda v: v >= 0,
        "Network I/O": lambda v: v >= 0,
        "Process metrics": positive,
        "Request rate": positive,
        "Active users": positive,  # the signed-in admin
        "Database connections": lambda v: v >= 0,
        "ACGME violations": positive,
        "Schedule generation time": positive,
        "Swap requests": positive,
        "User activity": positive,
        "Compliance score": lambda v: 0 < v < 1,
        "Failed authentication attempts": positive,
        "Rate limit violations": positive,
        "Suspicious activity": positive,
        "Data access events": positive,
    }
    for item in CHECKLIST:
        if item.item in checks:
            wait_value(prometheus, item.queries[0].promql, checks[item.item])

    # OpenMetrics was negotiated: the latency buckets carry the trace id as an exemplar.
    exemplars = prometheus.http.get(
        f"{prometheus.url}/api/v1/query_exemplars",
        params={"query": catalog.HTTP_REQUEST_DURATION.bucket, "start": 0, "end": 2e9},
    ).json()["data"]
    trace_ids = {e["labels"].get("trace_id") for s in exemplars for e in s["exemplars"]}
    assert TRACE_ID in trace_ids
