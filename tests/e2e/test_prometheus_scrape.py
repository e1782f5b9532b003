"""A real Prometheus scrapes the app (uvicorn, a free port) under test traffic, and every
query of the monitoring checklist returns a value.

Traffic goes through the real API where the feature exists (sign-in, failed sign-in, people,
compliance validation, schedule import, the stored report); events of features that a short
session does not reach (generation, swaps, rate limits, caches) are published on the bus.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.metrics import catalog
from app.core.metrics.checklist import CHECKLIST
from app.db.migrate import upgrade_database
from tests.support.schedules import schedule_file
from tests.support.scraped_app import (
    API,
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


def light_use(url: str, code: str) -> None:
    """A coordinator's minute: sign in, one read, one write, one validation; nothing else."""
    token = sign_in(url)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, trust_env=False, timeout=30, headers=headers) as client:
        assert client.get(f"{API}/people").status_code == 200
        assert client.post(f"{API}/people", json={"code": code, "pgy": 1}).status_code == 201
        assert client.post(f"{API}/compliance/validate", json=schedule_file()).status_code == 200


def test_every_checklist_query_answers_on_a_lightly_used_service(served: AppServer) -> None:
    """No background traffic and no published events: what docs/metrics.md promises holds for
    a service that has just started and seen two rounds of a handful of requests. Every query
    of the checklist returns at least one series, and those the requests moved a number.

    Still NaN then, by design: a hit ratio without lookups, the generation p95 without runs,
    the compliance score before the first whole validation (a panel shows "no value yet").
    A series that appears with its first request (a route's first 200) shows in ``rate()`` from
    that route's second request: the first round makes the series, the second moves them."""
    config = CONFIG.format(token=TOKEN, port=served.port)
    with prometheus_server(config) as prometheus:
        assert wait_value(prometheus, 'up{job="residency-scheduler"}', lambda v: v == 1) == 1
        light_use(served.url, "r01")
        people = f'sum({catalog.HTTP_REQUESTS.name}{{route="{API}/people"}})'
        wait_value(prometheus, people, lambda v: v >= 2)  # scraped: the series exist
        light_use(served.url, "r02")
        queries = {query.promql: query for item in CHECKLIST for query in item.queries}
        deadline = time.monotonic() + 60
        while True:
            empty = [promql for promql in queries if not prometheus.query(promql)]
            if not empty:
                break
            assert time.monotonic() < deadline, f"no series for: {empty}"
            time.sleep(0.5)
        moved = {
            "requests/s": positive,
            "p50 (s)": positive,
            "p95 (s)": positive,
            "p99 (s)": positive,
            "5xx share of requests (0-1)": lambda v: v == 0,
            "active users": positive,
            "actions/s by action": positive,  # the sign-ins
            "accesses/s by resource and action": positive,  # the list and the new person
        }
        assert set(moved) <= {query.title for query in queries.values()}
        for promql, query in queries.items():
            if query.title in moved:
                wait_value(prometheus, promql, moved[query.title])


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
