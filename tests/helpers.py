"""Builders for test data through the public API."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/v1"


async def create_resident(client: httpx.AsyncClient, code: str = "r01", pgy: int = 1) -> int:
    response = await client.post(f"{API}/people", json={"code": code, "pgy": pgy})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def create_shift(
    client: httpx.AsyncClient, person_id: int, start: str, end: str, kind: str = "day", **extra: Any
) -> httpx.Response:
    body = {"person_id": person_id, "start": start, "end": end, "kind": kind, **extra}
    return await client.post(f"{API}/shifts", json=body)


def schedule_file(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "program": "Test Program",
        "period": {"start": "2026-07-01", "end": "2026-07-28"},
        "residents": [{"id": "r01", "pgy": 1}, {"id": "r02", "pgy": 2}],
        "shifts": [
            {
                "resident": "r01",
                "start": "2026-07-01T07:00",
                "end": "2026-07-01T19:00",
                "kind": "day",
            },
            {
                "resident": "r02",
                "start": "2026-07-02T07:00",
                "end": "2026-07-03T09:00",
                "kind": "call",
            },
            {
                "resident": "r02",
                "start": "2026-07-05T17:00",
                "end": "2026-07-06T08:00",
                "kind": "home_call",
                "worked_minutes": 120,
            },
        ],
        "leave": [{"resident": "r01", "start": "2026-07-20", "end": "2026-07-24"}],
    }
    data.update(overrides)
    return data
