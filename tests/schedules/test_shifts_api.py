from __future__ import annotations

import httpx

from tests.support.api import API, create_resident, create_shift


async def test_shift_crud(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    created = await create_shift(client, person_id, "2026-07-01T07:00", "2026-07-02T09:00", "call")
    assert created.status_code == 201
    shift = created.json()
    assert shift["start"] == "2026-07-01T07:00:00" and shift["kind"] == "call"

    moved = await client.patch(f"{API}/shifts/{shift['id']}", json={"end": "2026-07-01T19:00"})
    assert moved.status_code == 200 and moved.json()["end"] == "2026-07-01T19:00:00"

    assert (await client.delete(f"{API}/shifts/{shift['id']}")).status_code == 204
    assert (await client.get(f"{API}/shifts/{shift['id']}")).status_code == 404


async def test_overlapping_shift_is_409_and_not_written(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    await create_shift(client, person_id, "2026-07-01T07:00", "2026-07-01T19:00")
    clash = await create_shift(client, person_id, "2026-07-01T18:00", "2026-07-02T07:00", "night")
    assert clash.status_code == 409
    assert "overlaps shift" in clash.json()["detail"]
    listed = (await client.get(f"{API}/shifts", params={"person_id": person_id})).json()
    assert listed["total"] == 1


async def test_touching_shifts_and_other_residents_do_not_conflict(
    client: httpx.AsyncClient,
) -> None:
    first = await create_resident(client, "r01")
    second = await create_resident(client, "r02")
    assert (await create_shift(client, first, "2026-07-01T07:00", "2026-07-01T19:00")).is_success
    night = await create_shift(client, first, "2026-07-01T19:00", "2026-07-02T07:00", "night")
    assert night.status_code == 201
    other = await create_shift(client, second, "2026-07-01T07:00", "2026-07-01T19:00")
    assert other.status_code == 201


async def test_update_into_overlap_is_409(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    await create_shift(client, person_id, "2026-07-01T07:00", "2026-07-01T19:00")
    later = (await create_shift(client, person_id, "2026-07-03T07:00", "2026-07-03T19:00")).json()
    response = await client.patch(f"{API}/shifts/{later['id']}", json={"start": "2026-07-01T12:00"})
    assert response.status_code == 409
    unchanged = (await client.get(f"{API}/shifts/{later['id']}")).json()
    assert unchanged["start"] == "2026-07-03T07:00:00"


async def test_bad_shift_payloads_are_422(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    backwards = await create_shift(client, person_id, "2026-07-01T19:00", "2026-07-01T07:00")
    assert backwards.status_code == 422 and "end must be after start" in backwards.text
    unknown_kind = await create_shift(
        client, person_id, "2026-07-01T07:00", "2026-07-01T19:00", "x"
    )
    assert unknown_kind.status_code == 422
    with_offset = await create_shift(
        client, person_id, "2026-07-01T07:00+02:00", "2026-07-01T19:00+02:00"
    )
    assert with_offset.status_code == 422
    minutes_on_day = await create_shift(
        client, person_id, "2026-07-01T07:00", "2026-07-01T19:00", worked_minutes=30
    )
    assert minutes_on_day.status_code == 422
    unknown_person = await create_shift(client, 999, "2026-07-01T07:00", "2026-07-01T19:00")
    assert unknown_person.status_code == 422 and "person 999" in unknown_person.text
    bad_update = await client.patch(f"{API}/shifts/1", json={"kind": "nope"})
    assert bad_update.status_code == 422


async def test_list_filters_by_date_range_resident_and_kind(client: httpx.AsyncClient) -> None:
    first = await create_resident(client, "r01")
    second = await create_resident(client, "r02")
    await create_shift(client, first, "2026-07-01T07:00", "2026-07-01T19:00")
    await create_shift(client, first, "2026-07-02T19:00", "2026-07-03T07:00", "night")
    await create_shift(client, second, "2026-07-03T07:00", "2026-07-03T19:00")
    await create_shift(client, second, "2026-07-10T07:00", "2026-07-10T19:00")

    def starts(page: httpx.Response) -> list[str]:
        return [s["start"][:10] for s in page.json()["items"]]

    # A night that starts on the 2nd still intersects the 3rd.
    on_third = await client.get(
        f"{API}/shifts", params={"start": "2026-07-03", "end": "2026-07-03"}
    )
    assert starts(on_third) == ["2026-07-02", "2026-07-03"]
    mine = await client.get(f"{API}/shifts", params={"person_id": second})
    assert starts(mine) == ["2026-07-03", "2026-07-10"]
    nights = await client.get(f"{API}/shifts", params={"kind": "night"})
    assert starts(nights) == ["2026-07-02"]
    paged = (await client.get(f"{API}/shifts", params={"limit": 1, "offset": 3})).json()
    assert paged["total"] == 4 and len(paged["items"]) == 1
    backwards = await client.get(
        f"{API}/shifts", params={"start": "2026-07-03", "end": "2026-07-01"}
    )
    assert backwards.status_code == 422


async def test_shift_for_faculty_is_rejected(client: httpx.AsyncClient) -> None:
    faculty = (await client.post(f"{API}/people", json={"code": "f1", "kind": "faculty"})).json()
    response = await create_shift(client, faculty["id"], "2026-07-01T07:00", "2026-07-01T19:00")
    assert response.status_code == 422 and "not a resident" in response.text


async def test_a_call_in_inside_a_home_call_is_accepted(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    home = await create_shift(
        client, person_id, "2026-07-03T17:00", "2026-07-06T07:00", "home_call"
    )
    assert home.status_code == 201
    call_in = await create_shift(client, person_id, "2026-07-04T02:00", "2026-07-04T05:00")
    assert call_in.status_code == 201, call_in.text
    partly = await create_shift(client, person_id, "2026-07-06T05:00", "2026-07-06T09:00")
    assert partly.status_code == 409 and "call-in" in partly.json()["detail"]
    second_home = await create_shift(
        client, person_id, "2026-07-04T00:00", "2026-07-04T01:00", "home_call"
    )
    assert second_home.status_code == 409
    # a home call may be laid around existing in-house work, but never cut through it
    shrink = await client.patch(
        f"{API}/shifts/{home.json()['id']}", json={"end": "2026-07-04T04:00"}
    )
    assert shrink.status_code == 409
    moved = await client.patch(
        f"{API}/shifts/{home.json()['id']}", json={"end": "2026-07-04T05:00"}
    )
    assert moved.status_code == 200, moved.text
