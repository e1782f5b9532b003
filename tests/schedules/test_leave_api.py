from __future__ import annotations

import httpx

from tests.support.api import API, create_resident


async def test_leave_crud_and_overlap(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    body = {"person_id": person_id, "start": "2026-07-20", "end": "2026-07-24", "kind": "vacation"}
    created = await client.post(f"{API}/leave", json=body)
    assert created.status_code == 201
    leave = created.json()

    clash = await client.post(
        f"{API}/leave", json={**body, "start": "2026-07-24", "end": "2026-07-25"}
    )
    assert clash.status_code == 409

    moved = await client.patch(f"{API}/leave/{leave['id']}", json={"end": "2026-07-21"})
    assert moved.status_code == 200 and moved.json()["end"] == "2026-07-21"
    backwards = await client.patch(f"{API}/leave/{leave['id']}", json={"end": "2026-07-01"})
    assert backwards.status_code == 422

    listed = await client.get(f"{API}/leave", params={"start": "2026-07-21", "end": "2026-07-30"})
    assert [v["id"] for v in listed.json()["items"]] == [leave["id"]]
    outside = await client.get(f"{API}/leave", params={"start": "2026-07-22"})
    assert outside.json()["total"] == 0

    assert (await client.delete(f"{API}/leave/{leave['id']}")).status_code == 204
    assert (await client.get(f"{API}/leave/{leave['id']}")).status_code == 404


async def test_bad_leave_is_422(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    backwards = {"person_id": person_id, "start": "2026-07-24", "end": "2026-07-20"}
    assert (await client.post(f"{API}/leave", json=backwards)).status_code == 422
    bad_kind = {"person_id": person_id, "start": "2026-07-20", "end": "2026-07-21", "kind": "x"}
    assert (await client.post(f"{API}/leave", json=bad_kind)).status_code == 422
