"""GET /api/v1/schedule/fairness: the stored schedule's fairness report, for staff."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db.engine import Database
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
