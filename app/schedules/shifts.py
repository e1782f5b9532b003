"""Shifts: one resident, one interval, never overlapping another shift of theirs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import PageParams, apply_changes, fetch_page, get_or_404
from app.errors import ConflictError, InvalidInputError
from app.people.models import Person, PersonKind
from app.schedules.calendar import day_range
from app.schedules.file_format import ShiftKind
from app.schedules.models import Shift
from app.schedules.schemas import ShiftCreate, ShiftUpdate


async def lock_resident(session: AsyncSession, person_id: int) -> Person:
    """The resident, row-locked so concurrent writers of their shifts queue up (PostgreSQL)."""
    person = await session.scalar(select(Person).where(Person.id == person_id).with_for_update())
    if person is None:
        raise InvalidInputError(f"person_id: person {person_id} does not exist")
    if person.kind != PersonKind.RESIDENT:
        raise InvalidInputError(f"person_id: person {person_id} is not a resident")
    return person


async def _ensure_no_overlap(
    session: AsyncSession, person_id: int, start: datetime, end: datetime, own_id: int | None
) -> None:
    statement = select(Shift).where(
        Shift.person_id == person_id, Shift.start_at < end, Shift.end_at > start
    )
    if own_id is not None:
        statement = statement.where(Shift.id != own_id)
    clash = await session.scalar(statement.limit(1))
    if clash is not None:
        raise ConflictError(
            f"overlaps shift {clash.id} of person {person_id} "
            f"({clash.start_at:%Y-%m-%dT%H:%M} to {clash.end_at:%Y-%m-%dT%H:%M})"
        )


async def create_shift(session: AsyncSession, data: ShiftCreate) -> Shift:
    await lock_resident(session, data.person_id)
    await _ensure_no_overlap(session, data.person_id, data.start, data.end, None)
    shift = Shift(
        person_id=data.person_id,
        start_at=data.start,
        end_at=data.end,
        kind=data.kind,
        worked_minutes=data.worked_minutes,
    )
    session.add(shift)
    await session.flush()
    return shift


async def get_shift(session: AsyncSession, shift_id: int) -> Shift:
    return await get_or_404(session, Shift, shift_id, "shift")


async def update_shift(session: AsyncSession, shift_id: int, data: ShiftUpdate) -> Shift:
    shift = await get_shift(session, shift_id)
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True, exclude={"override_justification"}).items()
        if v is not None
    }
    person_id = changes.get("person_id", shift.person_id)
    start = changes.get("start", shift.start_at)
    end = changes.get("end", shift.end_at)
    kind = changes.get("kind", shift.kind)
    worked = changes.get("worked_minutes", shift.worked_minutes if kind == shift.kind else 0)
    if end <= start:
        raise InvalidInputError("end: must be after start")
    if worked and kind != ShiftKind.HOME_CALL:
        raise InvalidInputError("worked_minutes: applies to home_call shifts only")
    if worked * 60 > (end - start).total_seconds():
        raise InvalidInputError("worked_minutes: exceeds the shift's length")
    await lock_resident(session, person_id)
    await _ensure_no_overlap(session, person_id, start, end, shift.id)
    apply_changes(
        shift,
        {
            "person_id": person_id,
            "start_at": start,
            "end_at": end,
            "kind": kind,
            "worked_minutes": worked,
        },
    )
    await session.flush()
    return shift


async def delete_shift(session: AsyncSession, shift_id: int) -> None:
    await session.delete(await get_shift(session, shift_id))
    await session.flush()


async def list_shifts(
    session: AsyncSession,
    page: PageParams,
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
    if person_id is not None:
        statement = statement.where(Shift.person_id == person_id)
    if kind is not None:
        statement = statement.where(Shift.kind == kind)
    return await fetch_page(session, statement, page)
