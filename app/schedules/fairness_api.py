"""GET /api/v1/schedule/fairness: the fairness report of the stored schedule (docs/fairness.md).

For coordinators, faculty and admins: it compares residents with one another, so a resident may
not read it (their own numbers are in their schedule and their calendar). Holiday calls are
counted on the calendar stored with the academic year (a generated year: its program's
holidays), else the US federal holidays; ``?holidays=CODE`` (or ``none``) overrides it.
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
from app.schedules.file_format import MAX_PERIOD_DAYS, ScheduleFile
from app.schedules.holiday_calendar import (
    UnknownCalendarError,
    calendar_code,
    country_holidays,
    federal_holidays,
)
from app.schedules.transfer import export_schedule
from app.schedules.years import stored_holidays, years_overlapping
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


async def stored_calendar(session: AsyncSession, start: date, end: date) -> frozenset[date]:
    """The holidays in [start, end]: each stored year's own calendar on its days (a generated
    year keeps its program's), the US federal holidays on days of a year without one (an
    imported year) or of no stored year."""
    days = set(await in_thread(federal_holidays, start, end))
    for year in await years_overlapping(session, start, end):
        own = stored_holidays(year)
        if own is None:
            continue
        first, last = max(start, year.start_date), min(end, year.end_date)
        days = {d for d in days if not first <= d <= last}
        days |= {d for d in own if first <= d <= last}
    return frozenset(days)


def _checked_code(code: str | None) -> str | None:
    try:
        return None if code is None else calendar_code(code)
    except UnknownCalendarError as exc:
        raise InvalidInputError(f"holidays: {exc}") from None


@router.get("/fairness", response_model=FairnessReport)
async def stored_fairness(
    session: DbSession,
    principal: Staff,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
    holidays: Annotated[
        str | None,
        Query(
            max_length=16,
            description="Count holiday calls on this country's public holidays (US, CA, ...) "
            "or on none; default: the academic year's stored calendar, else US federal",
        ),
    ] = None,
) -> FairnessReport:
    """Per resident and per PGY class: calls, weekend and holiday calls, home calls, nights,
    hours, longest run of working days and call streak, and the spread of each within a
    class. Default window: the active academic year. Holidays: the year's stored calendar (a
    generated year: its program's), else US federal; ``holidays`` overrides it."""
    code = _checked_code(holidays)
    schedule = await export_schedule(session, start=start, end=end)
    schedule = await _without_idle_former_residents(session, schedule)
    first, last = schedule.period.start, schedule.period.end
    days: frozenset[date] = frozenset()
    if (last - first).days >= MAX_PERIOD_DAYS:
        pass  # refused below, naming the window
    elif code is not None:
        days = await in_thread(country_holidays, code, first, last)
    else:
        days = await stored_calendar(session, first, last)
    try:
        report = await in_thread(fairness_report, schedule, holidays=days)
    except ValueError as exc:  # a window longer than a schedule file may be
        raise InvalidInputError(str(exc)) from None
    await audit_access(
        session, actor_user_id=principal.user_id, resource_type="schedule", action="read"
    )
    return report
