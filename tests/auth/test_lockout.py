"""Lockout after repeated failures, per (account, source IP), per source IP, and per account
across every address at a higher ceiling; unknown usernames answer exactly as real ones. Time
moves by a manual clock."""

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

CEILING = 8


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The per-IP sign-in rate limit has its own tests; here it must not interfere.
    # A low per-account ceiling (default 50) keeps the tests short.
    return Settings(
        database_url=database_url,
        environment="test",
        rate_limit_login="1000/minute",
        lockout_account_threshold=CEILING,
    )


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
    settings = request.getfixturevalue("settings").model_copy(update={"redis_url": server.url})
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


def _answer(response: httpx.Response) -> tuple[int, object, str | None]:
    return response.status_code, response.json(), response.headers.get("retry-after")


async def test_an_attacker_locks_only_their_own_address_until_the_ceiling(
    ip_store_app: FastAPI,
) -> None:
    app = ip_store_app
    clock = ManualClock(float(int(time.time())))
    app.state.services.clock.use(clock)
    user_id = await create_user(app, Role.ADMIN, username="casey")
    attacker, victim = "203.0.113.66", "198.51.100.1"
    with captured(AuthenticationFailed, SuspiciousActivity) as events:
        for _ in range(5):
            assert (await attempt(app, "casey", "wrong", ip=attacker)).status_code == 401
        assert events.count(SuspiciousActivity("brute_force")) >= 1
        # The attacker's address is locked for this account, even with the right password...
        locked = await attempt(app, "casey", PASSWORD, ip=attacker)
        assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
        assert events[-1] == AuthenticationFailed("locked")
    # ...and the victim, from their own address, signs in.
    assert (await attempt(app, "casey", PASSWORD, ip=victim)).status_code == 200

    # Failures from many addresses reach the per-account ceiling: then every address waits.
    for n in range(CEILING - 5 - 1):
        assert (await attempt(app, "casey", "wrong", ip=f"203.0.113.{n}")).status_code == 401
    assert (await attempt(app, "casey", PASSWORD, ip=victim)).status_code == 200
    for n in range(CEILING):  # the victim's success reset the account's count
        assert (await attempt(app, "casey", "wrong", ip=f"203.0.114.{n}")).status_code == 401
    refused = await attempt(app, "casey", PASSWORD, ip=victim)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"

    # The overall lock doubles like the others, and a success after it resets it.
    clock.advance(60)
    assert (await attempt(app, "casey", "wrong", ip="203.0.115.1")).status_code == 401
    again = await attempt(app, "casey", PASSWORD, ip=victim)
    assert again.status_code == 429 and again.headers["retry-after"] == "120"
    clock.advance(120)
    assert (await attempt(app, "casey", PASSWORD, ip=victim)).status_code == 200

    async with app.state.services.database.session() as session:
        flagged = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "brute_force"))
        )
    assert ("user", str(user_id)) in {(a.resource_type, a.resource_id) for a in flagged}


async def test_a_success_resets_the_count_for_its_address(ip_store_app: FastAPI) -> None:
    app = ip_store_app
    app.state.services.clock.use(ManualClock(float(int(time.time()))))
    await create_user(app, Role.FACULTY, username="fran")
    for _ in range(3):
        assert (await attempt(app, "fran", "wrong", ip="10.6.0.1")).status_code == 401
    assert (await attempt(app, "fran", PASSWORD, ip="10.6.0.1")).status_code == 200
    # The per-IP count is not reset by a success (it also counts other usernames).
    assert (await attempt(app, "fran", "wrong", ip="10.6.0.1")).status_code == 401
    assert (await attempt(app, "fran", PASSWORD, ip="10.6.0.1")).status_code == 200


async def test_the_account_ceiling_doubles_up_to_an_hour(ip_store_app: FastAPI) -> None:
    app = ip_store_app
    clock = ManualClock(float(int(time.time())))
    app.state.services.clock.use(clock)
    await create_user(app, Role.FACULTY, username="fran")
    waits = []
    for n in range(CEILING - 1 + 2 * 8):  # wrong passwords only, each from a new address
        response = await attempt(app, "fran", "wrong", ip=f"10.4.{n}.1")
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
            clock.advance(waits[-1])
        else:
            assert response.status_code == 401
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


async def test_unknown_usernames_answer_exactly_as_real_accounts(ip_store_app: FastAPI) -> None:
    """The same pattern of failures (from three addresses, past the per-address locks and the
    account ceiling, and on after they end) gets the same status, body and Retry-After for
    a real account as for a username that does not exist."""
    app = ip_store_app
    clock = ManualClock(float(int(time.time())))
    app.state.services.clock.use(clock)
    await create_user(app, Role.ADMIN, username="casey")

    async def answers(username: str, network: str) -> list[tuple[int, object, str | None]]:
        start_time = clock.now
        seen = []
        for n in range(3 * CEILING):
            if n == 2 * CEILING:
                clock.advance(120)  # past the first locks
            response = await attempt(app, username, "wrong", ip=f"{network}.{n % 3}")
            seen.append(_answer(response))
        clock.now = start_time
        return seen

    known = await answers("casey", "10.7.0")
    unknown = await answers("nobody", "10.8.0")
    assert known == unknown
    statuses = [status for status, _, _ in known]
    assert 401 in statuses and 429 in statuses
    assert {retry for status, _, retry in known if status == 429} >= {"60"}
    assert all((retry is None) == (status == 401) for status, _, retry in known)
