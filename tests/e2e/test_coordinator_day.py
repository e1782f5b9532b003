"""A coordinator's and two residents' day, through the public API only, on both databases:
sign in, import the year, check compliance, edit with an override, trade shifts, export."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.auth.models import Role
from tests.support.api import API, PASSWORD, api_client, create_user
from tests.support.clock import SAMPLE_SCHEDULE_NOT_STARTED
from tests.support.schedules import schedule_file


async def sign_in(app: FastAPI, username: str) -> httpx.AsyncClient:
    anonymous = api_client(app)
    response = await anonymous.post(
        f"{API}/auth/login", json={"username": username, "password": PASSWORD}
    )
    await anonymous.aclose()
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return api_client(app, {"Authorization": f"Bearer {token}"})


async def test_a_coordinators_day(app: FastAPI) -> None:
    app.state.services.clock.use(lambda: SAMPLE_SCHEDULE_NOT_STARTED)  # the month ahead
    await create_user(app, Role.COORDINATOR, username="coord")
    coordinator = await sign_in(app, "coord")

    year = schedule_file()
    year["shifts"].append(
        {"resident": "r01", "start": "2026-07-10T07:00", "end": "2026-07-10T19:00", "kind": "day"}
    )
    year["shifts"].append(
        {"resident": "r02", "start": "2026-07-12T07:00", "end": "2026-07-12T19:00", "kind": "day"}
    )
    imported = await coordinator.post(f"{API}/schedule/import", json=year)
    assert imported.status_code == 200, imported.text
    report = (await coordinator.get(f"{API}/compliance/report")).json()
    assert report["valid"] is True

    people = {p["code"]: p["id"] for p in (await coordinator.get(f"{API}/people")).json()["items"]}
    r01, r02 = people["r01"], people["r02"]

    # A change that breaks the 14 h rest after r02's 26 h call needs a written justification.
    body = {"person_id": r02, "start": "2026-07-03T12:00", "end": "2026-07-03T19:00", "kind": "day"}
    assert (await coordinator.post(f"{API}/shifts", json=body)).status_code == 409
    body["override_justification"] = "Sole senior for the ICU transfer; rest moved to the 4th."
    assert (await coordinator.post(f"{API}/shifts", json=body)).status_code == 201
    overrides = (await coordinator.get(f"{API}/compliance/overrides")).json()
    assert [o["rules"] for o in overrides] == ["rest_after_24h_call"]

    # r01 trades their day on the 10th for r02's day on the 12th.
    await create_user(app, Role.RESIDENT, username="res1", person_id=r01)
    await create_user(app, Role.RESIDENT, username="res2", person_id=r02)
    first, second = await sign_in(app, "res1"), await sign_in(app, "res2")
    mine = (await first.get(f"{API}/shifts", params={"person_id": r01})).json()["items"]
    theirs = (await second.get(f"{API}/shifts", params={"person_id": r02})).json()["items"]
    offered = next(s for s in mine if s["start"].startswith("2026-07-10"))
    wanted = next(s for s in theirs if s["start"].startswith("2026-07-12"))
    assert (await first.get(f"{API}/shifts", params={"person_id": r02})).status_code == 403

    trade = {"shift_id": offered["id"], "counterpart_id": r02, "counterpart_shift_id": wanted["id"]}
    swap = await first.post(f"{API}/swaps", json=trade)
    assert swap.status_code == 201, swap.text
    swap_id = swap.json()["id"]
    assert (await second.post(f"{API}/swaps/{swap_id}/accept")).status_code == 200
    approved = await coordinator.post(f"{API}/swaps/{swap_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "executed"

    exported = (await coordinator.get(f"{API}/schedule/export")).json()
    on_tenth = [s for s in exported["shifts"] if s["start"] == "2026-07-10T07:00"]
    on_twelfth = [s for s in exported["shifts"] if s["start"] == "2026-07-12T07:00"]
    assert [s["resident"] for s in on_tenth] == ["r02"]
    assert [s["resident"] for s in on_twelfth] == ["r01"]
    final = (await coordinator.get(f"{API}/compliance/report")).json()
    assert final["valid"] is False  # the kept override stays visible in the report
    assert {v["rule"] for v in final["violations"]} >= {"rest_after_24h_call"}

    for client in (coordinator, first, second):
        await client.aclose()
