"""GET /api/v1/people/{id}/calendar.ics: one resident's shifts as iCalendar."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.db.engine import Database
from app.rotations.models import Rotation, RotationAssignment
from app.schedules.models import Block
from tests.support.api import API, api_client, signed_in_headers
from tests.support.schedules import schedule_file


async def person_ids(client: httpx.AsyncClient) -> dict[str, int]:
    people = (await client.get(f"{API}/people")).json()["items"]
    return {p["code"]: p["id"] for p in people}


def parsed(response: httpx.Response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


async def test_one_event_per_shift(client: httpx.AsyncClient, database: Database) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    r02 = (await person_ids(client))["r02"]
    calendar = parsed(await client.get(f"{API}/people/{r02}/calendar.ics"))
    assert str(calendar["prodid"]) == "-//Residency Scheduler//Resident calendar//EN"
    assert str(calendar["version"]) == "2.0"
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["In-house call", "Home call"]
    # floating local times: the program's wall clock, as the schedule writes them
    assert events[0].decoded("dtstart") == datetime(2026, 7, 2, 7, 0)
    assert events[0].decoded("dtend") == datetime(2026, 7, 3, 9, 0)
    assert len({str(e["uid"]) for e in events}) == 2

    # the same schedule imported again (new shift rows): the same UIDs
    await client.post(f"{API}/schedule/import", json=schedule_file())
    again = parsed(await client.get(f"{API}/people/{r02}/calendar.ics")).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]

    async with database.session() as session:
        audited = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))
        )
    assert [(a.resource_type, a.resource_id) for a in audited] == [("person", str(r02))] * 2


async def test_range_and_rotation(client: httpx.AsyncClient, database: Database) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    r02 = (await person_ids(client))["r02"]
    async with database.session() as session:
        block = await session.scalar(select(Block).where(Block.number == 1))
        assert block is not None
        rotation = Rotation(code="ICU", name="Intensive care")
        session.add(rotation)
        await session.flush()
        session.add(RotationAssignment(block_id=block.id, person_id=r02, rotation_id=rotation.id))
    later = await client.get(f"{API}/people/{r02}/calendar.ics", params={"start": "2026-07-04"})
    assert [str(e["summary"]) for e in parsed(later).walk("VEVENT")] == ["Home call (ICU)"]
    # a shift overlapping the range is in it
    third = await client.get(
        f"{API}/people/{r02}/calendar.ics", params={"start": "2026-07-03", "end": "2026-07-03"}
    )
    assert [str(e["summary"]) for e in parsed(third).walk("VEVENT")] == ["In-house call (ICU)"]
    empty = await client.get(f"{API}/people/{r02}/calendar.ics", params={"end": "2026-06-30"})
    assert parsed(empty).walk("VEVENT") == []
    bad = await client.get(
        f"{API}/people/{r02}/calendar.ics", params={"start": "2026-07-05", "end": "2026-07-04"}
    )
    assert bad.status_code == 422


async def test_unknown_person_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/people/999999/calendar.ics")).status_code == 404


async def test_residents_fetch_their_own_only(
    app: FastAPI, client: httpx.AsyncClient, coordinator_client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    ids = await person_ids(client)
    headers = await signed_in_headers(app, Role.RESIDENT, person_id=ids["r01"])
    async with api_client(app, headers) as resident:
        own = parsed(await resident.get(f"{API}/people/{ids['r01']}/calendar.ics"))
        assert [str(e["summary"]) for e in own.walk("VEVENT")] == ["Day shift"]
        assert (await resident.get(f"{API}/people/{ids['r02']}/calendar.ics")).status_code == 403
        # refused before the lookup, as GET /people/{id}: an unknown id tells nothing
        assert (await resident.get(f"{API}/people/999999/calendar.ics")).status_code == 403
    anyone = await coordinator_client.get(f"{API}/people/{ids['r02']}/calendar.ics")
    assert len(parsed(anyone).walk("VEVENT")) == 2
