"""Calling the app through its API: apps, clients, signed-in users and data made by API calls.

Users are created directly in the app's database and get tokens minted by the app's own token
service (:func:`signed_in_headers`), so fixtures never spend the per-IP sign-in rate limit;
:func:`sign_in` goes through ``POST /auth/login`` for tests about the sign-in itself.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI

from app.auth import users
from app.auth.dependencies import SYSTEM, Principal, current_principal
from app.auth.models import Role, User
from app.auth.schemas import UserCreate
from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from app.people.models import Person, PersonKind
from tests.support.lifespan import serving

API = "/api/v1"
PASSWORD = "correct horse battery staple"

# --- apps and clients ----------------------------------------------------------------------


async def build_app(tmp_path: Path, **overrides: Any) -> FastAPI:
    """``create_app`` on a freshly migrated SQLite file under ``tmp_path``."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/app.db", environment="test", **overrides
    )
    await upgrade_database(settings.database_url)
    return create_app(settings)


def api_client(
    app: FastAPI, headers: dict[str, str] | None = None, *, ip: str = "127.0.0.1"
) -> httpx.AsyncClient:
    """An httpx client for ``app`` calling from ``ip`` (close it, or use ``async with``)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 123))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


@asynccontextmanager
async def client_for(app: FastAPI, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` while it runs (its lifespan started and ended around the block)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        serving(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client,
    ):
        yield client


# --- signing in ----------------------------------------------------------------------------

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


async def sign_in(app: FastAPI, client: httpx.AsyncClient, username: str = "admin") -> None:
    """Create an admin (as the app does) and put the token its real login returns on ``client``."""
    async with app.state.services.database.session() as session:
        await users.create_user(
            session, UserCreate(username=username, password=PASSWORD, role=Role.ADMIN)
        )
    response = await client.post(
        f"{API}/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def act_as_system(app: FastAPI) -> None:
    """Skip sign-in for requests that are about the body, not the caller."""

    async def system() -> Principal:
        return SYSTEM

    app.dependency_overrides[current_principal] = system


# --- data ----------------------------------------------------------------------------------


async def create_resident(client: httpx.AsyncClient, code: str = "r01", pgy: int = 1) -> int:
    response = await client.post(f"{API}/people", json={"code": code, "pgy": pgy})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def create_person_row(app: FastAPI, code: str, pgy: int = 1) -> int:
    """A resident created directly in the database (no API call, no audit row)."""
    async with app.state.services.database.session() as session:
        person = Person(code=code, kind=PersonKind.RESIDENT, pgy=pgy)
        session.add(person)
        await session.flush()
        return int(person.id)


async def create_shift(
    client: httpx.AsyncClient, person_id: int, start: str, end: str, kind: str = "day", **extra: Any
) -> httpx.Response:
    body = {"person_id": person_id, "start": start, "end": end, "kind": kind, **extra}
    return await client.post(f"{API}/shifts", json=body)


async def wait_for_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """Poll the generation job ``job_id`` until it has succeeded or failed."""
    for _ in range(1200):  # generous bound for a loaded 2-core machine; returns as soon as done
        job = (await client.get(f"{API}/generation-jobs/{job_id}")).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.25)
    raise AssertionError(f"generation job {job_id} did not finish: {job}")
