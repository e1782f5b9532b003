"""The active schedule's gauges come from the stored schedule, whoever changed it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import delete

from app.core.config import Settings
from app.core.metrics import catalog
from app.db.migrate import upgrade_database
from app.main import create_app
from app.schedules.file_format import parse_schedule
from app.schedules.models import Shift
from app.schedules.transfer import import_schedule
from tests.support.api import client_for
from tests.support.metrics import scrape, value
from tests.support.schedules import too_many_hours

CURRENT = catalog.ACGME_CURRENT_VIOLATIONS.name
SCORE = catalog.COMPLIANCE_SCORE.name


async def gauges_once_worked_out(client: httpx.AsyncClient, hours: float | None) -> float | None:
    """Scrape until the 80-hour gauge differs from ``hours`` (the scrape starts the work; it
    finishes beside it), and return the new value."""
    for _ in range(400):  # a bound for a loaded machine: returns as soon as it changes
        samples = await scrape(client)
        found = value(samples, CURRENT, rule="hours_80_weekly", severity="violation")
        if found != hours:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the active schedule's gauges never changed")


async def store(app: FastAPI, data: dict[str, object]) -> None:
    async with app.state.services.database.session() as session:
        await import_schedule(session, parse_schedule(data))


async def test_every_replica_reports_what_is_stored_after_any_change(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    await upgrade_database(url)
    first, second = (create_app(Settings(database_url=url, environment="test")) for _ in "ab")
    async with client_for(first) as one, client_for(second) as two:
        fresh = await scrape(two)
        assert value(fresh, SCORE) != value(fresh, SCORE)  # NaN: nothing stored yet
        await store(first, too_many_hours())  # written through the first replica
        assert await gauges_once_worked_out(two, 0) == 1  # and seen by the second
        assert value(await scrape(two), SCORE) == 0.5  # r01's only block breaks the rules
        async with first.state.services.database.session() as session:
            await session.execute(delete(Shift))  # a change no validation announced
        assert await gauges_once_worked_out(two, 1) == 0
        assert value(await scrape(two), SCORE) == 1.0
        # the replica that made the changes reports the same
        assert await gauges_once_worked_out(one, None) == 0
