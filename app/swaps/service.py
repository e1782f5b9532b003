"""Shift swaps between residents: request, respond, decide, execute.

States: pending -> accepted (by the counterpart) -> approved (by a coordinator) -> executed
(the shifts change owners in the approving transaction); or rejected / cancelled. The moves are
declared once, in :mod:`app.swaps.events` (``ACCEPT``, ``APPROVE``, ...). Every state
change is a conditional ``UPDATE ... WHERE state IN (...)`` whose row count decides, so two
requests racing on one swap cannot both move it.

Approval locks the residents and then the shifts (``SELECT ... FOR UPDATE``, in id order,
the same order every schedule writer uses) before anything else. Two swaps of one shift
approved at the same time therefore queue on the shift's row: the first executes and cancels
the other open swaps of that shift; the second then finds its swap cancelled and gets 409.
Approval re-validates ACGME for both residents on the resulting schedule and refuses unless
the coordinator writes a justification (:func:`app.compliance.service.guarded_change`).

A shift that has already started (by the app's clock, ``now``: naive UTC like the stored shift
times) has been worked and cannot change hands: creating, accepting or approving a swap of it,
or for it, is refused with 409.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.service import guarded_change
from app.db.base import utcnow
from app.db.queries import PageParams, fetch_page, get_or_404, insert_row, lock_for_update
from app.errors import ConflictError, ForbiddenError, InvalidInputError
from app.events import publish
from app.people.models import Person, PersonKind
from app.schedules.models import Shift
from app.schedules.shifts import forbidden_overlap, lock_resident
from app.swaps.events import (
    ACCEPT,
    APPROVE,
    CANCEL,
    CREATED,
    DECLINE,
    EXECUTE,
    OPEN,
    REJECT,
    Move,
    SwapState,
    SwapTransitioned,
)
from app.swaps.models import SwapRequest
from app.swaps.schemas import SwapCreate


class NotYours(ForbiddenError):
    """A resident acted on a record that belongs to another resident."""

    def __init__(self, resource_type: str, resource_id: int) -> None:
        super().__init__("residents may only act on their own shifts and swaps")
        self.resource_type = resource_type
        self.resource_id = resource_id


@dataclass(frozen=True)
class Transition:
    swap_id: int
    from_state: SwapState | None
    to_state: SwapState


def announce(transitions: Iterable[Transition]) -> None:
    for t in transitions:
        publish(SwapTransitioned(from_state=t.from_state, to_state=t.to_state))


async def get_swap(session: AsyncSession, swap_id: int) -> SwapRequest:
    return await get_or_404(session, SwapRequest, swap_id, "swap request")


async def list_swaps(
    session: AsyncSession,
    page: PageParams,
    *,
    state: SwapState | None = None,
    person_id: int | None = None,
) -> tuple[list[SwapRequest], int]:
    """Newest first; ``person_id`` keeps the swaps that person requested or was offered."""
    statement = select(SwapRequest).order_by(SwapRequest.created_at.desc(), SwapRequest.id.desc())
    if person_id is not None:
        statement = statement.where(
            or_(SwapRequest.requester_id == person_id, SwapRequest.counterpart_id == person_id)
        )
    return await fetch_page(session, statement, page, (SwapRequest.state, state))


async def _resident(session: AsyncSession, person_id: int, field: str) -> Person:
    person = await session.get(Person, person_id)
    if person is None or person.kind != PersonKind.RESIDENT or not person.active:
        raise InvalidInputError(f"{field}: {person_id} is not an active resident")
    return person


def _ensure_not_started(now: datetime, *shifts: Shift | None) -> None:
    """Refuse (409) if any of ``shifts`` has started by ``now``: worked shifts are history."""
    for shift in shifts:
        if shift is not None and shift.start_at <= now:
            raise ConflictError(
                f"shift {shift.id} started at {shift.start_at:%Y-%m-%dT%H:%M}; "
                "a shift already worked cannot be swapped"
            )


async def create_swap(
    session: AsyncSession, requester_id: int, data: SwapCreate, *, now: datetime
) -> tuple[SwapRequest, Transition]:
    shift = await session.get(Shift, data.shift_id)
    if shift is None:
        raise InvalidInputError(f"shift_id: shift {data.shift_id} does not exist")
    if shift.person_id != requester_id:
        raise NotYours("shift", shift.id)
    theirs: Shift | None = None
    if data.counterpart_id == requester_id:
        raise InvalidInputError("counterpart_id: must be another resident")
    await _resident(session, data.counterpart_id, "counterpart_id")
    if data.counterpart_shift_id is not None:
        theirs = await session.get(Shift, data.counterpart_shift_id)
        if theirs is None or theirs.person_id != data.counterpart_id:
            raise InvalidInputError(
                f"counterpart_shift_id: {data.counterpart_shift_id} is not a shift of the "
                "counterpart"
            )
    _ensure_not_started(now, shift, theirs)
    duplicate = await session.scalar(
        select(SwapRequest.id).where(
            SwapRequest.requester_id == requester_id,
            SwapRequest.counterpart_id == data.counterpart_id,
            SwapRequest.shift_id == data.shift_id,
            SwapRequest.state.in_(OPEN),
        )
    )
    if duplicate is not None:
        raise ConflictError(f"swap request {duplicate} already offers this shift to them")
    swap = SwapRequest(
        requester_id=requester_id,
        counterpart_id=data.counterpart_id,
        shift_id=data.shift_id,
        counterpart_shift_id=data.counterpart_shift_id,
        state=CREATED,
    )
    await insert_row(session, swap)
    return swap, Transition(swap.id, None, CREATED)


async def _move(
    session: AsyncSession, swap: SwapRequest, move: Move, **values: object
) -> Transition:
    """Move ``swap`` if (and only if) it is still in one of ``move.sources``."""
    from_states, to_state = move.sources, move.target
    result = await session.execute(
        update(SwapRequest)
        .where(SwapRequest.id == swap.id, SwapRequest.state.in_(list(from_states)))
        .values(state=to_state, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        current = await session.scalar(
            select(SwapRequest.state)
            .where(SwapRequest.id == swap.id)
            .execution_options(populate_existing=True)
        )
        raise ConflictError(
            f"swap request {swap.id} is {current}; it cannot become {to_state.value}",
            state=current,
        )
    previous = swap.state if swap.state in from_states else next(iter(from_states))
    await session.refresh(swap)
    return Transition(swap.id, previous, to_state)


async def accept(
    session: AsyncSession, swap_id: int, person_id: int, *, now: datetime
) -> Transition:
    swap = await get_swap(session, swap_id)
    if swap.counterpart_id != person_id:
        raise NotYours("swap", swap.id)
    _ensure_not_started(
        now,
        await session.get(Shift, swap.shift_id),
        await session.get(Shift, swap.counterpart_shift_id) if swap.counterpart_shift_id else None,
    )
    return await _move(session, swap, ACCEPT)


async def decline(session: AsyncSession, swap_id: int, person_id: int) -> Transition:
    """The counterpart says no."""
    swap = await get_swap(session, swap_id)
    if swap.counterpart_id != person_id:
        raise NotYours("swap", swap.id)
    return await _move(session, swap, DECLINE)


async def cancel(session: AsyncSession, swap_id: int, person_id: int) -> Transition:
    swap = await get_swap(session, swap_id)
    if swap.requester_id != person_id:
        raise NotYours("swap", swap.id)
    return await _move(session, swap, CANCEL)


async def reject(session: AsyncSession, swap_id: int) -> Transition:
    """A coordinator says no (before or after the counterpart accepted)."""
    return await _move(session, await get_swap(session, swap_id), REJECT)


async def _lock_shifts(session: AsyncSession, shift_ids: list[int]) -> dict[int, Shift]:
    # The locked, newest rows (not cached ones); on SQLite the lock_resident calls before
    # already hold the database's write lock.
    rows = await lock_for_update(
        session, select(Shift).where(Shift.id.in_(shift_ids)).order_by(Shift.id)
    )
    return {shift.id: shift for shift in rows}


async def _ensure_free(
    session: AsyncSession, person_id: int, shift: Shift, swapped: int | None
) -> None:
    """``person_id`` can take ``shift`` without overlapping their other shifts (a call-in
    may land inside their home call, as anywhere else)."""
    statement = select(Shift.id).where(
        Shift.person_id == person_id,
        Shift.start_at < shift.end_at,
        Shift.end_at > shift.start_at,
        Shift.id != shift.id,
        forbidden_overlap(shift.kind, shift.start_at, shift.end_at),
    )
    if swapped is not None:
        statement = statement.where(Shift.id != swapped)
    clash = await session.scalar(statement.limit(1))
    if clash is not None:
        raise ConflictError(f"shift {shift.id} overlaps shift {clash} of person {person_id}")


async def _supersede(
    session: AsyncSession, swap: SwapRequest, shift_ids: list[int]
) -> list[Transition]:
    """Other open swaps of the shifts that just changed hands can never execute: cancel them."""
    others = (
        await session.execute(
            select(SwapRequest.id, SwapRequest.state).where(
                SwapRequest.id != swap.id,
                SwapRequest.state.in_(CANCEL.sources),
                or_(
                    SwapRequest.shift_id.in_(shift_ids),
                    SwapRequest.counterpart_shift_id.in_(shift_ids),
                ),
            )
        )
    ).all()
    cancelled = []
    for other_id, state in others:
        result = await session.execute(
            update(SwapRequest)
            .where(SwapRequest.id == other_id, SwapRequest.state == state)
            .values(state=CANCEL.target, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if isinstance(result, CursorResult) and result.rowcount == 1:
            cancelled.append(Transition(other_id, state, CANCEL.target))
    return cancelled


async def approve(
    session: AsyncSession,
    swap_id: int,
    *,
    actor_user_id: int | None,
    justification: str | None,
    now: datetime,
) -> tuple[SwapRequest, list[Transition]]:
    """Approve and execute in one transaction; see the module docstring for the locking."""
    swap = await get_swap(session, swap_id)
    if swap.state not in APPROVE.sources:
        raise ConflictError(
            f"swap request {swap.id} is {swap.state.value}; only accepted swaps can be approved",
            state=swap.state.value,
        )
    for person_id in sorted({swap.requester_id, swap.counterpart_id}):
        await lock_resident(session, person_id)
    shift_ids = sorted(i for i in (swap.shift_id, swap.counterpart_shift_id) if i is not None)
    shifts = await _lock_shifts(session, shift_ids)
    _ensure_not_started(now, *shifts.values())
    transitions = [await _move(session, swap, APPROVE)]
    given = shifts.get(swap.shift_id)
    taken = shifts.get(swap.counterpart_shift_id) if swap.counterpart_shift_id else None
    moved = given is None or given.person_id != swap.requester_id
    if swap.counterpart_shift_id is not None:
        moved = moved or taken is None or taken.person_id != swap.counterpart_id
    if moved or given is None:
        raise ConflictError(f"swap request {swap.id}: a shift changed hands since it was made")
    await _ensure_free(session, swap.counterpart_id, given, taken.id if taken else None)
    if taken is not None:
        await _ensure_free(session, swap.requester_id, taken, given.id)

    async def execute() -> Shift:
        given.person_id = swap.counterpart_id
        if taken is not None:
            taken.person_id = swap.requester_id
        await session.flush()
        return given

    await guarded_change(
        session,
        person_ids=sorted({swap.requester_id, swap.counterpart_id}),
        day=given.start_at.date(),
        change=execute,
        justification=justification,
        actor_user_id=actor_user_id,
        source="swap",
    )
    kept = justification.strip() if justification and justification.strip() else None
    transitions.append(await _move(session, swap, EXECUTE, override_justification=kept))
    transitions += await _supersede(session, swap, shift_ids)
    return swap, transitions
