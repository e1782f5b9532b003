"""A real Prometheus scrapes the app (uvicorn, a free port) under test traffic, and every
query of the monitoring checklist returns a value.

Traffic goes through the real API where the feature exists (sign-in, failed sign-in, people,
compliance validation, schedule import, the stored report); events of features that a short
session does not reach (generation, swaps, rate limits, caches) are published on the bus.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.auth.events import DataAccessed, RateLimitExceeded, SuspiciousActivity, UserAction
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.auth.users import create_user
from app.cache.events import CacheLookup
from app.compliance.events import ScheduleGenerated
from app.core.config import Settings
from app.core.metrics import catalog
from app.core.metrics.checklist import CHECKLIST
from app.core.request_telemetry import RequestInfo
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.events import publish
from app.main import create_app
from app.swaps.events import SwapState, SwapTransitioned
from tests.support.schedules import too_many_hours
from tests.support.servers import PrometheusServer, free_port, prometheus_server

API = "/api/v1"
TOKEN = "e2e-metrics-token-0123456789abcdef"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PASSWORD = "correct-horse-battery"
CONFIG = """
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: residency-scheduler
    metrics_path: /metrics
    authorization:
      credentials: {token}
    static_configs:
      - targets: ['127.0.0.1:{port}']
"""


class FakeTracing:
    def start(self, scope: Any) -> None:
        return None

    def finish(self, handle: Any, info: RequestInfo) -> str:
        return TRACE_ID


class AppServer:
    """The app served by uvicorn in a thread (its own event loop), on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.app.state.telemetry.tracing = FakeTracing()  # exemplars on every request
        self.port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class Traffic:
    """Requests and events every 100 ms until stopped, so every rate() sees increases."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url, trust_env=False, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.client.get("/health")
            self.client.get(f"{API}/people")
            self.client.get("/no-such-page")
            for event in (
                UserAction("schedule_export"),
                DataAccessed("schedule", "export"),
                CacheLookup("compliance_report", hit=True),
                CacheLookup("compliance_report", hit=False),
            ):
                publish(event)
            self._stop.wait(0.1)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=30)
        self.client.close()


async def add_user(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            await create_user(
                session, UserCreate(username="e2e.admin", password=PASSWORD, role=Role.ADMIN)
            )
    finally:
        await database.dispose()


def sign_in(url: str) -> str:
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
        login = client.post(
            f"{API}/auth/login", json={"username": "e2e.admin", "password": PASSWORD}
        )
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


def real_api_calls(url: str, token: str) -> None:
    """After Prometheus' first scrape, so increase() sees every one of these."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, trust_env=False, timeout=30, headers=headers) as client:
        bad = client.post(f"{API}/auth/login", json={"username": "e2e.admin", "password": "no"})
        assert bad.status_code == 401
        assert client.post(f"{API}/compliance/validate", json=too_many_hours()).is_success
        assert client.post(f"{API}/schedule/import", json=too_many_hours()).is_success
        assert client.get(f"{API}/compliance/report").is_success  # the active schedule
    publish(ScheduleGenerated("optimal", 42.0, 24))
    publish(SwapTransitioned(None, SwapState.PENDING))
    publish(RateLimitExceeded("api"))
    publish(SuspiciousActivity("brute_force"))


def positive(value: float) -> bool:
    return value > 0


def wait_value(
    prometheus: PrometheusServer, promql: str, ok: Callable[[float], bool] = math.isfinite
) -> float:
    """Poll until ``promql`` returns a sample whose value passes ``ok``."""
    deadline = time.monotonic() + 60
    while True:
        result = prometheus.query(promql)
        values = [float(r["value"][1]) for r in result]
        if any(ok(v) for v in values):
            return next(v for v in values if ok(v))
        assert time.monotonic() < deadline, f"{promql!r} -> {values}"
        time.sleep(0.25)


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
