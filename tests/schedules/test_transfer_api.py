from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import httpx
import pytest

from app.schedules import transfer
from tests.support.api import API, create_resident, create_shift
from tests.support.schedules import schedule_file


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
    # part of the stored year: its first day anchors the blocks
    assert body["period"] == {
        "start": "2026-07-02",
        "end": "2026-07-03",
        "block_start": "2026-07-01",
    }
    assert [s["kind"] for s in body["shifts"]] == ["call"]
    assert "name" not in body["residents"][0]
    named = await client.get(f"{API}/schedule/export", params={"with_names": True})
    assert named.json()["residents"][0]["name"] == "Pat Example"


async def test_import_reaching_past_the_period_must_not_overlap_stored_shifts(
    client: httpx.AsyncClient,
) -> None:
    r01 = await create_resident(client, "r01")
    outside = await create_shift(client, r01, "2026-07-29T07:00", "2026-07-29T19:00")
    assert outside.status_code == 201
    await client.post(
        f"{API}/leave", json={"person_id": r01, "start": "2026-07-30", "end": "2026-08-02"}
    )

    night = {
        "resident": "r01",
        "start": "2026-07-28T19:00",
        "end": "2026-07-29T08:00",
        "kind": "night",
    }
    clash = schedule_file(shifts=[night], leave=[])
    response = await client.post(f"{API}/schedule/import", json=clash)
    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "shifts[0]: overlaps the stored shift 2026-07-29T07:00"
    )

    long_leave = {"resident": "r01", "start": "2026-07-27", "end": "2026-07-31"}
    response = await client.post(f"{API}/schedule/import", json=schedule_file(leave=[long_leave]))
    assert response.status_code == 409
    assert response.json()["detail"].startswith("leave[0]: overlaps the stored leave 2026-07-30")

    # nothing was written: the stored rows outside and no year for the refused period
    assert [s["id"] for s in (await client.get(f"{API}/shifts")).json()["items"]] == [
        outside.json()["id"]
    ]
    assert (await client.get(f"{API}/leave")).json()["total"] == 1
    assert (await client.get(f"{API}/academic-years")).json() == []

    fine = dict(night, end="2026-07-29T07:00")  # ends as the stored shift starts
    assert (
        await client.post(f"{API}/schedule/import", json=schedule_file(shifts=[fine], leave=[]))
    ).is_success


async def test_round_trip_keeps_home_call_minutes_and_shifts_crossing_the_period_end(
    client: httpx.AsyncClient,
) -> None:
    data = schedule_file()
    data["shifts"].append(
        {"resident": "r01", "start": "2026-07-28T19:00", "end": "2026-07-29T07:00", "kind": "night"}
    )
    assert (await client.post(f"{API}/schedule/import", json=data)).status_code == 200
    exported = (await client.get(f"{API}/schedule/export")).json()
    assert sorted(exported["shifts"], key=lambda s: s["start"]) == sorted(
        data["shifts"], key=lambda s: s["start"]
    )
    again = await client.post(f"{API}/schedule/import", json=exported)
    assert again.json()["shifts_replaced"] == 4
    assert (await client.get(f"{API}/schedule/export")).json() == exported


def _overlapping_pairs(shifts: list[dict[str, Any]]) -> int:
    pairs = 0
    for resident in {s["resident"] for s in shifts}:
        own = sorted((s["start"], s["end"]) for s in shifts if s["resident"] == resident)
        pairs += sum(1 for a, b in itertools.combinations(own, 2) if a[0] < b[1] and b[0] < a[1])
    return pairs


async def test_concurrent_imports_of_one_period_serialize(
    client: httpx.AsyncClient,
    coordinator_client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two imports of the same period at once (a client retrying after a timeout): the second
    waits for the first and replaces it, so the period holds exactly one file, never both."""
    first = schedule_file()
    second = schedule_file(
        shifts=[
            {
                "resident": r,
                "start": f"2026-07-{d:02}T{h:02}:00",
                "end": f"2026-07-{d:02}T{h + 12}:00",
            }
            | {"kind": "day"}
            for d in range(1, 11)
            for r, h in (("r01", 8), ("r02", 9))
        ]
    )
    assert (await client.post(f"{API}/schedule/import", json=first)).status_code == 200

    # Each import waits (briefly) after its first writes for the other to get that far too:
    # without serialization both delete the old period and both insert, merging the files.
    arrived, both_here = 0, asyncio.Event()
    upsert = transfer._upsert_residents

    async def meet_after_upsert(*args: Any) -> Any:
        nonlocal arrived
        result = await upsert(*args)
        arrived += 1
        if arrived == 2:
            both_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_here.wait(), timeout=0.5)
        return result

    monkeypatch.setattr(transfer, "_upsert_residents", meet_after_upsert)
    responses = await asyncio.gather(
        client.post(f"{API}/schedule/import", json=second),
        coordinator_client.post(f"{API}/schedule/import", json=first),
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert arrived == 2

    exported = (await client.get(f"{API}/schedule/export")).json()["shifts"]
    assert len(exported) in (len(first["shifts"]), len(second["shifts"]))
    assert _overlapping_pairs(exported) == 0


async def test_a_part_year_import_replaces_shifts_inside_its_academic_year(
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    part = (
        await client.get(
            f"{API}/schedule/export", params={"start": "2026-07-02", "end": "2026-07-10"}
        )
    ).json()
    part["shifts"] = []  # r02's call on 07-02 is dropped
    response = await client.post(f"{API}/schedule/import", json=part)
    assert response.status_code == 200, response.text
    assert response.json()["shifts_replaced"] == 2  # the call and the home call
    years = (await client.get(f"{API}/academic-years")).json()
    assert [(y["start"], y["end"], y["active"]) for y in years] == [
        ("2026-07-01", "2026-07-28", True)
    ]
    assert response.json()["academic_year_id"] == years[0]["id"]
    whole = (await client.get(f"{API}/schedule/export")).json()
    assert whole["period"] == {"start": "2026-07-01", "end": "2026-07-28"}
    assert [s["kind"] for s in whole["shifts"]] == ["day"]
    # a file beyond every stored year creates one, and it becomes the active year
    later = schedule_file(period={"start": "2026-08-01", "end": "2026-08-28"}, shifts=[], leave=[])
    assert (await client.post(f"{API}/schedule/import", json=later)).is_success
    years = (await client.get(f"{API}/academic-years")).json()
    assert [(y["start"], y["active"]) for y in years] == [
        ("2026-07-01", False),
        ("2026-08-01", True),
    ]


async def test_a_365_day_year_is_stored_as_13_blocks(client: httpx.AsyncClient) -> None:
    year = schedule_file(period={"start": "2026-07-01", "end": "2027-06-30"})
    assert (await client.post(f"{API}/schedule/import", json=year)).is_success
    (stored,) = (await client.get(f"{API}/academic-years")).json()
    blocks = stored["blocks"]
    assert len(blocks) == 13
    assert (blocks[-1]["start"], blocks[-1]["end"]) == ("2027-06-02", "2027-06-30")


async def test_a_generated_year_exported_in_part_revalidates_clean(
    client: httpx.AsyncClient,
) -> None:
    from app.generation import demo_program, generate_schedule

    # The case: cut at 2026-08-01, a medium year got 7 violations with blocks from the
    # cut. Anchored at the year's first day its blocks are the year's (block 2 clipped to 25 days).
    year = generate_schedule(demo_program("medium"), seed=0).schedule.to_json_dict()
    imported = await client.post(f"{API}/schedule/import", json=year)
    assert imported.is_success, imported.text
    part = await client.get(f"{API}/schedule/export", params={"start": "2026-08-01"})
    assert part.json()["period"]["block_start"] == "2026-07-01"
    report = (await client.post(f"{API}/compliance/validate", json=part.json())).json()
    assert report["valid"] and report["violations"] == []


async def test_a_years_time_zone_is_stored_exported_and_guarded(client: httpx.AsyncClient) -> None:
    zoned = schedule_file(timezone="America/New_York")
    assert (await client.post(f"{API}/schedule/import", json=zoned)).is_success
    (year,) = (await client.get(f"{API}/academic-years")).json()
    assert year["timezone"] == "America/New_York"
    part = {"start": "2026-07-02", "end": "2026-07-10"}
    exported = (await client.get(f"{API}/schedule/export", params=part)).json()
    assert exported["timezone"] == "America/New_York"
    assert (await client.post(f"{API}/schedule/import", json=exported)).is_success
    exported["timezone"] = "Europe/Paris"  # part of the year, in another zone: refused, named
    refused = await client.post(f"{API}/schedule/import", json=exported)
    assert refused.status_code == 422
    assert "timezone: the academic year 2026-07-01 to 2026-07-28 is stored with" in refused.text
