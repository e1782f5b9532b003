"""Rate limits: sign-in per IP, API per user; in process, and shared through a real Redis."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.auth.events import RateLimitExceeded
from app.auth.models import Role
from app.core.config import Settings
from app.main import create_app
from tests.support.api import API, api_client, create_user, signed_in_headers
from tests.support.events import captured
from tests.support.lifespan import start, stop
from tests.support.servers import RedisServer, free_port

_prefixes = itertools.count(1)


async def test_login_is_limited_per_ip(app: FastAPI) -> None:
    body = {"username": "nobody", "password": "wrong"}
    async with (
        api_client(app, ip="198.51.100.1") as first,
        api_client(app, ip="198.51.100.2") as second,
    ):
        with captured(RateLimitExceeded) as events:
            statuses = [
                (await first.post(f"{API}/auth/login", json=body)).status_code for _ in range(6)
            ]
            limited = await first.post(f"{API}/auth/login", json=body)
        # The 5th failure also locks the address; the 6th attempt is over the rate limit.
        assert statuses[:5] == [401, 401, 401, 401, 401] and statuses[5] == 429
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert events and set(events) == {RateLimitExceeded("login")}
        # Another address has its own budget.
        assert (await second.post(f"{API}/auth/login", json=body)).status_code == 401


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", rate_limit_api="3/minute")


async def test_api_is_limited_per_user(app: FastAPI) -> None:
    async with (
        api_client(app, await signed_in_headers(app, Role.FACULTY)) as busy,
        api_client(app, await signed_in_headers(app, Role.FACULTY)) as calm,
    ):
        with captured(RateLimitExceeded) as events:
            statuses = [(await busy.get(f"{API}/rotations")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert events == [RateLimitExceeded("api")]
        refused = await busy.get(f"{API}/rotations")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert (await calm.get(f"{API}/rotations")).status_code == 200


def test_rates_are_validated() -> None:
    from app.core.config import SettingsError, load_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("RATE_LIMIT_API", "lots")
        with pytest.raises(SettingsError, match="RATE_LIMIT_API"):
            load_settings()
    assert Settings(rate_limit_login="10/second;100/hour").rate_limit_login == "10/second;100/hour"


@pytest.fixture
async def shared_redis_apps(
    redis: RedisServer, sqlite_url: str
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis.url)
    await client.flushdb()
    await client.aclose()
    settings = Settings(
        database_url=sqlite_url,
        environment="test",
        redis_url=redis.url,
        jwt_secret="replica-shared-secret-0123456789abcdef",
        rate_limit_api="4/minute",
        rate_limit_login="2/minute",
    )
    first, second = await start(create_app(settings)), await start(create_app(settings))
    yield first, second
    for app in (first, second):
        await stop(app)


async def test_replicas_share_limits_through_redis(
    shared_redis_apps: tuple[FastAPI, FastAPI],
) -> None:
    first, second = shared_redis_apps
    user = await create_user(first, Role.FACULTY)
    headers = {"Authorization": f"Bearer {first.state.services.tokens.issue(user, Role.FACULTY)}"}
    async with api_client(first, headers) as one, api_client(second, headers) as two:
        statuses = [
            (await client.get(f"{API}/rotations")).status_code
            for client in (one, two, one, two, one, two)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]

    body = {"username": "nobody", "password": "wrong"}
    async with api_client(first, ip="203.0.113.9") as a, api_client(second, ip="203.0.113.9") as b:
        logins = [(await c.post(f"{API}/auth/login", json=body)).status_code for c in (a, b, a)]
    assert logins == [401, 401, 429]


async def test_redis_outage_fails_open(sqlite_url: str) -> None:
    settings = Settings(
        database_url=sqlite_url,
        environment="test",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    app = await start(create_app(settings))
    try:
        async with api_client(app, await signed_in_headers(app, Role.FACULTY)) as caller:
            assert (await caller.get(f"{API}/rotations")).status_code == 200
    finally:
        await stop(app)


async def test_the_default_api_limit_is_200_per_minute(sqlite_url: str) -> None:
    app = await start(create_app(Settings(database_url=sqlite_url, environment="test")))
    try:
        async with api_client(app, await signed_in_headers(app, Role.RESIDENT)) as caller:
            statuses = [(await caller.get(f"{API}/auth/me")).status_code for _ in range(200)]
            assert set(statuses) == {200}
            refused = await caller.get(f"{API}/auth/me")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    finally:
        await stop(app)
