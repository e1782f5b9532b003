"""Builders for test data through the public API."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI

from app.auth.models import Role, User
from app.events import bus
from app.people.models import Person, PersonKind

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


# --- signing in: users are created directly in the app's database and get tokens minted by the
# app's own token service, so fixtures never spend the per-IP sign-in rate limit ---

PASSWORD = "correct horse battery staple"
_cheap_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # fast, still argon2id
_user_numbers = itertools.count(1)


async def create_user(
    app: FastAPI,
    role: Role | str,
    *,
    person_id: int | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> int:
    role = Role(role)
    async with app.state.services.database.session() as session:
        user = User(
            username=username or f"{role.value}-{next(_user_numbers)}",
            password_hash=_cheap_hasher.hash(password),
            role=role,
            person_id=person_id,
            active=True,
        )
        session.add(user)
        await session.flush()
        return int(user.id)


def bearer(
    app: FastAPI, user_id: int, role: Role | str, person_id: int | None = None
) -> dict[str, str]:
    token = app.state.services.tokens.issue(user_id, Role(role), person_id)
    return {"Authorization": f"Bearer {token}"}


async def signed_in_headers(
    app: FastAPI, role: Role | str, *, person_id: int | None = None
) -> dict[str, str]:
    """Headers of a new user with ``role`` (linked to ``person_id``)."""
    user_id = await create_user(app, role, person_id=person_id)
    return bearer(app, user_id, role, person_id)


def api_client(
    app: FastAPI, headers: dict[str, str] | None = None, *, ip: str = "127.0.0.1"
) -> httpx.AsyncClient:
    """An httpx client for ``app`` calling from ``ip`` (close it, or use ``async with``)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 123))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def create_person_row(app: FastAPI, code: str, pgy: int = 1) -> int:
    """A resident created directly in the database (no API call, no audit row)."""
    async with app.state.services.database.session() as session:
        person = Person(code=code, kind=PersonKind.RESIDENT, pgy=pgy)
        session.add(person)
        await session.flush()
        return int(person.id)


@contextmanager
def captured(*event_types: type) -> Iterator[list[Any]]:
    """Events of ``event_types`` published on the app's bus while the block runs."""
    seen: list[Any] = []
    for event_type in event_types:
        bus.subscribe(event_type, seen.append)
    try:
        yield seen
    finally:
        for event_type in event_types:
            bus.unsubscribe(event_type, seen.append)
