"""Cached compliance reports and schedule reads: hits, misses, and invalidation by writes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.cache.events import CacheLookup
from app.cache.service import schedule_version
from app.cache.store import MemoryCacheStore
from app.core.config import Settings
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.support.api import API, api_client, create_shift, signed_in_headers
from tests.support.clock import ManualClock
from tests.support.events import captured
from tests.support.lifespan import start, stop
from tests.support.schedules import schedule_file, too_many_hours
from tests.support.servers import PostgresServer, RedisServer

_numbers = itertools.count(1)


def lookups(events: list[CacheLookup]) -> list[tuple[str, bool]]:
    return [(e.cache, e.hit) for e in events]


async def test_compliance_report_is_cached_until_the_schedule_changes(
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    with captured(CacheLookup) as events:
        first = await client.get(f"{API}/compliance/report")
        second = await client.get(f"{API}/compliance/report")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["valid"] is True
    assert lookups(events) == [("compliance_report", False), ("compliance_report", True)]

    # Any write to the schedule makes the next read recompute (and see the change).
    await client.post(f"{API}/schedule/import", json=too_many_hours())
    with captured(CacheLookup) as events:
        changed = await client.get(f"{API}/compliance/report")
    assert lookups(events) == [("compliance_report", False)]
    assert changed.json()["valid"] is False

    # Different parameters are different entries.
    with captured(CacheLookup) as events:
        await client.get(f"{API}/compliance/report", params={"strict": True})
        await client.get(f"{API}/compliance/report", params={"strict": True})
    assert lookups(events) == [("compliance_report", False), ("compliance_report", True)]


async def test_schedule_reads_are_invalidated_by_every_kind_of_write(
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = {p["code"]: p["id"] for p in (await client.get(f"{API}/people")).json()["items"]}

    async def read() -> tuple[int, bool]:
        with captured(CacheLookup) as events:
            page = (await client.get(f"{API}/shifts")).json()
        assert len(events) == 1 and events[0].cache == "schedule"
        return page["total"], events[0].hit

    assert await read() == (3, False)
    assert await read() == (3, True)
    shift = await create_shift(client, people["r01"], "2026-07-10T07:00", "2026-07-10T19:00")
    assert await read() == (4, False)
    await client.patch(f"{API}/shifts/{shift.json()['id']}", json={"end": "2026-07-10T17:00"})
    assert await read() == (4, False)
    assert await read() == (4, True)
    await client.post(
        f"{API}/leave",
        json={"person_id": people["r02"], "start": "2026-07-25", "end": "2026-07-26"},
    )
    assert await read() == (4, False)
    await client.patch(f"{API}/people/{people['r02']}", json={"pgy": 3})
    assert await read() == (4, False)
    await client.delete(f"{API}/shifts/{shift.json()['id']}")
    assert await read() == (3, False)


async def test_a_resident_never_gets_a_colleagues_cached_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = {p["code"]: p["id"] for p in (await client.get(f"{API}/people")).json()["items"]}
    await client.get(f"{API}/shifts", params={"person_id": people["r02"]})  # cached for r02
    headers = await signed_in_headers(app, Role.RESIDENT, person_id=people["r01"])
    async with api_client(app, headers) as resident:
        mine = (await resident.get(f"{API}/shifts")).json()
    assert {s["person_id"] for s in mine["items"]} == {people["r01"]}


async def bump_checks(session_factory: Database) -> None:
    """Each write statement (committed) bumps the version; a rolled-back one does not."""

    async def version() -> int:
        async with session_factory.session() as session:
            value = await schedule_version(session)
        assert value is not None
        return value

    start = await version()
    statements = [
        "INSERT INTO academic_years (program, start_date, end_date, active, created_at) "
        "VALUES ('p', '2030-07-01', '2031-06-30', false, '2030-01-01')",
        "INSERT INTO people (code, kind, pgy, active, created_at) "
        "VALUES ('z1', 'resident', 1, true, '2030-01-01')",
        "INSERT INTO shifts (person_id, start_at, end_at, kind, worked_minutes, created_at) "
        "SELECT id, '2030-07-01 07:00', '2030-07-01 19:00', 'day', 0, '2030-01-01' "
        "FROM people WHERE code = 'z1'",
        "UPDATE shifts SET worked_minutes = 0",
        "INSERT INTO leave (person_id, start_date, end_date, kind, created_at) "
        "SELECT id, '2030-08-01', '2030-08-02', 'vacation', '2030-01-01' FROM people "
        "WHERE code = 'z1'",
        "DELETE FROM leave",
        "DELETE FROM shifts",
        "UPDATE people SET pgy = 2 WHERE code = 'z1'",
    ]
    seen = start
    for statement in statements:
        async with session_factory.session() as session:
            await session.execute(text(statement))
        now = await version()
        assert now > seen, statement
        seen = now

    async def two_writes(session: AsyncSession) -> None:
        await session.execute(text("UPDATE people SET pgy = 3 WHERE code = 'z1'"))
        await session.execute(text("UPDATE people SET pgy = 4 WHERE code = 'z1'"))

    async with session_factory.session() as session:
        await two_writes(session)
    assert await version() > seen
    seen = await version()

    with pytest.raises(RuntimeError):
        async with session_factory.session() as session:
            await session.execute(text("UPDATE people SET pgy = 5 WHERE code = 'z1'"))
            raise RuntimeError("roll back")
    assert await version() == seen


async def test_database_triggers_bump_the_version_on_sqlite(database: Database) -> None:
    await bump_checks(database)


@pytest.mark.postgres
async def test_database_triggers_bump_the_version_on_postgres(postgres: PostgresServer) -> None:
    url = postgres.create_database(f"cache_version_{next(_numbers)}")
    await upgrade_database(url)
    database = Database(url)
    try:
        await bump_checks(database)
        # PostgreSQL bumps once per transaction, however many rows it touched.
        async with database.session() as session:
            before = await schedule_version(session)
        async with database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO people (code, kind, pgy, active, created_at) "
                    "SELECT 'bulk' || n, 'resident', 1, true, now() FROM generate_series(1, 50) n"
                )
            )
        async with database.session() as session:
            after = await schedule_version(session)
        assert before is not None and after == before + 1
    finally:
        await database.dispose()


@pytest.fixture
async def redis_replicas(
    redis: RedisServer, sqlite_url: str
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    from redis.asyncio import Redis

    prefix_db = Redis.from_url(redis.url)
    await prefix_db.flushdb()
    await prefix_db.aclose()
    settings = Settings(
        database_url=sqlite_url,
        environment="test",
        redis_url=redis.url,
        jwt_secret="replica-shared-secret-0123456789abcdef",
    )
    first, second = await start(create_app(settings)), await start(create_app(settings))
    yield first, second
    for app in (first, second):
        await stop(app)


async def test_replicas_share_the_redis_cache(redis_replicas: tuple[FastAPI, FastAPI]) -> None:
    first, second = redis_replicas
    headers = await signed_in_headers(first, Role.ADMIN)
    async with api_client(first, headers) as one, api_client(second, headers) as two:
        await one.post(f"{API}/schedule/import", json=schedule_file())
        with captured(CacheLookup) as events:
            computed = await one.get(f"{API}/compliance/report")
            shared = await two.get(f"{API}/compliance/report")
        assert lookups(events) == [("compliance_report", False), ("compliance_report", True)]
        assert computed.json() == shared.json()
        # A write through one replica invalidates the other's reads (the version is in the DB).
        await one.post(f"{API}/schedule/import", json=too_many_hours())
        with captured(CacheLookup) as events:
            fresh = await two.get(f"{API}/compliance/report")
        assert lookups(events) == [("compliance_report", False)]
        assert fresh.json()["valid"] is False


async def test_an_unreachable_redis_degrades_to_misses(sqlite_url: str) -> None:
    from tests.support.servers import free_port

    settings = Settings(
        database_url=sqlite_url,
        environment="test",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    app = await start(create_app(settings))
    try:
        async with app.state.services.database.session() as session:
            calls = []

            async def compute() -> dict[str, object]:
                calls.append(1)
                return {"value": 1}

            cache = app.state.services.cache
            assert await cache.get_or_compute(session, "schedule", compute, k=1) == {"value": 1}
            assert await cache.get_or_compute(session, "schedule", compute, k=1) == {"value": 1}
        assert len(calls) == 2
    finally:
        await stop(app)


async def test_memory_store_expires_and_evicts() -> None:
    clock = ManualClock(1000.0)
    store = MemoryCacheStore(max_entries=2, clock=clock)
    await store.set("a", b"1", ttl=10)
    await store.set("b", b"2", ttl=10)
    assert await store.get("a") == b"1"  # a is now the most recently used
    await store.set("c", b"3", ttl=10)
    assert await store.get("b") is None and await store.get("a") == b"1"
    clock.advance(10)
    assert await store.get("a") is None and await store.get("c") is None
