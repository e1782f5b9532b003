from __future__ import annotations

import httpx
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db.engine import Database
from tests.support.api import API
from tests.support.schedules import schedule_file, too_many_hours


async def test_validate_upload_reports_without_storing(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/compliance/validate", json=too_many_hours())
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False
    rules = {v["rule"] for v in report["violations"]}
    assert {"hours_80_weekly", "one_day_off_in_7"} <= rules
    assert report["compliance_score"] == 50.0  # r01's block fails, r02's passes
    assert (await client.get(f"{API}/academic-years")).json() == []


async def test_validate_upload_bad_file_is_422(client: httpx.AsyncClient) -> None:
    bad = schedule_file()
    bad["shifts"][0]["kind"] = "brunch"
    response = await client.post(f"{API}/compliance/validate", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("shifts[0].kind")


async def test_stored_report_filters_by_resident(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/compliance/report")).status_code == 404
    await client.post(f"{API}/schedule/import", json=too_many_hours())
    whole = (await client.get(f"{API}/compliance/report")).json()
    assert whole["valid"] is False

    people = (await client.get(f"{API}/people")).json()["items"]
    r02 = next(p["id"] for p in people if p["code"] == "r02")
    clean = (await client.get(f"{API}/compliance/report", params={"person_id": r02})).json()
    assert clean == {"valid": True, "compliance_score": 100.0, "violations": []}


async def test_rule_breaking_shift_needs_a_justification(
    client: httpx.AsyncClient, database: Database
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = (await client.get(f"{API}/people")).json()["items"]
    r02 = next(p["id"] for p in people if p["code"] == "r02")
    # r02 comes off a 26 h call at 09:00 on the 3rd: a shift at 12:00 breaks the 14 h rest.
    body = {"person_id": r02, "start": "2026-07-03T12:00", "end": "2026-07-03T19:00", "kind": "day"}

    refused = await client.post(f"{API}/shifts", json=body)
    assert refused.status_code == 409
    assert [v["rule"] for v in refused.json()["violations"]] == ["rest_after_24h_call"]
    assert (await client.get(f"{API}/shifts", params={"person_id": r02})).json()["total"] == 2

    too_short = await client.post(f"{API}/shifts", json={**body, "override_justification": "ok"})
    assert too_short.status_code == 409

    reason = "Only senior available for the ICU transfer; rest given on the 4th."
    kept = await client.post(f"{API}/shifts", json={**body, "override_justification": reason})
    assert kept.status_code == 201
    overrides = (await client.get(f"{API}/compliance/overrides")).json()
    assert len(overrides) == 1
    assert overrides[0]["rules"] == "rest_after_24h_call"
    assert overrides[0]["justification"] == reason
    assert overrides[0]["shift_id"] == kept.json()["id"]

    async with database.session() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.resource_type == "compliance_override")
            )
        )
    assert [(e.action, e.resource_type) for e in events] == [("override", "compliance_override")]


async def test_compliant_change_needs_no_justification(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = (await client.get(f"{API}/people")).json()["items"]
    r01 = next(p["id"] for p in people if p["code"] == "r01")
    body = {"person_id": r01, "start": "2026-07-10T07:00", "end": "2026-07-10T19:00", "kind": "day"}
    assert (await client.post(f"{API}/shifts", json=body)).status_code == 201
    assert (await client.get(f"{API}/compliance/overrides")).json() == []
