"""GET /api/v1/people/{id}/calendar.ics: a resident's shifts for their phone's calendar.

Residents may fetch their own only (anyone else's is refused, audited and flagged, as for
``GET /people/{id}``); staff any. Every fetch is audited as an export of that person's data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import API_PREFIX
from app.api.json_bodies import in_thread
from app.api.params import ensure_ordered
from app.audit.service import audit_access
from app.auth.dependencies import Reader
from app.auth.ownership import ensure_owner
from app.people import service
from app.rotations.models import Rotation, RotationAssignment
from app.schedules.calendar import day_range
from app.schedules.ical import CalendarShift, resident_calendar
from app.schedules.models import Block, Shift
from app.schedules.years import active_year
from app.services import AuditDep, DbSession

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["people"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


async def _rotations(session: AsyncSession, person_id: int) -> list[tuple[date, date, str]]:
    """(first day, last day, rotation code) of each block the person is assigned to."""
    rows = await session.execute(
        select(Block.start_date, Block.end_date, Rotation.code)
        .join(RotationAssignment, RotationAssignment.block_id == Block.id)
        .join(Rotation, Rotation.id == RotationAssignment.rotation_id)
        .where(RotationAssignment.person_id == person_id)
    )
    return [(first, last, code) for first, last, code in rows]


async def calendar_shifts(
    session: AsyncSession, person_id: int, start: date | None, end: date | None
) -> list[CalendarShift]:
    """The person's shifts overlapping [start, end], each with its block's rotation."""
    lower, upper = day_range(start, end)
    query = select(Shift).where(Shift.person_id == person_id).order_by(Shift.start_at)
    if lower is not None:
        query = query.where(Shift.end_at > lower)
    if upper is not None:
        query = query.where(Shift.start_at < upper)
    blocks = await _rotations(session, person_id)

    def rotation(day: date) -> str | None:
        return next((code for first, last, code in blocks if first <= day <= last), None)

    return [
        CalendarShift(
            start=s.start_at, end=s.end_at, kind=s.kind, rotation=rotation(s.start_at.date())
        )
        for s in await session.scalars(query)
    ]


@router.get(
    "/{person_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar file"}},
)
async def person_calendar(
    audit: AuditDep,
    session: DbSession,
    principal: Reader,
    person_id: int,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
) -> Response:
    """The person's shifts (overlapping [start, end]; default all) as iCalendar: one event per
    shift, its kind and rotation as the title."""
    await ensure_owner(audit, principal, person_id, "person", person_id)
    ensure_ordered(start, end)
    await service.get_person(session, person_id)  # 404 for an unknown id
    shifts = await calendar_shifts(session, person_id, start, end)
    year = await active_year(session)
    program = year.program if year is not None else "Residency program"
    body = await in_thread(resident_calendar, shifts, owner=str(person_id), name=program)
    await audit_access(
        session,
        actor_user_id=principal.user_id,
        resource_type="person",
        action="export",
        resource_id=person_id,
    )
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="calendar.ics"'},
    )
