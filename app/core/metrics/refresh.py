"""Gauges read from their source when Prometheus scrapes: active users and pending swaps.

Each hook is bounded by a timeout; a failing or slow source is counted
(``residency_metrics_refresh_failures_total``) and logged, and its gauge keeps its last value,
so a scrape never fails because the database is slow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import func, select

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.db.engine import Database
from app.swaps.models import SwapRequest, SwapState

logger = logging.getLogger(__name__)

HOOK_TIMEOUT = 2.0  # seconds; well inside Prometheus' default 10 s scrape timeout
PENDING_STATES = (SwapState.PENDING, SwapState.ACCEPTED)

Hook = Callable[[], Awaitable[None]]


class ActiveUsers(Protocol):
    async def count(self) -> int: ...


class ScrapeRefresh:
    """Runs every hook concurrently before a scrape (or a push) renders."""

    def __init__(self, metrics: AppMetrics, hooks: dict[str, Hook]) -> None:
        self._failures = metrics.counter(catalog.REFRESH_FAILURES)
        self.hooks = hooks

    async def __call__(self) -> None:
        # A scrape is not a request: its queries would otherwise become a new root trace
        # every scrape interval (the tasks below copy this context).
        with suppress_instrumentation():
            await asyncio.gather(*(self._run(name, hook) for name, hook in self.hooks.items()))

    async def _run(self, name: str, hook: Hook) -> None:
        try:
            async with asyncio.timeout(HOOK_TIMEOUT):
                await hook()
        except Exception as exc:
            self._failures.labels(name).inc()
            logger.warning("metrics refresh %s failed: %s", name, type(exc).__name__)


def active_users_hook(state: Any, metrics: AppMetrics) -> Hook:
    """Reads ``state.active_users`` at each scrape (the auth service may attach it after the
    metrics are installed); without it the gauge stays 0."""
    gauge = metrics.gauge(catalog.ACTIVE_USERS)

    async def refresh() -> None:
        tracker: ActiveUsers | None = getattr(state, "active_users", None)
        if tracker is not None:
            gauge.set(await tracker.count())

    return refresh


def pending_swaps_hook(database: Database, metrics: AppMetrics) -> Hook:
    gauge = metrics.gauge(catalog.SWAPS_PENDING)
    query = (
        select(func.count()).select_from(SwapRequest).where(SwapRequest.state.in_(PENDING_STATES))
    )

    async def refresh() -> None:
        async with database.engine.connect() as connection:
            gauge.set((await connection.execute(query)).scalar_one())

    return refresh
