"""From worked shifts (resident, day of the year, shift name) to the schedule file."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock

from app.generation.year import ProgramYear
from app.schedules.file_format import (
    LeaveEntry,
    Period,
    ResidentEntry,
    ScheduleFile,
    ShiftEntry,
)


def to_schedule_file(year: ProgramYear, worked: list[tuple[str, int, str]]) -> ScheduleFile:
    """The schedule file of the year: shifts in time order, residents in roster order."""
    program = year.program
    entries: list[ShiftEntry] = []
    for resident, day, name in worked:
        timing = year.timings[name]
        start = datetime.combine(year.day_date(day), clock()) + timedelta(minutes=timing.start)
        entries.append(
            ShiftEntry(
                resident=resident,
                start=start,
                end=start + timedelta(minutes=timing.length),
                kind=timing.kind,
            )
        )
    order = {r: i for i, r in enumerate(year.ids)}
    entries.sort(key=lambda e: (e.start, order[e.resident]))
    return ScheduleFile(
        program=program.name,
        period=Period(start=program.academic_year_start, end=program.year_end),
        residents=[ResidentEntry(id=r.id, pgy=r.pgy, name=r.name) for r in year.residents],
        shifts=entries,
        leave=[LeaveEntry(resident=e.resident, start=e.start, end=e.end) for e in program.leave],
    )
