"""Academic years and their blocks (28-day blocks from the year's first day, no sub-week tail:
the calendar's one block function)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import get_or_404
from app.schedules.calendar import block_bounds
from app.schedules.models import AcademicYear, Block


async def ensure_year(
    session: AsyncSession,
    program: str,
    start: date,
    end: date,
    *,
    activate: bool = True,
    timezone: str | None = None,
) -> AcademicYear:
    """The year with exactly these dates (created with its blocks if new), made active; its
    time zone is the one given (a whole year's file says what its local times are). A file
    names no holidays: the year's stored calendar (:func:`keep_holidays`) stays while the
    file is the same program's (an exported year edited and imported again), else it goes."""
    year = await session.scalar(
        select(AcademicYear).where(AcademicYear.start_date == start, AcademicYear.end_date == end)
    )
    if year is None:
        year = AcademicYear(program=program, start_date=start, end_date=end, active=False)
        session.add(year)
        await session.flush()
        session.add_all(
            Block(year_id=year.id, number=n, start_date=first, end_date=last)
            for n, first, last in block_bounds(start, end)
        )
    if year.program != program:
        year.holidays = None
    year.program, year.timezone = program, timezone
    if activate:
        await session.execute(
            update(AcademicYear).where(AcademicYear.id != year.id).values(active=False)
        )
        year.active = True
    await session.flush()
    return year


def keep_holidays(year: AcademicYear, days: Iterable[date]) -> None:
    """Store ``days`` as the year's holiday calendar (a generated year: its program's)."""
    year.holidays = sorted({day.isoformat() for day in days})


def stored_holidays(year: AcademicYear) -> list[date] | None:
    """The year's holiday calendar, or None when it has none (the US federal holidays)."""
    if year.holidays is None:
        return None
    return [date.fromisoformat(day) for day in year.holidays]


async def years_overlapping(session: AsyncSession, start: date, end: date) -> list[AcademicYear]:
    """The stored academic years with a day in [start, end], the earliest first."""
    return list(
        await session.scalars(
            select(AcademicYear)
            .where(AcademicYear.start_date <= end, AcademicYear.end_date >= start)
            .order_by(AcademicYear.start_date)
        )
    )


async def year_holding(session: AsyncSession, start: date, end: date) -> AcademicYear | None:
    """The stored academic year that holds all of [start, end] (the active one first)."""
    return await session.scalar(
        select(AcademicYear)
        .where(AcademicYear.start_date <= start, AcademicYear.end_date >= end)
        .order_by(AcademicYear.active.desc(), AcademicYear.start_date.desc())
        .limit(1)
    )


async def active_year(session: AsyncSession) -> AcademicYear | None:
    return await session.scalar(select(AcademicYear).where(AcademicYear.active.is_(True)))


async def list_years(session: AsyncSession) -> list[AcademicYear]:
    return list(await session.scalars(select(AcademicYear).order_by(AcademicYear.start_date)))


async def get_year(session: AsyncSession, year_id: int) -> AcademicYear:
    return await get_or_404(session, AcademicYear, year_id, "academic year")


async def year_blocks(session: AsyncSession, year_id: int) -> list[Block]:
    return list(
        await session.scalars(select(Block).where(Block.year_id == year_id).order_by(Block.number))
    )
