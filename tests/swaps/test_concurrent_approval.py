"""Two swaps of one shift approved at the same moment on PostgreSQL: exactly one wins.

Two app instances (two engines, two connection pools) share one real PostgreSQL database, as
two replicas would. Both approvals are held at a rendezvous right after each has read its
swap as ``accepted``, so both transactions are provably in flight together; the row locks and
the conditional state update must then let exactly one through.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.models import Role
from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from app.schedules.models import Shift
from app.swaps import service
from app.swaps.events import SwapState
from app.swaps.models import SwapRequest
from tests.support.api import API, api_client, bearer, create_user, signed_in_headers
from tests.support.clock import SAMPLE_SCHEDULE_NOT_STARTED
from tests.support.schedules import schedule_file
from tests.support.servers import PostgresServer

SECRET = "concurrency-test-secret-0123456789abcdef"
_numbers = itertools.count(1)


class Rendezvous:
    """Wraps ``get_swap``: the first ``parties`` callers wait for each other after loading."""

    def __init__(self, original: Callable[..., Awaitable[SwapRequest]], parties: int) -> None:
        self.original = original
        self.parties = parties
        self.arrived = 0
        self.all_here = asyncio.Event()

    async def __call__(self, session: Any, swap_id: int) -> SwapRequest:
        swap = await self.original(session, swap_id)
        self.arrived += 1
        if self.arrived >= self.parties:
            self.all_here.set()
        await asyncio.wait_for(self.all_here.wait(), timeout=30)
        return swap


@pytest.fixture
async def replicas(postgres: PostgresServer) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    url = postgres.create_database(f"swap_race_{next(_numbers)}")
    await upgrade_database(url)
    settings = Settings(database_url=url, environment="test", jwt_secret=SECRET)
    first, second = create_app(settings), create_app(settings)
    for app in (first, second):  # before the shifts below start, so they may be swapped
        app.state.services.clock.use(lambda: SAMPLE_SCHEDULE_NOT_STARTED)
    yield first, second
    for app in (first, second):
        await app.state.services.database.dispose()


async def accepted_swaps(
    app: FastAPI, admin: httpx.AsyncClient, round_: int
) -> tuple[int, int, int]:
    """r01 offers one shift to r02 and to r03; both accept. Returns (shift, swap a, swap b)."""
    people = {p["code"]: p["id"] for p in (await admin.get(f"{API}/people")).json()["items"]}
    day = f"2026-07-{10 + round_:02}"
    shift = await admin.post(
        f"{API}/shifts",
        json={
            "person_id": people["r01"],
            "start": f"{day}T07:00",
            "end": f"{day}T19:00",
            "kind": "day",
        },
    )
    shift_id = shift.json()["id"]
    requester = api_client(
        app, await signed_in_headers(app, Role.RESIDENT, person_id=people["r01"])
    )
    swaps = []
    async with requester:
        for code in ("r02", "r03"):
            offered = await requester.post(
                f"{API}/swaps", json={"shift_id": shift_id, "counterpart_id": people[code]}
            )
            counterpart = api_client(
                app, await signed_in_headers(app, Role.RESIDENT, person_id=people[code])
            )
            async with counterpart:
                accepted = await counterpart.post(f"{API}/swaps/{offered.json()['id']}/accept")
            assert accepted.json()["state"] == "accepted"
            swaps.append(offered.json()["id"])
    return shift_id, swaps[0], swaps[1]


@pytest.mark.postgres
async def test_exactly_one_of_two_conflicting_approvals_wins(
    replicas: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = replicas
    async with api_client(first, await signed_in_headers(first, Role.ADMIN)) as admin:
        data = schedule_file()
        data["residents"].append({"id": "r03", "pgy": 3})
        assert (await admin.post(f"{API}/schedule/import", json=data)).status_code == 200
        coordinator = await create_user(first, Role.COORDINATOR)
        headers = bearer(first, coordinator, Role.COORDINATOR)  # valid on both replicas

        for round_ in range(3):
            shift_id, swap_a, swap_b = await accepted_swaps(first, admin, round_)

            rendezvous = Rendezvous(service.get_swap, parties=2)
            monkeypatch.setattr(service, "get_swap", rendezvous)
            async with api_client(first, headers) as one, api_client(second, headers) as two:
                results = await asyncio.gather(
                    one.post(f"{API}/swaps/{swap_a}/approve"),
                    two.post(f"{API}/swaps/{swap_b}/approve"),
                )
            monkeypatch.setattr(service, "get_swap", rendezvous.original)

            statuses = sorted(r.status_code for r in results)
            assert statuses == [200, 409], [r.text for r in results]
            winner = next(r for r in results if r.status_code == 200).json()
            async with first.state.services.database.session() as session:
                shift = await session.get(Shift, shift_id)
                states = {
                    s.id: s.state
                    for s in await session.scalars(
                        select(SwapRequest).where(SwapRequest.id.in_([swap_a, swap_b]))
                    )
                }
            assert shift is not None and shift.person_id == winner["counterpart_id"]
            assert sorted(states.values()) == sorted([SwapState.EXECUTED, SwapState.CANCELLED])
            assert states[winner["id"]] == SwapState.EXECUTED


@pytest.mark.postgres
async def test_two_swaps_that_only_clash_together_cannot_both_execute(
    replicas: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    """r01 and r02 each give r03 a shift at the same hours: either swap alone is fine, both
    would double-book r03. Approved at the same moment on two replicas, exactly one executes."""
    first, second = replicas
    async with api_client(first, await signed_in_headers(first, Role.ADMIN)) as admin:
        data = schedule_file()
        data["residents"].append({"id": "r03", "pgy": 3})
        assert (await admin.post(f"{API}/schedule/import", json=data)).status_code == 200
        people = {p["code"]: p["id"] for p in (await admin.get(f"{API}/people")).json()["items"]}
        hours = {"start": "2026-07-15T07:00", "end": "2026-07-15T19:00", "kind": "day"}
        swaps, shifts = [], []
        taker = api_client(
            first, await signed_in_headers(first, Role.RESIDENT, person_id=people["r03"])
        )
        async with taker:
            for code in ("r01", "r02"):
                shift = await admin.post(f"{API}/shifts", json={"person_id": people[code], **hours})
                shifts.append(shift.json()["id"])
                giver = api_client(
                    first, await signed_in_headers(first, Role.RESIDENT, person_id=people[code])
                )
                async with giver:
                    offered = await giver.post(
                        f"{API}/swaps",
                        json={"shift_id": shifts[-1], "counterpart_id": people["r03"]},
                    )
                swaps.append(offered.json()["id"])
                accepted = await taker.post(f"{API}/swaps/{swaps[-1]}/accept")
                assert accepted.json()["state"] == "accepted"
        coordinator = await create_user(first, Role.COORDINATOR)
        headers = bearer(first, coordinator, Role.COORDINATOR)

    rendezvous = Rendezvous(service.get_swap, parties=2)
    monkeypatch.setattr(service, "get_swap", rendezvous)
    async with api_client(first, headers) as one, api_client(second, headers) as two:
        results = await asyncio.gather(
            one.post(f"{API}/swaps/{swaps[0]}/approve"),
            two.post(f"{API}/swaps/{swaps[1]}/approve"),
        )
    monkeypatch.setattr(service, "get_swap", rendezvous.original)

    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert "overlaps" in loser.json()["detail"]
    async with first.state.services.database.session() as session:
        owners = [(await session.get(Shift, s)).person_id for s in shifts]  # type: ignore[union-attr]
        states = sorted(
            s.state
            for s in await session.scalars(select(SwapRequest).where(SwapRequest.id.in_(swaps)))
        )
    assert owners.count(people["r03"]) == 1
    assert states == sorted([SwapState.EXECUTED, SwapState.ACCEPTED])  # the loser still open
