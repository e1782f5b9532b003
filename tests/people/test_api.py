from __future__ import annotations

import httpx

from tests.support.api import API, create_resident, create_shift


async def test_create_read_update_delete_person(client: httpx.AsyncClient) -> None:
    created = await client.post(
        f"{API}/people", json={"code": "r01", "pgy": 2, "email": "r01@example.org"}
    )
    assert created.status_code == 201
    person = created.json()
    assert person["kind"] == "resident" and person["pgy"] == 2

    fetched = await client.get(f"{API}/people/{person['id']}")
    assert fetched.json()["code"] == "r01"

    updated = await client.patch(f"{API}/people/{person['id']}", json={"pgy": 3})
    assert updated.status_code == 200 and updated.json()["pgy"] == 3

    assert (await client.delete(f"{API}/people/{person['id']}")).status_code == 204
    assert (await client.get(f"{API}/people/{person['id']}")).status_code == 404


async def test_list_is_paginated_and_filtered(client: httpx.AsyncClient) -> None:
    for n in range(5):
        await create_resident(client, f"r{n:02}", pgy=1 + n % 2)
    await client.post(f"{API}/people", json={"code": "f01", "kind": "faculty"})

    page = (await client.get(f"{API}/people", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == 1
    assert [p["code"] for p in page["items"]] == ["r00", "r01"]

    pgy1 = (await client.get(f"{API}/people", params={"pgy": 1})).json()
    assert {p["code"] for p in pgy1["items"]} == {"r00", "r02", "r04"}
    faculty = (await client.get(f"{API}/people", params={"kind": "faculty"})).json()
    assert [p["code"] for p in faculty["items"]] == ["f01"]


async def test_invalid_payloads_are_422_with_field_errors(client: httpx.AsyncClient) -> None:
    missing_pgy = await client.post(f"{API}/people", json={"code": "r01"})
    assert missing_pgy.status_code == 422
    assert "pgy is required" in missing_pgy.text

    bad_email = await client.post(f"{API}/people", json={"code": "r01", "pgy": 1, "email": "x"})
    assert bad_email.status_code == 422
    assert bad_email.json()["detail"][0]["loc"] == ["body", "email"]

    unknown_field = await client.post(f"{API}/people", json={"code": "r1", "pgy": 1, "x": 1})
    assert unknown_field.status_code == 422

    bad_page = await client.get(f"{API}/people", params={"limit": 0})
    assert bad_page.status_code == 422


async def test_duplicate_code_is_409(client: httpx.AsyncClient) -> None:
    await create_resident(client, "r01")
    response = await client.post(f"{API}/people", json={"code": "r01", "pgy": 1})
    assert response.status_code == 409
    assert "r01" in response.json()["detail"]


async def test_person_with_shifts_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    person_id = await create_resident(client)
    await create_shift(client, person_id, "2026-07-01T07:00", "2026-07-01T19:00")
    response = await client.delete(f"{API}/people/{person_id}")
    assert response.status_code == 409
    assert (await client.get(f"{API}/people/{person_id}")).status_code == 200


async def test_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/people/999")).status_code == 404
    assert (await client.patch(f"{API}/people/999", json={"pgy": 1})).status_code == 404
    assert (await client.delete(f"{API}/people/999")).status_code == 404
