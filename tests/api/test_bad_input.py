"""Bad input is the caller's mistake: 404 or 422 with a message, never a 500, on both databases.

Ids are 32-bit integers on PostgreSQL; larger numbers, far-off dates and malformed bodies must
be answered before they reach the database driver or date arithmetic.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from tests.support.api import API
from tests.support.schedules import schedule_file

TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999999"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    # the sweep sends a few hundred requests as one user
    return Settings(database_url=database_url, environment="test", rate_limit_api="100000/minute")


async def _paths_with_ids(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    spec = (await client.get("/openapi.json")).json()
    found = []
    for path, operations in spec["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        for method, operation in operations.items():
            kinds = {p["name"]: p["schema"].get("type") for p in operation.get("parameters", [])}
            if all(kinds.get(name) == "integer" for name in params):
                found.append((method.upper(), path))
    return found


async def test_ids_no_row_can_have_are_unknown_on_every_route(client: httpx.AsyncClient) -> None:
    routes = await _paths_with_ids(client)
    assert ("GET", f"{API}/people/{{person_id}}") in routes
    for method, path in routes:
        for value in [*TOO_BIG, "0", "-1"]:
            url = re.sub(r"{\w+}", value, path)
            response = await client.request(method, url, json={})
            assert response.status_code < 500, (method, url, response.text)
    for resource in ("people", "rotations", "shifts", "leave", "academic-years"):
        for value in TOO_BIG:
            response = await client.get(f"{API}/{resource}/{value}")
            assert response.status_code == 404, (resource, value, response.text)


FILTERS = [
    ("/people", "offset"),
    ("/rotations", "offset"),
    ("/rotation-assignments", "offset"),
    ("/rotation-assignments", "person_id"),
    ("/rotation-assignments", "block_id"),
    ("/shifts", "offset"),
    ("/shifts", "person_id"),
    ("/leave", "offset"),
    ("/leave", "person_id"),
    ("/compliance/report", "person_id"),
    ("/compliance/overrides", "person_id"),
]


async def test_out_of_range_filters_are_422(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    for path, param in FILTERS:
        for value in [*TOO_BIG, "-1", "abc", "1.5"]:
            response = await client.get(f"{API}{path}", params={param: value})
            assert response.status_code == 422, (path, param, value, response.text)
            assert response.json()["detail"][0]["loc"] == ["query", param]


async def test_far_off_and_impossible_dates(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    for path in ("/shifts", "/leave", "/schedule/export", "/compliance/report"):
        for params in ({"end": "9999-12-31"}, {"start": "0001-01-01"}):
            response = await client.get(f"{API}{path}", params=params)
            assert response.status_code == 200, (path, params, response.text)
        impossible = await client.get(f"{API}{path}", params={"start": "2026-02-30"})
        assert impossible.status_code == 422
        backwards = await client.get(
            f"{API}{path}", params={"start": "2026-07-10", "end": "2026-07-01"}
        )
        assert backwards.status_code == 422
    everything = await client.get(f"{API}/shifts", params={"end": "9999-12-31"})
    assert everything.json()["total"] == 3


async def test_malformed_bodies_are_422(client: httpx.AsyncClient) -> None:
    for path in ("/people", "/shifts", "/leave", "/schedule/import", "/compliance/validate"):
        for body in (b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b""):
            response = await client.post(
                f"{API}{path}", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, (path, body, response.text)


async def test_a_body_nested_too_deeply_to_parse_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/schedule/import",
        content=b'{"a":' * 100_000,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


BAD_SHIFT_FIELDS = [
    ("person_id", 2**31),
    ("person_id", 2**63),
    ("person_id", 0),
    ("person_id", "one"),
    ("start", "2026-02-30T07:00"),
    ("start", "2026-07-10T07:00+02:00"),
    ("start", "2026-07-10T07:00Z"),
    ("start", ""),
    ("kind", ""),
    ("worked_minutes", 2**31),
    ("worked_minutes", -1),
]


async def test_bad_shift_fields_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    person = await client.post(f"{API}/people", json={"code": "r09", "pgy": 2})
    good = {
        "person_id": person.json()["id"],
        "start": "2026-07-10T07:00",
        "end": "2026-07-10T19:00",
        "kind": "home_call",
    }
    shift = await client.post(f"{API}/shifts", json=good)
    assert shift.status_code == 201
    for field, value in BAD_SHIFT_FIELDS:
        created = await client.post(f"{API}/shifts", json={**good, field: value})
        assert created.status_code == 422, (field, value, created.text)
        assert field in str(created.json()["detail"])
        patched = await client.patch(f"{API}/shifts/{shift.json()['id']}", json={field: value})
        assert patched.status_code == 422, (field, value, patched.text)
    assert (await client.get(f"{API}/shifts")).json()["total"] == 1


async def test_bad_leave_and_people_fields_are_422(client: httpx.AsyncClient) -> None:
    person = (await client.post(f"{API}/people", json={"code": "r09", "pgy": 2})).json()
    for body in (
        {"person_id": 2**31, "start": "2026-07-01", "end": "2026-07-02"},
        {"person_id": person["id"], "start": "2026-02-30", "end": "2026-03-01"},
        {"person_id": person["id"], "start": "", "end": "2026-03-01"},
    ):
        assert (await client.post(f"{API}/leave", json=body)).status_code == 422, body
    for body in ({"code": "", "pgy": 1}, {"code": "a b", "pgy": 1}, {"code": "x", "pgy": 2**40}):
        assert (await client.post(f"{API}/people", json=body)).status_code == 422, body


BAD_PERIODS = [
    ({"start": "0001-01-01", "end": "9999-12-31"}, "period.start"),
    ({"start": "2026-07-01", "end": "2126-07-01"}, "period: at most 1098 days"),
    ({"start": "2026-07-01", "end": "2026-02-30"}, "period.end"),
    ({"start": 20260701, "end": "2026-07-28"}, "period.start"),
    ("2026-07-01", "period"),
    ([], "period"),
]


async def test_bad_periods_are_422_naming_the_item(client: httpx.AsyncClient) -> None:
    for path in ("/schedule/import", "/compliance/validate"):
        for period, named in BAD_PERIODS:
            body = schedule_file(period=period, shifts=[], leave=[])
            response = await client.post(f"{API}{path}", json=body)
            assert response.status_code == 422, (path, period, response.text)
            assert response.json()["detail"].startswith(named)
    assert (await client.get(f"{API}/academic-years")).json() == []


async def test_overflow_anywhere_is_a_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise OverflowError("date value out of range")

    response = await client.get("/boom")
    assert response.status_code == 422
    assert "out of the supported range" in response.json()["detail"]


async def test_ids_beyond_the_database_range_never_500(client: httpx.AsyncClient) -> None:
    huge = 2**40
    for path, params in (
        ("/api/v1/swaps", {"person_id": huge}),
        ("/api/v1/audit-events", {"actor_user_id": huge}),
        (f"/api/v1/swaps/{huge}", {}),
        (f"/api/v1/users/{huge}", {}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code in (200, 404, 422), (path, response.status_code, response.text)
    created = await client.post(
        "/api/v1/users",
        json={
            "username": "huge-link",
            "password": "a long enough password",
            "role": "faculty",
            "person_id": huge,
        },
    )
    assert created.status_code in (404, 422), created.text
