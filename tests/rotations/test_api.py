from __future__ import annotations

import httpx

from tests.support.api import API


async def test_rotation_crud(client: httpx.AsyncClient) -> None:
    created = await client.post(
        f"{API}/rotations", json={"code": "WARDS", "name": "Inpatient wards"}
    )
    assert created.status_code == 201
    rotation = created.json()
    renamed = await client.patch(f"{API}/rotations/{rotation['id']}", json={"name": "Wards"})
    assert renamed.json()["name"] == "Wards" and renamed.json()["code"] == "WARDS"
    listed = (await client.get(f"{API}/rotations")).json()
    assert listed["total"] == 1
    duplicate = await client.post(f"{API}/rotations", json={"code": "WARDS", "name": "again"})
    assert duplicate.status_code == 409
    assert (await client.delete(f"{API}/rotations/{rotation['id']}")).status_code == 204
    assert (await client.get(f"{API}/rotations/{rotation['id']}")).status_code == 404


async def test_rotation_validation(client: httpx.AsyncClient) -> None:
    assert (
        await client.post(f"{API}/rotations", json={"code": "", "name": "x"})
    ).status_code == 422
    assert (
        await client.post(f"{API}/rotations", json={"code": "A B", "name": "x"})
    ).status_code == 422
    assert (await client.patch(f"{API}/rotations/9", json={"name": "x"})).status_code == 404
    assignments = await client.get(f"{API}/rotation-assignments", params={"block_id": 1})
    assert assignments.status_code == 200 and assignments.json()["total"] == 0
