"""GET /api/v1/schedule/fairness: the stored schedule's fairness report, for staff."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db.engine import Database
from app.generation.generator import GenerationResult
from app.generation.program import demo_program
from app.schedules.file_format import parse_schedule
from app.schedules.generated import store_generated
from tests.support.api import API
from tests.support.schedules import schedule_file


async def test_report_of_the_stored_schedule(client: httpx.AsyncClient, database: Database) -> None:
    assert (await client.get(f"{API}/schedule/fairness")).status_code == 404  # nothing stored
    assert (await client.post(f"{API}/schedule/import", json=schedule_file())).status_code == 200
    response = await client.get(f"{API}/schedule/fairness")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["program"], report["start"], report["end"]) == (
        "Test Program",
        "2026-07-01",
        "2026-07-28",
    )
    assert report["holidays"] == ["2026-07-03", "2026-07-04"]
    rows = {r["resident"]: r for r in report["residents"]}
    assert (rows["r01"]["hours"], rows["r01"]["leave_days"]) == (12, 5)
    assert (rows["r02"]["calls"], rows["r02"]["home_calls"], rows["r02"]["hours"]) == (1, 1, 28)
    assert [c["pgy"] for c in report["classes"]] == [1, 2]
    assert report["classes"][1]["spreads"]["hours"]["highest"] == ["r02"]
    async with database.session() as session:
        audited = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.resource_type == "schedule"))
        )
    assert [(a.action, a.resource_id) for a in audited] == [("read", None)]


async def test_window_and_bad_window(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    part = await client.get(
        f"{API}/schedule/fairness", params={"start": "2026-07-03", "end": "2026-07-10"}
    )
    assert part.status_code == 200
    assert (part.json()["start"], part.json()["end"]) == ("2026-07-03", "2026-07-10")
    r02 = next(r for r in part.json()["residents"] if r["resident"] == "r02")
    assert (r02["calls"], r02["home_calls"]) == (0, 1)  # the call started on the 2nd
    reversed_ = await client.get(
        f"{API}/schedule/fairness", params={"start": "2026-07-10", "end": "2026-07-03"}
    )
    assert reversed_.status_code == 422
    decades = await client.get(
        f"{API}/schedule/fairness", params={"start": "2000-01-01", "end": "2029-12-31"}
    )
    assert decades.status_code == 422
    assert decades.json()["detail"].startswith("start/end: at most 1098 days")


async def test_idle_former_residents_are_left_out(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    gone = (await client.post(f"{API}/people", json={"code": "r09", "pgy": 1})).json()["id"]
    await client.patch(f"{API}/people/{gone}", json={"active": False})
    idle = (await client.post(f"{API}/people", json={"code": "r10", "pgy": 1})).json()["id"]
    report = (await client.get(f"{API}/schedule/fairness")).json()
    assert [r["resident"] for r in report["residents"]] == ["r01", "r10", "r02"]
    assert idle and report["classes"][0]["spreads"]["hours"]["lowest"] == ["r10"]


async def test_staff_only(
    coordinator_client: httpx.AsyncClient,
    faculty_client: httpx.AsyncClient,
    resident_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    assert (await coordinator_client.get(f"{API}/schedule/fairness")).status_code == 200
    assert (await faculty_client.get(f"{API}/schedule/fairness")).status_code == 200
    assert (await resident_client.get(f"{API}/schedule/fairness")).status_code == 403


def _with_calls() -> dict[str, Any]:
    """The test file with two more calls: r01 on 4 July (US), r02 on 15 July (the program's)."""
    data = schedule_file()
    data["shifts"] += [
        {"resident": "r01", "start": "2026-07-04T07:00", "end": "2026-07-05T09:00", "kind": "call"},
        {"resident": "r02", "start": "2026-07-15T07:00", "end": "2026-07-16T09:00", "kind": "call"},
    ]  # fmt: skip
    return data


async def store_as_generated(database: Database, data: dict[str, Any], holidays: Any) -> None:
    """What a generation job stores: the year, with its program's holidays as its calendar."""
    program = demo_program("small").model_copy(update={"holidays": holidays})
    result = GenerationResult(
        status="feasible",
        schedule=parse_schedule(data),
        objective=0.0,
        bound=0.0,
        wall_time=1.0,
        time_to_first_feasible=1.0,
    )
    async with database.session() as session:
        await store_generated(session, program, result)


def _holiday_calls(report: dict[str, Any]) -> dict[str, int]:
    return {r["resident"]: r["holiday_calls"] for r in report["residents"]}


async def test_a_generated_year_counts_its_programs_holidays(
    client: httpx.AsyncClient, database: Database
) -> None:
    await store_as_generated(database, _with_calls(), [date(2026, 7, 15)])
    report = (await client.get(f"{API}/schedule/fairness")).json()
    assert report["holidays"] == ["2026-07-15"]
    assert _holiday_calls(report) == {"r01": 0, "r02": 1}  # 4 July is not the program's

    us = (await client.get(f"{API}/schedule/fairness", params={"holidays": "us"})).json()
    assert us["holidays"] == ["2026-07-03", "2026-07-04"]
    assert _holiday_calls(us) == {"r01": 1, "r02": 0}
    canada = await client.get(f"{API}/schedule/fairness", params={"holidays": "CA"})
    assert canada.json()["holidays"] == ["2026-07-01"]  # Canada Day
    none = (await client.get(f"{API}/schedule/fairness", params={"holidays": "none"})).json()
    assert none["holidays"] == [] and _holiday_calls(none) == {"r01": 0, "r02": 0}

    # The year exported, edited and imported again: the same program's, the same calendar.
    assert (await client.post(f"{API}/schedule/import", json=_with_calls())).status_code == 200
    again = (await client.get(f"{API}/schedule/fairness")).json()
    assert again["holidays"] == ["2026-07-15"]
    # Another program's file names no holidays: the year's calendar is the federal one.
    other = _with_calls() | {"program": "Another Program"}
    assert (await client.post(f"{API}/schedule/import", json=other)).status_code == 200
    imported = (await client.get(f"{API}/schedule/fairness")).json()
    assert imported["holidays"] == ["2026-07-03", "2026-07-04"]
    assert _holiday_calls(imported) == {"r01": 1, "r02": 0}


async def test_a_program_named_country_is_stored_as_its_days(
    client: httpx.AsyncClient, database: Database
) -> None:
    await store_as_generated(database, _with_calls(), "CA")
    report = (await client.get(f"{API}/schedule/fairness")).json()
    assert report["holidays"] == ["2026-07-01"]


async def test_an_unknown_calendar_is_422_naming_it(client: httpx.AsyncClient) -> None:
    refused = await client.get(f"{API}/schedule/fairness", params={"holidays": "XX"})
    assert refused.status_code == 422  # before looking for a schedule
    assert refused.json()["detail"].startswith("holidays: no holiday calendar for country 'XX'")
