"""Leave: whole days off duty (vacation, sick, parental), never overlapping for one person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.params import ensure_ordered
from app.db import queries as db
from app.errors import ConflictError
from app.schedules.models import Leave
from app.schedules.schemas import LeaveCreate, LeaveUpdate
from app.schedules.shifts import lock_resident


async def _claim(
    session: AsyncSession, person_id: int, start: date, end: date, own_id: int | None
) -> None:
    """Lock the resident, then refuse [start, end] if it overlaps another leave of theirs."""
    await lock_resident(session, person_id)
    overlapping = Leave.person_id == person_id, Leave.start_date <= end, Leave.end_date >= start
    clash = await db.first_other(session, Leave, own_id, *overlapping)
    if clash is not None:
        raise ConflictError(
            f"overlaps leave {clash.id} of person {person_id} "
            f"({clash.start_date} to {clash.end_date})"
        )


async def create_leave(session: AsyncSession, data: LeaveCreate) -> Leave:
    await _claim(session, data.person_id, data.start, data.end, None)
    leave = Leave(
        person_id=data.person_id, start_date=data.start, end_date=data.end, kind=data.kind
    )
    return await db.insert_row(session, leave)


async def get_leave(session: AsyncSession, leave_id: int) -> Leave:
    return await db.get_or_404(session, Leave, leave_id, "leave")


async def update_leave(session: AsyncSession, leave_id: int, data: LeaveUpdate) -> Leave:
    leave = await get_leave(session, leave_id)
    changes = db.set_fields(data)
    start = changes.get("start", leave.start_date)
    end = changes.get("end", leave.end_date)
    ensure_ordered(start, end)
    await _claim(session, leave.person_id, start, end, leave.id)
    kind = changes.get("kind", leave.kind)
    return await db.update_row(session, leave, {"start_date": start, "end_date": end, "kind": kind})


async def delete_leave(session: AsyncSession, leave_id: int) -> None:
    await db.delete_row(session, await get_leave(session, leave_id))


async def list_leave(
    session: AsyncSession,
    page: db.PageParams,
    *,
    start: date | None = None,
    end: date | None = None,
    person_id: int | None = None,
) -> tuple[list[Leave], int]:
    statement = select(Leave).order_by(Leave.start_date, Leave.person_id, Leave.id)
    if start is not None:
        statement = statement.where(Leave.end_date >= start)
    if end is not None:
        statement = statement.where(Leave.start_date <= end)
    return await db.fetch_page(session, statement, page, (Leave.person_id, person_id))
