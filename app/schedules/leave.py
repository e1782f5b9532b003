"""Leave: whole days off duty (vacation, sick, parental), never overlapping for one person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import PageParams, apply_changes, fetch_page, get_or_404
from app.errors import ConflictError, InvalidInputError
from app.schedules.models import Leave
from app.schedules.schemas import LeaveCreate, LeaveUpdate
from app.schedules.shifts import lock_resident


async def _ensure_no_overlap(
    session: AsyncSession, person_id: int, start: date, end: date, own_id: int | None
) -> None:
    statement = select(Leave).where(
        Leave.person_id == person_id, Leave.start_date <= end, Leave.end_date >= start
    )
    if own_id is not None:
        statement = statement.where(Leave.id != own_id)
    clash = await session.scalar(statement.limit(1))
    if clash is not None:
        raise ConflictError(
            f"overlaps leave {clash.id} of person {person_id} "
            f"({clash.start_date} to {clash.end_date})"
        )


async def create_leave(session: AsyncSession, data: LeaveCreate) -> Leave:
    await lock_resident(session, data.person_id)
    await _ensure_no_overlap(session, data.person_id, data.start, data.end, None)
    leave = Leave(
        person_id=data.person_id, start_date=data.start, end_date=data.end, kind=data.kind
    )
    session.add(leave)
    await session.flush()
    return leave


async def get_leave(session: AsyncSession, leave_id: int) -> Leave:
    return await get_or_404(session, Leave, leave_id, "leave")


async def update_leave(session: AsyncSession, leave_id: int, data: LeaveUpdate) -> Leave:
    leave = await get_leave(session, leave_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    start = changes.get("start", leave.start_date)
    end = changes.get("end", leave.end_date)
    if end < start:
        raise InvalidInputError("end: must not be before start")
    await lock_resident(session, leave.person_id)
    await _ensure_no_overlap(session, leave.person_id, start, end, leave.id)
    apply_changes(
        leave, {"start_date": start, "end_date": end, "kind": changes.get("kind", leave.kind)}
    )
    await session.flush()
    return leave


async def delete_leave(session: AsyncSession, leave_id: int) -> None:
    await session.delete(await get_leave(session, leave_id))
    await session.flush()


async def list_leave(
    session: AsyncSession,
    page: PageParams,
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
    if person_id is not None:
        statement = statement.where(Leave.person_id == person_id)
    return await fetch_page(session, statement, page)
