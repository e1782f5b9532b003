"""Gauges read from their source when Prometheus scrapes: active users, pending swaps and the
active schedule's compliance.

Each hook is bounded by a timeout; a failing or slow source is counted
(the catalog's ``REFRESH_FAILURES``) and logged, and its gauge keeps its last value,
so a scrape never fails because the database is slow.

The active schedule's findings come from the database, not from what this process happened to
validate: every replica reports the same numbers, and a change made by another replica or a
worker (or a shift edit, which validates one resident only) shows up at the next scrape. The
schedule's cache version tells when to look again; the export and validation then run in the
background, beside the scrape, so a large year never holds one up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import func, select

from app.cache.service import schedule_version
from app.compliance.report import ComplianceReport
from app.compliance.validator import validate_schedule
from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.core.metrics.subscribers import show_active_schedule
from app.core.metrics.vocabulary import RefreshHook
from app.db.engine import Database
from app.schedules.file_format import ScheduleFile
from app.schedules.transfer import export_schedule
from app.schedules.years import active_year
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
        self._active_schedule = ActiveScheduleHook(database, metrics)
        self.hooks: dict[RefreshHook, Hook] = {
            "active_users": active_users_hook(active_users, metrics),
            "pending_swaps": pending_swaps_hook(database, metrics),
            "active_schedule": self._active_schedule,
        }

    async def close(self) -> None:
        """Stop background work a hook started (before the database goes away)."""
        await self._active_schedule.close()

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


class ActiveScheduleHook:
    """Sets the active schedule's current findings and score whenever the stored schedule
    changed since they were last worked out."""

    def __init__(self, database: Database, metrics: AppMetrics) -> None:
        self._database = database
        self._current = metrics.gauge(catalog.ACGME_CURRENT_VIOLATIONS)
        self._score = metrics.gauge(catalog.COMPLIANCE_SCORE)
        self._failures = metrics.counter(catalog.REFRESH_FAILURES)
        self._done: int | None = None  # the schedule version the gauges describe
        self._task: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        if self._task is not None and not self._task.done():
            return  # still working out the last change
        async with self._database.session() as session:
            version = await schedule_version(session)
        if version is None or version == self._done:
            return
        self._task = asyncio.get_running_loop().create_task(self._recompute(version))

    async def _recompute(self, version: int) -> None:
        try:
            async with self._database.session() as session:
                year = await active_year(session)
                if year is None:
                    self._done = version
                    return
                schedule = await export_schedule(session, start=year.start_date, end=year.end_date)
            report = await asyncio.to_thread(_validated, schedule)
        except Exception as exc:
            self._failures.labels("active_schedule").inc()
            logger.warning("metrics refresh active_schedule failed: %s", type(exc).__name__)
            return
        show_active_schedule(self._current, self._score, report.summary(), report.compliance_score)
        self._done = version

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _validated(schedule: ScheduleFile) -> ComplianceReport:
    with suppress_instrumentation():
        return validate_schedule(schedule)
