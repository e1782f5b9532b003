"""Shifts: one resident, one interval, never overlapping another shift of theirs.

A shift named by a swap request (offered or asked for, in any state) is never deleted, by hand
or by a re-import of its period: that would silently delete the swap and its history (the
foreign key cascades). Such a delete is refused with 409 (:func:`ensure_no_swaps`); the swap is
cancelled or rejected first, and the shift kept or edited instead.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.params import ensure_ordered
from app.db import queries as db
from app.errors import ConflictError, InvalidInputError
from app.people.models import Person, PersonKind
from app.schedules.calendar import day_range
from app.schedules.file_format import ShiftKind
from app.schedules.models import Shift
from app.schedules.schemas import ShiftCreate, ShiftUpdate
from app.swaps.models import SwapRequest


async def lock_resident(session: AsyncSession, person_id: int) -> Person:
    """The resident, locked so concurrent writers of their shifts (and leave) queue up: the
    row on PostgreSQL, the database's write lock on SQLite (:func:`db.lock_for_update`)."""
    person = (
        await db.lock_for_update(session, select(Person).where(Person.id == person_id))
    ).first()
    if person is None:
        raise InvalidInputError(f"person_id: person {person_id} does not exist")
    if person.kind != PersonKind.RESIDENT:
        raise InvalidInputError(f"person_id: person {person_id} is not a resident")
    return person


async def ensure_no_swaps(session: AsyncSession, shifts: ColumnElement[bool], what: str) -> None:
    """Refuse (409) to delete the shifts matching ``shifts`` if any swap request names one."""
    affected = select(Shift.id).where(shifts)
    rows = (
        await session.execute(
            select(SwapRequest.state, func.count())
            .where(
                or_(
                    SwapRequest.shift_id.in_(affected),
                    SwapRequest.counterpart_shift_id.in_(affected),
                )
            )
            .group_by(SwapRequest.state)
            .order_by(SwapRequest.state)
        )
    ).all()
    if rows:
        total = sum(count for _, count in rows)
        states = ", ".join(f"{count} {state.value}" for state, count in rows)
        raise ConflictError(
            f"{what} would delete shifts named by {total} swap request(s) ({states}); "
            "swap history is kept, so shifts with swaps are never deleted: cancel or reject "
            "open swaps, and edit those shifts instead of replacing them",
            swap_requests=total,
        )


def forbidden_overlap(kind: ShiftKind, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Among shifts overlapping [start, end): those it may not overlap. The one allowed overlap
    is a call-in: an in-house shift lying entirely inside a home call (spec: ``home_call``)."""
    if kind is ShiftKind.HOME_CALL:
        inside = (Shift.start_at >= start) & (Shift.end_at <= end)
        return or_(Shift.kind == ShiftKind.HOME_CALL, ~inside)
    around = (Shift.start_at <= start) & (Shift.end_at >= end)
    return ~((Shift.kind == ShiftKind.HOME_CALL) & around)


async def _claim(
    session: AsyncSession,
    person_id: int,
    start: datetime,
    end: datetime,
    own_id: int | None,
    kind: ShiftKind,
) -> None:
    """Lock the resident, then refuse [start, end) if it overlaps another of their shifts
    (other than a call-in inside a home call)."""
    await lock_resident(session, person_id)
    overlapping = Shift.person_id == person_id, Shift.start_at < end, Shift.end_at > start
    clash = await db.first_other(
        session, Shift, own_id, *overlapping, forbidden_overlap(kind, start, end)
    )
    if clash is not None:
        raise ConflictError(
            f"overlaps shift {clash.id} of person {person_id} "
            f"({clash.start_at:%Y-%m-%dT%H:%M} to {clash.end_at:%Y-%m-%dT%H:%M}); "
            "only an in-house shift entirely inside a home call (a call-in) may overlap one"
        )


async def create_shift(session: AsyncSession, data: ShiftCreate) -> Shift:
    await _claim(session, data.person_id, data.start, data.end, None, data.kind)
    shift = Shift(
        person_id=data.person_id,
        start_at=data.start,
        end_at=data.end,
        kind=data.kind,
        worked_minutes=data.worked_minutes,
    )
    return await db.insert_row(session, shift)


async def get_shift(session: AsyncSession, shift_id: int) -> Shift:
    return await db.get_or_404(session, Shift, shift_id, "shift")


async def update_shift(session: AsyncSession, shift_id: int, data: ShiftUpdate) -> Shift:
    shift = await get_shift(session, shift_id)
    changes = db.set_fields(data, exclude={"override_justification"})
    person_id = changes.get("person_id", shift.person_id)
    start = changes.get("start", shift.start_at)
    end = changes.get("end", shift.end_at)
    kind = changes.get("kind", shift.kind)
    worked = changes.get("worked_minutes", shift.worked_minutes if kind == shift.kind else 0)
    ensure_ordered(start, end, after=True)
    if worked and kind != ShiftKind.HOME_CALL:
        raise InvalidInputError("worked_minutes: applies to home_call shifts only")
    if worked * 60 > (end - start).total_seconds():
        raise InvalidInputError("worked_minutes: exceeds the shift's length")
    await _claim(session, person_id, start, end, shift.id, ShiftKind(kind))
    return await db.update_row(
        session,
        shift,
        {
            "person_id": person_id,
            "start_at": start,
            "end_at": end,
            "kind": kind,
            "worked_minutes": worked,
        },
    )


async def delete_shift(session: AsyncSession, shift_id: int) -> None:
    shift = await get_shift(session, shift_id)
    await ensure_no_swaps(session, Shift.id == shift.id, f"deleting shift {shift.id}")
    await db.delete_row(session, shift)


async def list_shifts(
    session: AsyncSession,
    page: db.PageParams,
    *,
    start: date | None = None,
    end: date | None = None,
    person_id: int | None = None,
    kind: ShiftKind | None = None,
) -> tuple[list[Shift], int]:
    """Shifts that intersect the inclusive date range [start, end]."""
    statement = select(Shift).order_by(Shift.start_at, Shift.person_id, Shift.id)
    lower, upper = day_range(start, end)
    if lower is not None:
        statement = statement.where(Shift.end_at > lower)
    if upper is not None:
        statement = statement.where(Shift.start_at < upper)
    return await db.fetch_page(
        session, statement, page, (Shift.person_id, person_id), (Shift.kind, kind)
    )
