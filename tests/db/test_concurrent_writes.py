"""Invariants that must hold under concurrent writers, on SQLite as on PostgreSQL.

Requests run truly in parallel: the app's database calls run on driver threads (aiosqlite) or
the server (asyncpg) while the event loop interleaves the requests. On SQLite, "check, then
write" was not atomic (Python's ``sqlite3`` reads outside any transaction), so two overlapping
shifts were both stored, and the account lockout lost counts (issue 13, item 2).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.core.config import Settings
from app.main import create_app
from tests.support.api import (
    API,
    PASSWORD,
    api_client,
    create_resident,
    create_user,
    signed_in_headers,
)
from tests.support.lifespan import start, stop

ROUNDS = 10
CEILING = 8


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Only the per-account ceiling limits the parallel guesses below (each comes from its own
    # address, and the per-IP sign-in rate limit is out of the way).
    return Settings(
        database_url=database_url,
        environment="test",
        rate_limit_login="10000/minute",
        lockout_account_threshold=CEILING,
        jwt_secret="concurrent-writes-test-secret-0123456789",  # shared by the second app
    )


async def _stored(client: httpx.AsyncClient, path: str, person_id: int) -> int:
    listed = await client.get(f"{API}/{path}", params={"person_id": person_id, "limit": 500})
    assert listed.status_code == 200
    return int(listed.json()["total"])


async def test_overlapping_shifts_in_parallel_store_exactly_one(
    client: httpx.AsyncClient,
) -> None:
    person_id = await create_resident(client)
    for day in range(1, ROUNDS + 1):
        bodies = [
            {
                "person_id": person_id,
                "start": f"2026-08-{day:02}T{7 + n:02}:00",
                "end": f"2026-08-{day:02}T{19 - n:02}:00",
                "kind": "day",
            }
            for n in range(4)
        ]
        answers = await asyncio.gather(*(client.post(f"{API}/shifts", json=b) for b in bodies))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201, 409, 409, 409], [a.text for a in answers]
        assert await _stored(client, "shifts", person_id) == day


async def test_overlapping_leave_in_parallel_stores_exactly_one(
    client: httpx.AsyncClient,
) -> None:
    person_id = await create_resident(client)
    for week in range(ROUNDS):
        day = 1 + 2 * week
        bodies = [
            {
                "person_id": person_id,
                "start": f"2026-09-{day:02}",
                "end": f"2026-09-{day + n % 2:02}",
                "kind": "vacation",
            }
            for n in range(4)
        ]
        answers = await asyncio.gather(*(client.post(f"{API}/leave", json=b) for b in bodies))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201, 409, 409, 409], [a.text for a in answers]
        assert await _stored(client, "leave", person_id) == week + 1


async def test_two_processes_on_one_database_store_exactly_one_shift(
    app: FastAPI, settings: Settings
) -> None:
    """As ``serve --workers 2`` or two replicas: two apps, each with its own connections."""
    other = await start(create_app(settings))
    try:
        headers = await signed_in_headers(app, Role.COORDINATOR)
        async with api_client(app, headers) as first, api_client(other, headers) as second:
            person_id = await create_resident(first)
            for day in range(1, ROUNDS + 1):
                body = {
                    "person_id": person_id,
                    "start": f"2026-10-{day:02}T07:00",
                    "end": f"2026-10-{day:02}T19:00",
                    "kind": "day",
                }
                calls = [c.post(f"{API}/shifts", json=body) for c in (first, second) * 2]
                answers = await asyncio.gather(*calls)
                assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
            assert await _stored(second, "shifts", person_id) == ROUNDS
    finally:
        await stop(other)


async def _guess(app: FastAPI, username: str, password: str, ip: str) -> int:
    async with api_client(app, ip=ip) as client:
        response = await client.post(
            f"{API}/auth/login", json={"username": username, "password": password}
        )
    return response.status_code


async def _checked(app: FastAPI, user_id: int) -> tuple[int, int]:
    """Wrong passwords verified for the account (its ``login_failed`` rows), and its count."""
    async with app.state.services.database.session() as session:
        failed = await session.scalar(
            select(func.count()).where(
                AuditEvent.action == "login_failed", AuditEvent.resource_id == str(user_id)
            )
        )
        user = await session.get(User, user_id)
        assert user is not None
        return int(failed or 0), user.failed_logins


async def test_parallel_wrong_passwords_check_no_more_than_the_ceiling(app: FastAPI) -> None:
    user_id = await create_user(app, Role.FACULTY, username="fran")
    answers = await asyncio.gather(
        *(_guess(app, "fran", f"wrong {n}", f"10.13.{n}.1") for n in range(60))
    )
    assert sorted(set(answers)) == [401, 429]
    assert answers.count(401) == CEILING
    assert await _checked(app, user_id) == (CEILING, CEILING)

    # The account is locked: a batch that holds the right password does not sign in.
    batch = [f"guess {n}" for n in range(29)]
    batch.insert(17, PASSWORD)
    answers = await asyncio.gather(
        *(_guess(app, "fran", guess, f"10.14.{n}.1") for n, guess in enumerate(batch))
    )
    assert set(answers) == {429}
    assert await _checked(app, user_id) == (CEILING, CEILING)


async def test_a_right_password_in_a_parallel_batch_before_the_lock_still_signs_in(
    app: FastAPI,
) -> None:
    """Below the ceiling, the right password wins whatever runs beside it, and resets the
    count; the wrong ones beside it are each counted or refused, never lost uncounted."""
    user_id = await create_user(app, Role.FACULTY, username="sam")
    batch = [f"guess {n}" for n in range(CEILING - 2)]
    batch.insert(2, PASSWORD)
    answers = await asyncio.gather(
        *(_guess(app, "sam", guess, f"10.15.{n}.1") for n, guess in enumerate(batch))
    )
    assert answers[2] == 200
    assert answers.count(401) == CEILING - 2
    failed, count = await _checked(app, user_id)
    assert failed == CEILING - 2 and 0 <= count <= CEILING - 2


async def test_parallel_reads_each_leave_their_audit_row_before_answering(
    app: FastAPI,
    coordinator_client: httpx.AsyncClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite the rows of concurrent reads are committed together (one write lock per
    batch, not per read); on both, each read's row is stored when its answer arrives."""
    grouped = []
    write = audit_service._GroupCommit.write

    async def counted(self: audit_service._GroupCommit, event: AuditEvent) -> None:
        grouped.append(event.request_id)
        await write(self, event)

    monkeypatch.setattr(audit_service._GroupCommit, "write", counted)

    async def read() -> tuple[str, int]:
        response = await coordinator_client.get(f"{API}/people")
        assert response.status_code == 200
        async with app.state.services.database.session() as session:
            stored = await session.scalar(
                select(func.count()).where(
                    AuditEvent.request_id == response.headers["x-request-id"]
                )
            )
        return response.headers["x-request-id"], int(stored or 0)

    for _ in range(3):
        answers = await asyncio.gather(*(read() for _ in range(16)))
        assert [stored for _, stored in answers] == [1] * 16
        assert len({request_id for request_id, _ in answers}) == 16
    async with app.state.services.database.session() as session:
        listed = await session.scalar(
            select(func.count()).where(
                AuditEvent.action == "list", AuditEvent.resource_type == "person"
            )
        )
    assert listed == 48
    assert len(grouped) == (48 if database_url.startswith("sqlite") else 0)
