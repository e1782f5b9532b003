"""PostgreSQL stopped or frozen: requests answer 503 with Retry-After (never a 500), and
``/ready`` answers 503 within its own timeout instead of hanging with the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.auth.models import Role
from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.faults.conftest import Stopwatch, frozen, postmaster_and_children
from tests.support.api import API, PASSWORD, create_user, signed_in_headers
from tests.support.lifespan import serving
from tests.support.servers import PostgresServer

READY_TIMEOUT = 1.0
STATEMENT_TIMEOUT = 1.0  # the client gives up a second later: 2 s
CONNECT_TIMEOUT = 1.0
# Generous: a pooled connection's pre-ping waits out the statement timeout, a new one the
# connect timeout; far below the minutes a request hung before.
READ_BOUND = 10.0
READY_BOUND = READY_TIMEOUT + 2.0


@pytest.fixture
async def app(own_postgres: PostgresServer) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=own_postgres.dsn(),
        environment="test",
        ready_timeout_seconds=READY_TIMEOUT,
        database_statement_timeout=STATEMENT_TIMEOUT,
        database_connect_timeout=CONNECT_TIMEOUT,
        database_pool_timeout=1.0,
    )
    await upgrade_database(settings.database_url)
    application = create_app(settings)
    async with serving(application):
        yield application
    await application.state.services.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    headers = await signed_in_headers(app, Role.ADMIN)
    await create_user(app, Role.ADMIN, username="casey")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as c:
        assert (await c.get(f"{API}/people")).status_code == 200
        yield c


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert "database" in response.json()["detail"]


async def test_stopped_database_answers_503_with_retry_after(
    client: httpx.AsyncClient, own_postgres: PostgresServer
) -> None:
    own_postgres.stop()
    with Stopwatch() as reading:
        read = await client.get(f"{API}/people")
    login = await client.post(f"{API}/auth/login", json={"username": "casey", "password": PASSWORD})
    with Stopwatch() as probing:
        ready = await client.get("/ready")
    assert_unavailable(read)
    assert_unavailable(login)
    assert reading.seconds < READ_BOUND
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unreachable"
    assert probing.seconds < READY_BOUND
    assert (await client.get("/health")).status_code == 200


async def test_frozen_database_answers_503_within_the_timeouts(
    client: httpx.AsyncClient, own_postgres: PostgresServer
) -> None:
    with frozen(postmaster_and_children(own_postgres)):
        with Stopwatch() as probing:
            ready = await client.get("/ready")
        with Stopwatch() as reading:
            read = await client.get(f"{API}/people")
        with Stopwatch() as signing_in:
            login = await client.post(
                f"{API}/auth/login", json={"username": "casey", "password": PASSWORD}
            )
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["database"] == "unreachable"
    assert probing.seconds < READY_BOUND, probing.seconds
    assert_unavailable(read)
    assert reading.seconds < READ_BOUND, reading.seconds
    assert_unavailable(login)
    assert signing_in.seconds < READ_BOUND, signing_in.seconds
    # Thawed, the service recovers without a restart.
    assert (await client.get(f"{API}/people")).status_code == 200
    assert (await client.get("/ready")).status_code == 200
