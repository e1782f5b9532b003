"""Active users: distinct signed-in users in the last five minutes, in process or in Redis."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app.auth.models import Role
from app.security.active_users import MemoryActiveUsers, RedisActiveUsers
from tests.support.api import API, api_client, signed_in_headers
from tests.support.clock import ManualClock
from tests.support.lifespan import start, stop
from tests.support.servers import RedisServer

_keys = itertools.count(1)


async def test_requests_make_users_active(app: FastAPI) -> None:
    tracker = app.state.services.active_users
    assert await tracker.count() == 0
    first = await signed_in_headers(app, Role.FACULTY)
    second = await signed_in_headers(app, Role.COORDINATOR)
    async with api_client(app, first) as one, api_client(app, second) as two:
        for _ in range(3):
            await one.get(f"{API}/rotations")
        assert await tracker.count() == 1
        await two.get(f"{API}/rotations")
        assert await tracker.count() == 2
    async with api_client(app, {"Authorization": "Bearer forged"}) as stranger:
        await stranger.get(f"{API}/rotations")
    assert await tracker.count() == 2  # only authenticated users count


async def test_memory_window() -> None:
    clock = ManualClock(1000.0)
    tracker = MemoryActiveUsers(window=300, clock=clock)
    await tracker.seen(1)
    clock.advance(200)
    await tracker.seen(2)
    await tracker.seen(2)
    assert await tracker.count() == 2
    clock.advance(101)
    assert await tracker.count() == 1  # user 1 was last seen 301 s ago
    clock.advance(200)
    assert await tracker.count() == 0


@pytest.fixture
async def redis_client(redis: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    yield client
    await client.aclose()


async def test_redis_window_is_shared_by_replicas(redis_client: Redis) -> None:
    key = f"test:active:{next(_keys)}"
    clock = ManualClock(1000.0)
    replica_a = RedisActiveUsers(redis_client, window=300, clock=clock, key=key)
    replica_b = RedisActiveUsers(redis_client, window=300, clock=clock, key=key)
    await replica_a.seen(1)
    await replica_b.seen(1)
    await replica_b.seen(2)
    assert await replica_a.count() == await replica_b.count() == 2
    clock.advance(250)
    await replica_a.seen(3)
    clock.advance(60)  # users 1 and 2 were seen 310 s ago
    assert await replica_b.count() == 1
    members = await redis_client.zrange(key, 0, -1)
    assert members == [b"3"]  # expired members are pruned, and only ids are stored


async def test_redis_writes_are_throttled_per_user(redis_client: Redis) -> None:
    key = f"test:active:{next(_keys)}"
    clock = ManualClock(1000.0)
    tracker = RedisActiveUsers(redis_client, window=300, clock=clock, key=key)
    await tracker.seen(1)
    clock.advance(20)  # within a tenth of the window: no second write
    await tracker.seen(1)
    assert await redis_client.zscore(key, "1") == 1000.0
    clock.advance(11)
    await tracker.seen(1)
    assert await redis_client.zscore(key, "1") == 1031.0


async def test_active_users_through_redis_via_the_api(redis: RedisServer, sqlite_url: str) -> None:
    from app.core.config import Settings
    from app.main import create_app

    client = Redis.from_url(redis.url)
    await client.delete("scheduler:active_users")
    settings = Settings(database_url=sqlite_url, environment="test", redis_url=redis.url)
    app = await start(create_app(settings))
    try:
        assert isinstance(app.state.services.active_users, RedisActiveUsers)
        async with api_client(app, await signed_in_headers(app, Role.FACULTY)) as caller:
            await caller.get(f"{API}/rotations")
        assert await app.state.services.active_users.count() == 1
        assert await client.zcard("scheduler:active_users") == 1
    finally:
        await client.aclose()
        await stop(app)
