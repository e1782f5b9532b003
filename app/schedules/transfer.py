"""Whole-schedule import and export in the schedule file format.

An import is a single transaction: the file is fully checked before the first write, and any
failure afterwards rolls everything back, so a bad file changes nothing.

A file whose period lies inside a stored academic year (a part-year file, such as a re-imported
``export --start 2026-07-01 --end 2026-07-31``) replaces the shifts and leave of its period in
that year and leaves the years as they are; any other file makes the academic year of its own
dates (created if new) the active one. An export of part of a year carries the year's first day
as ``period.block_start``, so it keeps the year's blocks when validated on its own.

Imports serialize: on PostgreSQL each takes a transaction-scoped advisory lock
(:data:`IMPORT_LOCK_KEY`) before reading anything, so a second import started meanwhile (a
client retrying after a timeout) waits for the first to commit and then replaces its shifts;
the period ends holding exactly one file. SQLite allows one writer at a time already.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Collection, Iterable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import take_write_lock
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.people.models import Person, PersonKind
from app.schedules.calendar import end_of_day
from app.schedules.file_format import (
    LeaveEntry,
    Period,
    ResidentEntry,
    ScheduleFile,
    ShiftEntry,
)
from app.schedules.models import Leave, Shift
from app.schedules.schemas import ImportSummary
from app.schedules.shifts import ensure_no_swaps
from app.schedules.years import active_year, ensure_year, year_holding

IMPORT_LOCK_KEY = 0x5C4ED01E
INSERT_BATCH = 2000  # rows per INSERT of an import
"""The PostgreSQL advisory lock key every import holds until its transaction ends."""


async def _serialize_imports(session: AsyncSession) -> None:
    """One import at a time: PostgreSQL's advisory lock; on SQLite, the one write lock, taken
    before the import reads anything (see :func:`app.db.queries.take_write_lock`)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY}
        )
    else:
        await take_write_lock(session, Shift)


async def _insert_in_batches(
    session: AsyncSession, model: type[Shift] | type[Leave], rows: Iterable[dict[str, Any]]
) -> None:
    """Insert ``rows`` a batch at a time, letting other requests run in between: building a
    whole year's rows in one call held the event loop for seconds (126k shifts)."""
    source = iter(rows)
    while batch := list(itertools.islice(source, INSERT_BATCH)):
        await session.execute(insert(model), batch)
        await asyncio.sleep(0)


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min), end_of_day(end)


async def _upsert_residents(
    session: AsyncSession, residents: list[ResidentEntry]
) -> tuple[dict[str, int], int, int]:
    existing = {
        p.code: p
        for p in await session.scalars(
            select(Person).where(Person.code.in_([r.id for r in residents]))
        )
    }
    created = updated = 0
    for index, entry in enumerate(residents):
        person = existing.get(entry.id)
        if person is None:
            person = Person(code=entry.id, name=entry.name, kind=PersonKind.RESIDENT, pgy=entry.pgy)
            session.add(person)
            existing[entry.id] = person
            created += 1
            continue
        if person.kind != PersonKind.RESIDENT:
            raise InvalidInputError(f"residents[{index}].id: {entry.id!r} is a faculty member")
        if person.pgy != entry.pgy or (entry.name and person.name != entry.name):
            person.pgy = entry.pgy
            person.name = entry.name or person.name
            updated += 1
    await session.flush()
    return {code: person.id for code, person in existing.items()}, created, updated


async def _ensure_no_clash_outside(
    session: AsyncSession, schedule: ScheduleFile, ids: dict[str, int]
) -> None:
    """Stored shifts and leave outside the file's period are kept; an imported one reaching past
    the period's edge must not overlap them. (Run once the period itself has been cleared.)"""
    period = schedule.period
    lower, upper = _period_bounds(period.start, period.end)
    for i, s in enumerate(schedule.shifts):
        if lower <= s.start and s.end <= upper:
            continue
        clash = await session.scalar(
            select(Shift)
            .where(
                Shift.person_id == ids[s.resident], Shift.start_at < s.end, Shift.end_at > s.start
            )
            .limit(1)
        )
        if clash is not None:
            raise ConflictError(
                f"shifts[{i}]: overlaps the stored shift {clash.start_at:%Y-%m-%dT%H:%M} to "
                f"{clash.end_at:%Y-%m-%dT%H:%M} of resident {s.resident!r} outside the period"
            )
    for i, v in enumerate(schedule.leave):
        if period.start <= v.start and v.end <= period.end:
            continue
        held = await session.scalar(
            select(Leave)
            .where(
                Leave.person_id == ids[v.resident],
                Leave.start_date <= v.end,
                Leave.end_date >= v.start,
            )
            .limit(1)
        )
        if held is not None:
            raise ConflictError(
                f"leave[{i}]: overlaps the stored leave {held.start_date} to {held.end_date} "
                f"of resident {v.resident!r} outside the period"
            )


async def import_schedule(session: AsyncSession, schedule: ScheduleFile) -> ImportSummary:
    """Make ``schedule`` the stored schedule for its period, replacing shifts and leave there."""
    await _serialize_imports(session)
    period = schedule.period
    year = await year_holding(session, period.start, period.end)
    exact = year is not None and (year.start_date, year.end_date) == (period.start, period.end)
    if year is None or exact:
        year = await ensure_year(
            session, schedule.program, period.start, period.end, timezone=schedule.timezone
        )
    elif schedule.timezone is not None and schedule.timezone != year.timezone:
        # Part of a stored year: its local times must mean what the year's do.
        held_in = year.timezone or "no time zone (wall-clock hours)"
        raise InvalidInputError(
            f"timezone: the academic year {year.start_date} to {year.end_date} is stored with "
            f"{held_in}; the file says {schedule.timezone}. Import the whole year to change it"
        )
    ids, created, updated = await _upsert_residents(session, schedule.residents)
    lower, upper = _period_bounds(period.start, period.end)
    in_period = (Shift.start_at < upper) & (Shift.end_at > lower)
    await ensure_no_swaps(
        session, in_period, f"importing {period.start} to {period.end} (replacing its shifts)"
    )
    replaced = await session.execute(delete(Shift).where(in_period))
    await session.execute(
        delete(Leave).where(Leave.start_date <= period.end, Leave.end_date >= period.start)
    )
    await _ensure_no_clash_outside(session, schedule, ids)
    shift_rows = (
        {
            "person_id": ids[s.resident],
            "start_at": s.start,
            "end_at": s.end,
            "kind": s.kind,
            "worked_minutes": s.worked_minutes,
        }
        for s in schedule.shifts
    )
    await _insert_in_batches(session, Shift, shift_rows)
    leave_rows = (
        {"person_id": ids[v.resident], "start_date": v.start, "end_date": v.end}
        for v in schedule.leave
    )
    await _insert_in_batches(session, Leave, leave_rows)
    await session.flush()
    return ImportSummary(
        academic_year_id=year.id,
        residents_created=created,
        residents_updated=updated,
        shifts=len(schedule.shifts),
        leave=len(schedule.leave),
        shifts_replaced=int(getattr(replaced, "rowcount", 0) or 0),
    )


async def export_schedule(
    session: AsyncSession,
    *,
    start: date | None = None,
    end: date | None = None,
    with_names: bool = False,
    person_ids: Collection[int] | None = None,
) -> ScheduleFile:
    """The stored schedule for [start, end] (default: the active academic year), optionally
    only for some residents."""
    year = await active_year(session)
    if start is None or end is None:
        if year is None:
            raise NotFoundError("no academic year is stored yet; import or seed a schedule first")
        start, end = start or year.start_date, end or year.end_date
    if end < start:
        raise InvalidInputError("end: must not be before start")
    program = year.program if year is not None else "Residency program"
    holding = year if year is not None and year.start_date <= start <= year.end_date else None
    holding = holding or await year_holding(session, start, start)
    block_start = holding.start_date if holding and holding.start_date < start else None
    lower, upper = _period_bounds(start, end)
    people = select(Person).where(Person.kind == PersonKind.RESIDENT).order_by(Person.code)
    shift_query = select(Shift).where(Shift.start_at < upper, Shift.end_at > lower)
    leave_query = select(Leave).where(Leave.start_date <= end, Leave.end_date >= start)
    if person_ids is not None:
        people = people.where(Person.id.in_(person_ids))
        shift_query = shift_query.where(Shift.person_id.in_(person_ids))
        leave_query = leave_query.where(Leave.person_id.in_(person_ids))
    residents = list(await session.scalars(people))
    codes = {p.id: p.code for p in residents}
    shifts = await session.scalars(shift_query.order_by(Shift.person_id, Shift.start_at))
    leave = await session.scalars(leave_query.order_by(Leave.person_id, Leave.start_date))
    zone = holding.timezone if holding is not None else year.timezone if year else None
    return ScheduleFile(
        program=program,
        timezone=zone,
        period=Period(start=start, end=end, block_start=block_start),
        residents=[
            ResidentEntry(id=p.code, pgy=p.pgy or 1, name=p.name if with_names else None)
            for p in residents
        ],
        shifts=[
            ShiftEntry(
                resident=codes[s.person_id],
                start=s.start_at,
                end=s.end_at,
                kind=s.kind,
                worked_minutes=s.worked_minutes,
            )
            for s in shifts
        ],
        leave=[
            LeaveEntry(resident=codes[v.person_id], start=v.start_date, end=v.end_date)
            for v in leave
        ],
    )
