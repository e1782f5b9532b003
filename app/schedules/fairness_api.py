"""GET /api/v1/schedule/fairness: the fairness report of the stored schedule (docs/fairness.md).

For coordinators, faculty and admins: it compares residents with one another, so a resident may
not read it (their own numbers are in their schedule and their calendar).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import API_PREFIX
from app.api.json_bodies import in_thread
from app.audit.service import audit_access
from app.auth.dependencies import Principal, require_roles
from app.auth.models import Role
from app.errors import InvalidInputError
from app.people.models import Person, PersonKind
from app.schedules.fairness import FairnessReport, fairness_report
from app.schedules.file_format import ScheduleFile
from app.schedules.transfer import export_schedule
from app.services import DbSession

router = APIRouter(prefix=f"{API_PREFIX}/schedule", tags=["schedule"])

Staff = Annotated[Principal, Depends(require_roles(Role.COORDINATOR, Role.FACULTY))]
"""Coordinators, faculty (and admins)."""


async def _without_idle_former_residents(
    session: AsyncSession, schedule: ScheduleFile
) -> ScheduleFile:
    """Inactive residents (graduated, left) with nothing in the window would sit at every
    minimum with zeros: leave them out. Anyone with shifts or leave in it stays."""
    inactive = set(
        await session.scalars(
            select(Person.code).where(Person.kind == PersonKind.RESIDENT, Person.active.is_(False))
        )
    )
    present = {s.resident for s in schedule.shifts} | {v.resident for v in schedule.leave}
    idle = inactive - present
    if not idle:
        return schedule
    kept = [r for r in schedule.residents if r.id not in idle]
    return schedule.model_copy(update={"residents": kept})


@router.get("/fairness", response_model=FairnessReport)
async def stored_fairness(
    session: DbSession,
    principal: Staff,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
) -> FairnessReport:
    """Per resident and per PGY class: calls, weekend and holiday calls (US federal holidays),
    home calls, nights, hours, longest run of working days and call streak, and the spread of
    each within a class. Default window: the active academic year."""
    schedule = await export_schedule(session, start=start, end=end)
    schedule = await _without_idle_former_residents(session, schedule)
    try:
        report = await in_thread(fairness_report, schedule)
    except ValueError as exc:  # a window longer than a schedule file may be
        raise InvalidInputError(str(exc)) from None
    await audit_access(
        session, actor_user_id=principal.user_id, resource_type="schedule", action="read"
    )
    return report
