"""The per-IP failure store behaves the same in process and in Redis (replicas share it)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.security.lockout import (
    FailureStore,
    LockoutPolicy,
    MemoryFailureStore,
    RedisFailureStore,
)
from tests.support.servers import RedisServer

POLICY = LockoutPolicy(threshold=3, base=60, maximum=600)
_prefixes = itertools.count(1)


@pytest.fixture
async def redis_client(redis: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[FailureStore]:
    if request.param == "memory":
        yield MemoryFailureStore(POLICY)
        return
    server: RedisServer = request.getfixturevalue("redis")  # a plain (sync) session fixture
    client = Redis.from_url(server.url)
    yield RedisFailureStore(client, POLICY, prefix=f"test:lockout:{next(_prefixes)}:")
    await client.aclose()


async def test_locks_at_the_threshold_and_doubles(store: FailureStore) -> None:
    now = 10_000.0
    assert (await store.fail("ip:a", now)).locked_until is None
    assert (await store.fail("ip:a", now)).locked_until is None
    third = await store.fail("ip:a", now)
    assert third.failures == 3 and third.locked_until == now + 60
    assert await store.locked_until("ip:a", now + 59) == now + 60
    assert await store.locked_until("ip:a", now + 60) is None
    fourth = await store.fail("ip:a", now + 60)
    assert fourth.locked_until == now + 60 + 120
    assert await store.locked_until("ip:b", now) is None


async def test_memory_store_forgets_after_the_maximum() -> None:
    store = MemoryFailureStore(POLICY)
    await store.fail("ip:a", 0.0)
    await store.fail("ip:a", 1.0)
    assert (await store.fail("ip:a", 1000.0)).failures == 1  # quiet for longer than 600 s


async def test_memory_store_stays_bounded() -> None:
    store = MemoryFailureStore(POLICY, max_keys=10)
    for n in range(100):
        await store.fail(f"ip:{n}", float(n))
    assert len(store._state) <= 10


async def test_redis_keys_expire(redis_client: Redis) -> None:
    prefix = f"test:lockout:{next(_prefixes)}:"
    store = RedisFailureStore(redis_client, POLICY, prefix=prefix)
    await store.fail("ip:a", 0.0)
    ttl = await redis_client.ttl(prefix + "ip:a")
    assert 0 < ttl <= 601


async def test_a_long_lock_is_not_forgotten_before_it_ends_plus_the_maximum(
    store: FailureStore,
) -> None:
    now = 0.0
    for _ in range(6):  # locks of 60, 120, 240, 480, 600, 600 s, each tried right at its end
        outcome = await store.fail("ip:a", now)
        while outcome.locked_until is None:
            outcome = await store.fail("ip:a", now)
        now = outcome.locked_until
    # Quiet for a while after the last lock ended, but less than the maximum: still counted.
    assert (await store.fail("ip:a", now + 599)).locked_until == now + 599 + 600
