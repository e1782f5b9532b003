from __future__ import annotations

import httpx

from tests.helpers import API, create_resident, create_shift, schedule_file


async def test_import_then_export_round_trips(client: httpx.AsyncClient) -> None:
    data = schedule_file()
    response = await client.post(f"{API}/schedule/import", json=data)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["residents_created"] == 2 and summary["shifts"] == 3 and summary["leave"] == 1

    exported = (await client.get(f"{API}/schedule/export")).json()
    assert exported["program"] == data["program"]
    assert exported["period"] == data["period"]
    assert exported["shifts"] == data["shifts"]
    assert exported["leave"] == data["leave"]
    assert exported["residents"] == data["residents"]

    years = (await client.get(f"{API}/academic-years")).json()
    assert len(years) == 1 and years[0]["active"] is True
    assert [b["number"] for b in years[0]["blocks"]] == [1]


async def test_reimport_replaces_the_period(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    smaller = schedule_file(shifts=schedule_file()["shifts"][:1], leave=[])
    response = await client.post(f"{API}/schedule/import", json=smaller)
    assert response.json()["shifts_replaced"] == 3
    assert (await client.get(f"{API}/shifts")).json()["total"] == 1
    assert (await client.get(f"{API}/leave")).json()["total"] == 0
    assert len((await client.get(f"{API}/academic-years")).json()) == 1


async def test_bad_file_changes_nothing_and_names_the_item(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client, "r01")
    await create_shift(client, person_id, "2026-07-01T07:00", "2026-07-01T19:00")
    before = (await client.get(f"{API}/shifts")).json()

    data = schedule_file()
    data["shifts"][2]["resident"] = "r99"
    response = await client.post(f"{API}/schedule/import", json=data)
    assert response.status_code == 422
    assert response.json()["detail"] == "shifts[2].resident: unknown resident 'r99'"

    overlapping = schedule_file()
    overlapping["shifts"].append(dict(overlapping["shifts"][0], start="2026-07-01T18:00"))
    response = await client.post(f"{API}/schedule/import", json=overlapping)
    assert response.status_code == 422 and response.json()["detail"].startswith("shifts[3]")

    assert (await client.get(f"{API}/shifts")).json() == before
    assert (await client.get(f"{API}/academic-years")).json() == []


async def test_import_refuses_faculty_code_atomically(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/people", json={"code": "r02", "kind": "faculty"})
    response = await client.post(f"{API}/schedule/import", json=schedule_file())
    assert response.status_code == 422
    assert "residents[1].id" in response.json()["detail"]
    assert (await client.get(f"{API}/people")).json()["total"] == 1
    assert (await client.get(f"{API}/academic-years")).json() == []


async def test_export_without_a_year_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/schedule/export")
    assert response.status_code == 404


async def test_export_date_range_and_names(client: httpx.AsyncClient) -> None:
    data = schedule_file()
    data["residents"][0]["name"] = "Pat Example"
    await client.post(f"{API}/schedule/import", json=data)
    ranged = await client.get(
        f"{API}/schedule/export", params={"start": "2026-07-02", "end": "2026-07-03"}
    )
    body = ranged.json()
    assert body["period"] == {"start": "2026-07-02", "end": "2026-07-03"}
    assert [s["kind"] for s in body["shifts"]] == ["call"]
    assert "name" not in body["residents"][0]
    named = await client.get(f"{API}/schedule/export", params={"with_names": True})
    assert named.json()["residents"][0]["name"] == "Pat Example"
