"""The app served for a real Prometheus, and the traffic end-to-end scrape tests send.

``AppServer`` runs ``create_app`` under uvicorn on a free port (with a fake tracer, so every
request carries an exemplar); ``Traffic`` sends ordinary requests and domain events every
100 ms; ``real_api_calls`` makes one of each interesting API call (a failed sign-in, a
validation, an import with violations, the stored report) after Prometheus' first scrape.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from app.auth.events import DataAccessed, RateLimitExceeded, SuspiciousActivity, UserAction
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.auth.users import create_user
from app.cache.events import CacheLookup
from app.compliance.events import ScheduleGenerated
from app.core.config import Settings
from app.core.request_telemetry import RequestInfo
from app.db.engine import Database
from app.events import publish
from app.main import create_app
from app.swaps.events import SwapState, SwapTransitioned
from tests.support.schedules import too_many_hours
from tests.support.servers import PrometheusServer, free_port

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
