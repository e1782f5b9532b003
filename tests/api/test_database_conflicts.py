"""PostgreSQL aborting a transaction for a deadlock (40P01) or a serialization failure (40001)
is a 409 "retry", not a 500: a real deadlock between two requests, and both codes raised by
the server through the real driver, during a request and at its commit."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from app.services import DbSession
from tests.support.api import api_client
from tests.support.servers import PostgresServer

pytestmark = pytest.mark.postgres
_numbers = itertools.count(1)


def raise_sql(code: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{code}'; END $$"


@pytest.fixture
async def app(postgres: PostgresServer) -> AsyncIterator[FastAPI]:
    url = postgres.create_database(f"db_conflicts_{next(_numbers)}")
    await upgrade_database(url)
    application = create_app(Settings(database_url=url, environment="test"))
    async with application.state.services.database.session() as session:
        for statement in (
            "CREATE TABLE scratch (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)",
            "INSERT INTO scratch (id) VALUES (1), (2)",
            "CREATE TABLE fails_at_commit (code text)",
            "CREATE FUNCTION abort_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = NEW.code; END $$",
            "CREATE CONSTRAINT TRIGGER fails AFTER INSERT ON fails_at_commit "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION abort_at_commit()",
        ):
            await session.execute(text(statement))
    both_locked_first = asyncio.Barrier(2)

    async def raise_code(session: DbSession, code: str) -> dict[str, str]:
        await session.execute(text(raise_sql(code)))
        return {"status": "unreachable"}

    async def insert_failing_at_commit(session: DbSession, code: str) -> dict[str, str]:
        await session.execute(text("INSERT INTO fails_at_commit VALUES (:code)"), {"code": code})
        return {"status": "written"}  # the commit after this fails with ``code``

    async def lock_in_order(session: DbSession, first: int, second: int) -> dict[str, str]:
        await session.execute(text("UPDATE scratch SET n = n + 1 WHERE id = :id"), {"id": first})
        await asyncio.wait_for(both_locked_first.wait(), timeout=30)
        await session.execute(text("UPDATE scratch SET n = n + 1 WHERE id = :id"), {"id": second})
        return {"status": "ok"}

    application.add_api_route("/test/raise/{code}", raise_code, methods=["POST"])
    application.add_api_route(
        "/test/commit-fails/{code}", insert_failing_at_commit, methods=["POST"]
    )
    application.add_api_route("/test/lock/{first}/{second}", lock_in_order, methods=["POST"])
    yield application
    await application.state.services.database.dispose()


@pytest.fixture
async def caller(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as client:
        yield client


async def test_a_real_deadlock_is_a_409_for_one_request_only(
    app: FastAPI, caller: httpx.AsyncClient
) -> None:
    results = await asyncio.gather(caller.post("/test/lock/1/2"), caller.post("/test/lock/2/1"))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    refused = next(r for r in results if r.status_code == 409)
    assert "retry" in refused.json()["detail"] and refused.headers["retry-after"] == "1"
    async with app.state.services.database.session() as session:
        counts = list(await session.scalars(text("SELECT n FROM scratch ORDER BY id")))
    assert counts == [1, 1]  # the loser's first update was rolled back


@pytest.mark.parametrize("code", ["40001", "40P01"])
async def test_retryable_codes_are_409(caller: httpx.AsyncClient, code: str) -> None:
    response = await caller.post(f"/test/raise/{code}")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "conflicting concurrent change; nothing was saved, retry the request"
    }


@pytest.mark.parametrize(("code", "status"), [("40P01", 409), ("40001", 409), ("XX000", 500)])
async def test_a_failed_commit_is_never_answered_200(
    app: FastAPI, caller: httpx.AsyncClient, code: str, status: int
) -> None:
    # The session commits before the response is sent, so the client learns the write was lost.
    assert (await caller.post(f"/test/commit-fails/{code}")).status_code == status
    async with app.state.services.database.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM fails_at_commit")) == 0


@pytest.mark.parametrize("code", ["22012", "XX000", "40002"])
async def test_other_database_errors_stay_500(caller: httpx.AsyncClient, code: str) -> None:
    assert (await caller.post(f"/test/raise/{code}")).status_code == 500
