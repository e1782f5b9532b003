"""Lockout of accounts and source IPs after repeated failures; time moves by a manual clock."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.events import AuthenticationFailed, SuspiciousActivity
from app.auth.models import Role
from app.core.config import Settings
from app.main import create_app
from app.security.lockout import LockoutPolicy
from tests.support.api import API, PASSWORD, api_client, create_user
from tests.support.clock import ManualClock
from tests.support.events import captured
from tests.support.lifespan import start, stop
from tests.support.servers import RedisServer


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The per-IP sign-in rate limit has its own tests; here it must not interfere.
    return Settings(database_url=database_url, environment="test", rate_limit_login="1000/minute")


@pytest.fixture
def clock(app: FastAPI) -> ManualClock:
    manual = ManualClock(float(int(time.time())))
    app.state.services.clock.use(manual)
    return manual


async def attempt(
    app: FastAPI, username: str, password: str, ip: str = "10.0.0.1"
) -> httpx.Response:
    async with api_client(app, ip=ip) as client:
        return await client.post(
            f"{API}/auth/login", json={"username": username, "password": password}
        )


def test_policy_doubles_up_to_the_maximum() -> None:
    policy = LockoutPolicy(threshold=5, base=60, maximum=3600)
    assert [policy.lock_seconds(n) for n in range(1, 5)] == [None] * 4
    assert [policy.lock_seconds(n) for n in range(5, 13)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert policy.lock_seconds(10_000) == 3600


async def test_account_locks_after_five_failures_then_doubles(
    app: FastAPI, clock: ManualClock
) -> None:
    user_id = await create_user(app, Role.COORDINATOR, username="casey")
    with captured(AuthenticationFailed, SuspiciousActivity) as events:
        for n in range(4):  # from different addresses: only the account is counted
            assert (await attempt(app, "casey", "wrong", ip=f"10.1.0.{n}")).status_code == 401
        assert events.count(SuspiciousActivity("brute_force")) == 0
        fifth = await attempt(app, "casey", "wrong", ip="10.1.0.9")
        assert fifth.status_code == 401
        assert events.count(SuspiciousActivity("brute_force")) == 1

        # Locked: even the right password is refused, with how long to wait.
        locked = await attempt(app, "casey", PASSWORD, ip="10.2.0.1")
        assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
        assert events[-1] == AuthenticationFailed("locked")
        clock.advance(59)
        assert (await attempt(app, "casey", PASSWORD, ip="10.2.0.2")).status_code == 429

        # The lock has passed; one more failure locks for twice as long.
        clock.advance(1)
        assert (await attempt(app, "casey", "wrong", ip="10.2.0.3")).status_code == 401
        again = await attempt(app, "casey", PASSWORD, ip="10.2.0.4")
        assert again.status_code == 429 and again.headers["retry-after"] == "120"
        assert events.count(SuspiciousActivity("brute_force")) == 2

    # After it, the right password works and resets the count.
    clock.advance(120)
    assert (await attempt(app, "casey", PASSWORD, ip="10.2.0.5")).status_code == 200
    for n in range(4):
        assert (await attempt(app, "casey", "wrong", ip=f"10.3.0.{n}")).status_code == 401
    assert (await attempt(app, "casey", PASSWORD, ip="10.3.0.9")).status_code == 200

    async with app.state.services.database.session() as session:
        flagged = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "brute_force"))
        )
    assert {(a.resource_type, a.resource_id) for a in flagged} == {("user", str(user_id))}


async def test_lock_never_exceeds_an_hour(app: FastAPI, clock: ManualClock) -> None:
    await create_user(app, Role.FACULTY, username="fran")
    waits = []
    for n in range(20):  # wrong passwords only, each from a new address
        response = await attempt(app, "fran", "wrong", ip=f"10.4.{n}.1")
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
            clock.advance(waits[-1])
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


async def test_source_ip_locks_after_five_failures(app: FastAPI, clock: ManualClock) -> None:
    await create_user(app, Role.FACULTY, username="fran")
    with captured(SuspiciousActivity) as flagged:
        for n in range(5):  # spraying different (even unknown) usernames from one address
            assert (await attempt(app, f"guess{n}", "wrong", ip="192.0.2.7")).status_code == 401
    assert flagged == [SuspiciousActivity("brute_force")]

    blocked = await attempt(app, "fran", PASSWORD, ip="192.0.2.7")
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    # Another address is not affected, and the account itself is not locked.
    assert (await attempt(app, "fran", PASSWORD, ip="192.0.2.8")).status_code == 200
    clock.advance(60)
    assert (await attempt(app, "fran", PASSWORD, ip="192.0.2.7")).status_code == 200


@pytest.fixture(params=["memory", "redis"])
async def ip_store_app(
    request: pytest.FixtureRequest, app: FastAPI, database_url: str
) -> AsyncIterator[FastAPI]:
    """The app with its per-IP failures in process, or in a real Redis (as replicas share)."""
    if request.param == "memory":
        yield app
        return
    server: RedisServer = request.getfixturevalue("redis")
    settings = Settings(
        database_url=database_url,
        environment="test",
        rate_limit_login="1000/minute",
        redis_url=server.url,
    )
    with_redis = await start(create_app(settings))
    await with_redis.state.services.redis.flushdb()
    yield with_redis
    await stop(with_redis)


async def test_source_ip_lock_doubles_up_to_an_hour(ip_store_app: FastAPI) -> None:
    app = ip_store_app
    clock = ManualClock(float(int(time.time())))
    app.state.services.clock.use(clock)
    waits = []
    for n in range(22):  # unknown usernames only, all from one address
        response = await attempt(app, f"guess{n}", "wrong", ip="192.0.2.99")
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
            clock.advance(waits[-1])
        else:
            assert response.status_code == 401
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
