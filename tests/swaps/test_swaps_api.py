"""Swap requests through the API: the workflow, its permissions and the ACGME re-check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.events import AccessDenied, SuspiciousActivity, UserAction
from app.auth.models import Role
from app.schedules.overrides import ComplianceOverride
from app.swaps.events import TRANSITIONS, SwapState, SwapTransitioned
from tests.support.api import API, api_client, create_shift, signed_in_headers
from tests.support.events import captured
from tests.support.schedules import schedule_file

P, A, X, E, R, C = (
    SwapState.PENDING,
    SwapState.ACCEPTED,
    SwapState.APPROVED,
    SwapState.EXECUTED,
    SwapState.REJECTED,
    SwapState.CANCELLED,
)


@dataclass
class Ward:
    """r01 and r02 from the sample schedule file, each signed in, and a coordinator."""

    r01: int
    r02: int
    r01_day: int  # r01's day shift on 07-01
    r02_call: int  # r02's 26 h call 07-02 07:00 to 07-03 09:00
    alice: httpx.AsyncClient  # r01
    bob: httpx.AsyncClient  # r02
    coordinator: httpx.AsyncClient
    admin: httpx.AsyncClient


@pytest.fixture
async def ward(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Ward]:
    assert (await client.post(f"{API}/schedule/import", json=schedule_file())).status_code == 200
    people = {p["code"]: p["id"] for p in (await client.get(f"{API}/people")).json()["items"]}
    shifts = (await client.get(f"{API}/shifts")).json()["items"]
    r01_day = next(s["id"] for s in shifts if s["person_id"] == people["r01"])
    r02_call = next(s["id"] for s in shifts if s["kind"] == "call")
    alice = api_client(app, await signed_in_headers(app, Role.RESIDENT, person_id=people["r01"]))
    bob = api_client(app, await signed_in_headers(app, Role.RESIDENT, person_id=people["r02"]))
    coordinator = api_client(app, await signed_in_headers(app, Role.COORDINATOR))
    async with alice, bob, coordinator:
        yield Ward(people["r01"], people["r02"], r01_day, r02_call, alice, bob, coordinator, client)


async def offer(ward: Ward, **extra: int) -> dict[str, object]:
    body = {"shift_id": ward.r01_day, "counterpart_id": ward.r02, **extra}
    response = await ward.alice.post(f"{API}/swaps", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def owner(ward: Ward, shift_id: int) -> int:
    return int((await ward.admin.get(f"{API}/shifts/{shift_id}")).json()["person_id"])


async def test_giveaway_runs_pending_accepted_approved_executed(ward: Ward) -> None:
    with captured(SwapTransitioned, UserAction) as events:
        swap = await offer(ward)
        assert swap["state"] == "pending" and swap["kind"] == "giveaway"
        accepted = await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
        assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
        assert await owner(ward, ward.r01_day) == ward.r01  # nothing moves before approval
        approved = await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "executed"
    assert await owner(ward, ward.r01_day) == ward.r02
    transitions = [(e.from_state, e.to_state) for e in events if isinstance(e, SwapTransitioned)]
    assert transitions == [(None, P), (P, A), (A, X), (X, E)]
    actions = [e.action for e in events if isinstance(e, UserAction)]
    assert actions == ["swap_request", "swap_respond", "swap_decide"]


async def test_trade_swaps_both_shifts(ward: Ward) -> None:
    late = await create_shift(ward.admin, ward.r02, "2026-07-12T07:00", "2026-07-12T19:00")
    theirs = late.json()["id"]
    swap = await offer(ward, counterpart_shift_id=theirs)
    assert swap["kind"] == "trade"
    await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
    approved = await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert await owner(ward, ward.r01_day) == ward.r02
    assert await owner(ward, theirs) == ward.r01


async def test_a_call_in_can_go_to_someone_whose_home_call_holds_it(ward: Ward) -> None:
    home = await create_shift(
        ward.admin, ward.r02, "2026-07-13T17:00", "2026-07-14T08:00", kind="home_call"
    )
    assert home.status_code == 201, home.text
    inside = await create_shift(ward.admin, ward.r01, "2026-07-13T20:00", "2026-07-13T23:00")
    outside = await create_shift(ward.admin, ward.r01, "2026-07-14T07:00", "2026-07-14T10:00")
    for shift_id, answer in ((inside.json()["id"], 200), (outside.json()["id"], 409)):
        body = {"shift_id": shift_id, "counterpart_id": ward.r02}
        swap = (await ward.alice.post(f"{API}/swaps", json=body)).json()
        await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
        approved = await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
        assert approved.status_code == answer, approved.text
    assert await owner(ward, inside.json()["id"]) == ward.r02  # a call-in inside the home call
    assert await owner(ward, outside.json()["id"]) == ward.r01  # only partly inside: refused


async def test_invalid_transitions_are_409(ward: Ward) -> None:
    swap = await offer(ward)
    url = f"{API}/swaps/{swap['id']}"
    early = await ward.coordinator.post(f"{url}/approve")
    assert early.status_code == 409 and early.json()["state"] == "pending"
    assert (await ward.bob.post(f"{url}/accept")).status_code == 200
    assert (await ward.bob.post(f"{url}/accept")).status_code == 409
    assert (await ward.bob.post(f"{url}/reject")).status_code == 409  # counterpart: pending only
    assert (await ward.coordinator.post(f"{url}/approve")).status_code == 200
    for caller, verb in (
        (ward.alice, "cancel"),
        (ward.coordinator, "reject"),
        (ward.coordinator, "approve"),
    ):
        response = await caller.post(f"{url}/{verb}")
        assert response.status_code == 409, (verb, response.text)
        assert response.json()["state"] == "executed"


async def test_rejections_and_cancellation(ward: Ward) -> None:
    with captured(SwapTransitioned) as events:
        declined = await offer(ward)
        response = await ward.bob.post(f"{API}/swaps/{declined['id']}/reject")
        assert response.json()["state"] == "rejected"
        refused = await ward.alice.post(
            f"{API}/swaps", json={"shift_id": ward.r01_day, "counterpart_id": ward.r02}
        )
        await ward.bob.post(f"{API}/swaps/{refused.json()['id']}/accept")
        response = await ward.coordinator.post(f"{API}/swaps/{refused.json()['id']}/reject")
        assert response.json()["state"] == "rejected"
        withdrawn = await offer(ward)
        response = await ward.alice.post(f"{API}/swaps/{withdrawn['id']}/cancel")
        assert response.json()["state"] == "cancelled"
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, P),
        (P, R),
        (None, P),
        (P, A),
        (A, R),
        (None, P),
        (P, C),
    ]
    assert await owner(ward, ward.r01_day) == ward.r01


async def test_only_the_parties_may_act(app: FastAPI, ward: Ward) -> None:
    swap = await offer(ward)
    url = f"{API}/swaps/{swap['id']}"
    with captured(AccessDenied, SuspiciousActivity) as events:
        assert (await ward.alice.post(f"{url}/accept")).status_code == 403  # not the counterpart
        assert (await ward.bob.post(f"{url}/cancel")).status_code == 403  # not the requester
    assert events.count(SuspiciousActivity("cross_resident_access")) == 2
    # Offering a shift that is not yours.
    body = {"shift_id": ward.r02_call, "counterpart_id": ward.r01}
    assert (await ward.alice.post(f"{API}/swaps", json=body)).status_code == 403
    # Residents may not approve; coordinators may not offer (they have no shifts).
    assert (await ward.bob.post(f"{url}/approve")).status_code == 403
    own = {"shift_id": ward.r01_day, "counterpart_id": ward.r02}
    assert (await ward.coordinator.post(f"{API}/swaps", json=own)).status_code == 403
    # A resident sees the swaps they are part of, and no one else's.
    assert (await ward.bob.get(f"{API}/swaps")).json()["total"] == 1
    outsider_person = (await ward.admin.post(f"{API}/people", json={"code": "r9", "pgy": 1})).json()
    outsider = api_client(
        app, await signed_in_headers(app, Role.RESIDENT, person_id=outsider_person["id"])
    )
    async with outsider:
        assert (await outsider.get(f"{API}/swaps")).json()["total"] == 0
        assert (await outsider.get(url)).status_code == 403


async def test_bad_requests(ward: Ward) -> None:
    to_self = {"shift_id": ward.r01_day, "counterpart_id": ward.r01}
    assert (await ward.alice.post(f"{API}/swaps", json=to_self)).status_code == 422
    missing = {"shift_id": 99999, "counterpart_id": ward.r02}
    assert (await ward.alice.post(f"{API}/swaps", json=missing)).status_code == 422
    not_theirs = {
        "shift_id": ward.r01_day,
        "counterpart_id": ward.r02,
        "counterpart_shift_id": ward.r01_day,
    }
    assert (await ward.alice.post(f"{API}/swaps", json=not_theirs)).status_code == 422
    await offer(ward)
    again = {"shift_id": ward.r01_day, "counterpart_id": ward.r02}
    assert (await ward.alice.post(f"{API}/swaps", json=again)).status_code == 409
    assert (await ward.coordinator.post(f"{API}/swaps/424242/approve")).status_code == 404


async def test_approval_rechecks_acgme_and_needs_a_justification(app: FastAPI, ward: Ward) -> None:
    # r01 takes an afternoon shift; r02 would have to work it 3 h after a 26 h call.
    after_call = await create_shift(ward.admin, ward.r01, "2026-07-03T12:00", "2026-07-03T20:00")
    shift_id = after_call.json()["id"]
    swap = (
        await ward.alice.post(
            f"{API}/swaps", json={"shift_id": shift_id, "counterpart_id": ward.r02}
        )
    ).json()
    await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
    url = f"{API}/swaps/{swap['id']}/approve"

    refused = await ward.coordinator.post(url)
    assert refused.status_code == 409
    assert "rest_after_24h_call" in {v["rule"] for v in refused.json()["violations"]}
    state = (await ward.coordinator.get(f"{API}/swaps/{swap['id']}")).json()["state"]
    assert state == "accepted" and await owner(ward, shift_id) == ward.r01  # rolled back

    too_short = await ward.coordinator.post(url, json={"override_justification": "ok"})
    assert too_short.status_code == 409
    reason = "Only resident able to cover the clinic; extra rest on the 4th agreed."
    kept = await ward.coordinator.post(url, json={"override_justification": reason})
    assert kept.status_code == 200, kept.text
    assert kept.json()["state"] == "executed" and kept.json()["override_justification"] == reason
    assert await owner(ward, shift_id) == ward.r02
    async with app.state.services.database.session() as session:
        overrides = list(await session.scalars(select(ComplianceOverride)))
    assert overrides and all(o.justification == reason for o in overrides)


async def test_executing_a_swap_cancels_other_offers_of_the_shift(app: FastAPI, ward: Ward) -> None:
    r03 = (await ward.admin.post(f"{API}/people", json={"code": "r03", "pgy": 1})).json()["id"]
    first = await offer(ward)
    second = (
        await ward.alice.post(
            f"{API}/swaps", json={"shift_id": ward.r01_day, "counterpart_id": r03}
        )
    ).json()
    await ward.bob.post(f"{API}/swaps/{first['id']}/accept")
    with captured(SwapTransitioned) as events:
        assert (
            await ward.coordinator.post(f"{API}/swaps/{first['id']}/approve")
        ).status_code == 200
    assert (P, C) in [(e.from_state, e.to_state) for e in events]
    assert (await ward.admin.get(f"{API}/swaps/{second['id']}")).json()["state"] == "cancelled"


async def test_swap_actions_are_audited(app: FastAPI, ward: Ward) -> None:
    swap = await offer(ward)
    await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
    await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
    async with app.state.services.database.session() as session:
        trail = [
            e.action
            for e in await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.resource_type == "swap", AuditEvent.resource_id == str(swap["id"])
                )
                .order_by(AuditEvent.id)
            )
        ]
    assert trail == ["create", "accept", "approve"]


async def test_approval_rechecks_the_requester_too(ward: Ward) -> None:
    """In a trade the requester takes a shift as well: a rule it would break for them counts."""
    call = await create_shift(
        ward.admin, ward.r01, "2026-07-10T07:00", "2026-07-11T09:00", kind="call"
    )
    assert call.status_code == 201, call.text
    theirs = await create_shift(ward.admin, ward.r02, "2026-07-11T12:00", "2026-07-11T20:00")
    mine = await create_shift(ward.admin, ward.r01, "2026-07-15T07:00", "2026-07-15T19:00")
    swap = (
        await ward.alice.post(
            f"{API}/swaps",
            json={
                "shift_id": mine.json()["id"],
                "counterpart_id": ward.r02,
                "counterpart_shift_id": theirs.json()["id"],
            },
        )
    ).json()
    await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
    refused = await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
    assert refused.status_code == 409
    broken = {(v["rule"], v["resident"]) for v in refused.json()["violations"]}
    assert ("rest_after_24h_call", "r01") in broken
    assert await owner(ward, theirs.json()["id"]) == ward.r02  # nothing moved


async def test_the_api_moves_swaps_along_the_declared_transitions_only(ward: Ward) -> None:
    """Every way a swap can move, through the API: each state change it publishes is one of
    ``TRANSITIONS`` (what the metrics export from the start), and together they are all."""

    async def post(client: httpx.AsyncClient, swap: dict[str, object], verb: str) -> None:
        response = await client.post(f"{API}/swaps/{swap['id']}/{verb}")
        assert response.status_code == 200, (verb, response.text)

    with captured(SwapTransitioned) as events:
        await post(ward.bob, await offer(ward), "reject")  # declined
        withdrawn = await offer(ward)
        await post(ward.alice, withdrawn, "cancel")
        for ending in ("reject", "cancel", "approve"):
            swap = await offer(ward)
            await post(ward.bob, swap, "accept")
            await post(ward.alice if ending == "cancel" else ward.coordinator, swap, ending)
    seen = [(e.from_state, e.to_state) for e in events]
    assert set(seen) <= set(TRANSITIONS)
    assert set(seen) == set(TRANSITIONS)


async def _clock_at(app: FastAPI, ward: Ward, moment: str) -> None:
    """Move the app's clock, and sign everyone in again (their tokens expire on the way)."""
    at = datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()
    app.state.services.clock.use(lambda: at)
    for who, role, person in (
        (ward.alice, Role.RESIDENT, ward.r01),
        (ward.bob, Role.RESIDENT, ward.r02),
        (ward.coordinator, Role.COORDINATOR, None),
        (ward.admin, Role.ADMIN, None),
    ):
        who.headers.update(await signed_in_headers(app, role, person_id=person))


async def test_a_shift_already_started_cannot_be_offered(app: FastAPI, ward: Ward) -> None:
    await _clock_at(app, ward, "2026-07-01T07:00")  # r01's day shift begins
    response = await ward.alice.post(
        f"{API}/swaps", json={"shift_id": ward.r01_day, "counterpart_id": ward.r02}
    )
    assert response.status_code == 409, response.text
    assert f"shift {ward.r01_day} started" in response.json()["detail"]
    assert (await ward.admin.get(f"{API}/swaps")).json()["total"] == 0


async def test_a_counterpart_shift_already_started_cannot_be_asked_for(
    app: FastAPI, ward: Ward
) -> None:
    body = {"shift_id": ward.r01_day, "counterpart_id": ward.r02}
    await _clock_at(app, ward, "2026-07-02T08:00")
    # r02's call has started, and so has r01's earlier day shift: the first is named
    response = await ward.alice.post(
        f"{API}/swaps", json={**body, "counterpart_shift_id": ward.r02_call}
    )
    assert response.status_code == 409 and "already worked" in response.json()["detail"]


async def test_a_swap_cannot_be_accepted_or_approved_once_its_shift_started(
    app: FastAPI, ward: Ward
) -> None:
    swap = await offer(ward, counterpart_shift_id=ward.r02_call)
    await _clock_at(app, ward, "2026-07-01T12:00")  # mid-shift
    refused = await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")
    assert refused.status_code == 409, refused.text
    assert f"shift {ward.r01_day} started at 2026-07-01T07:00" in refused.json()["detail"]

    await _clock_at(app, ward, "2026-06-30T12:00")
    assert (await ward.bob.post(f"{API}/swaps/{swap['id']}/accept")).status_code == 200
    await _clock_at(
        app, ward, "2026-07-02T07:30"
    )  # both shifts have begun by the time it is decided
    with captured(SwapTransitioned) as events:
        approved = await ward.coordinator.post(f"{API}/swaps/{swap['id']}/approve")
    assert approved.status_code == 409, approved.text
    assert "already worked cannot be swapped" in approved.json()["detail"]
    assert events == []
    assert await owner(ward, ward.r01_day) == ward.r01
    assert await owner(ward, ward.r02_call) == ward.r02
    current = await ward.admin.get(f"{API}/swaps/{swap['id']}")
    assert current.json()["state"] == "accepted"  # still open; a coordinator may reject it
    assert (await ward.coordinator.post(f"{API}/swaps/{swap['id']}/reject")).status_code == 200


async def test_shifts_with_swaps_are_never_deleted_by_hand_or_by_a_reimport(
    ward: Ward,
) -> None:
    """Deleting them would cascade to the swap requests and lose their history: 409 instead."""
    executed = await offer(ward)
    assert (await ward.bob.post(f"{API}/swaps/{executed['id']}/accept")).status_code == 200
    assert (await ward.coordinator.post(f"{API}/swaps/{executed['id']}/approve")).status_code == 200
    pending = (
        await ward.bob.post(
            f"{API}/swaps", json={"shift_id": ward.r02_call, "counterpart_id": ward.r01}
        )
    ).json()

    reimport = await ward.coordinator.post(f"{API}/schedule/import", json=schedule_file())
    assert reimport.status_code == 409, reimport.text
    detail = reimport.json()["detail"]
    assert "2 swap request(s) (1 executed, 1 pending)" in detail, detail
    for shift_id in (ward.r01_day, ward.r02_call):
        refused = await ward.coordinator.delete(f"{API}/shifts/{shift_id}")
        assert refused.status_code == 409 and "1 swap request(s)" in refused.json()["detail"]
    states = {s["id"]: s["state"] for s in (await ward.admin.get(f"{API}/swaps")).json()["items"]}
    assert states == {executed["id"]: "executed", pending["id"]: "pending"}
    assert (await ward.admin.get(f"{API}/shifts")).json()["total"] == 3

    # A shift no swap names may still go; so may a period once its swaps' shifts are outside it.
    home_call = next(
        s["id"]
        for s in (await ward.admin.get(f"{API}/shifts")).json()["items"]
        if s["kind"] == "home_call"
    )
    assert (await ward.coordinator.delete(f"{API}/shifts/{home_call}")).status_code == 204
    later = schedule_file(period={"start": "2026-07-04", "end": "2026-07-28"}, shifts=[], leave=[])
    assert (await ward.coordinator.post(f"{API}/schedule/import", json=later)).status_code == 200
