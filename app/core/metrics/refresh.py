"""Gauges read from their source when Prometheus scrapes: active users and pending swaps.

Each hook is bounded by a timeout; a failing or slow source is counted
(the catalog's ``REFRESH_FAILURES``) and logged, and its gauge keeps its last value,
so a scrape never fails because the database is slow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import func, select

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.core.metrics.vocabulary import RefreshHook
from app.db.engine import Database
from app.swaps.events import OPEN
from app.swaps.models import SwapRequest

logger = logging.getLogger(__name__)

HOOK_TIMEOUT = 2.0  # seconds; well inside Prometheus' default 10 s scrape timeout

Hook = Callable[[], Awaitable[None]]


class ActiveUsers(Protocol):
    async def count(self) -> int: ...


class ScrapeRefresh:
    """Runs every hook concurrently before a scrape (or a push) renders."""

    def __init__(
        self, metrics: AppMetrics, *, database: Database, active_users: ActiveUsers
    ) -> None:
        self._failures = metrics.counter(catalog.REFRESH_FAILURES)
        self.hooks: dict[RefreshHook, Hook] = {
            "active_users": active_users_hook(active_users, metrics),
            "pending_swaps": pending_swaps_hook(database, metrics),
        }

    async def __call__(self) -> None:
        # A scrape is not a request: its queries would otherwise become a new root trace
        # every scrape interval (the tasks below copy this context).
        with suppress_instrumentation():
            await asyncio.gather(*(self._run(name, hook) for name, hook in self.hooks.items()))

    async def _run(self, name: RefreshHook, hook: Hook) -> None:
        try:
            async with asyncio.timeout(HOOK_TIMEOUT):
                await hook()
        except Exception as exc:
            self._failures.labels(name).inc()
            logger.warning("metrics refresh %s failed: %s", name, type(exc).__name__)


def active_users_hook(tracker: ActiveUsers, metrics: AppMetrics) -> Hook:
    gauge = metrics.gauge(catalog.ACTIVE_USERS)

    async def refresh() -> None:
        gauge.set(await tracker.count())

    return refresh


def pending_swaps_hook(database: Database, metrics: AppMetrics) -> Hook:
    gauge = metrics.gauge(catalog.SWAPS_PENDING)
    query = select(func.count()).select_from(SwapRequest).where(SwapRequest.state.in_(OPEN))

    async def refresh() -> None:
        async with database.engine.connect() as connection:
            gauge.set((await connection.execute(query)).scalar_one())

    return refresh
