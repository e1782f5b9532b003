"""How evenly a schedule shares the hard duty within each PGY class (docs/fairness.md).

Pure: a parsed :class:`ScheduleFile` in, a :class:`FairnessReport` out. Per resident it counts
in-house calls (and the weekend and holiday ones), home calls, nights, hours, the longest run of
working days and the longest call streak; per PGY class it gives each measure's spread
(max - min) and the residents at both ends, by code id only.

Definitions (the one place they are written down in code; docs/fairness.md explains them):

- A shift belongs to the report when it *starts* on a day of the window (the file's period, or
  the ``start``/``end`` asked for, clipped to it); its whole length counts.
- **call**: an in-house ``call`` shift that is not a call-in (a ``call`` shift lying inside a home
  call is work done when called from home: its hours count, it is not a call). **home call**: a
  ``home_call`` shift, counted on its own.
- **weekend call**: a call starting on a Saturday or a Sunday. A Friday call ends on Saturday
  morning and a Sunday call on Monday: counting by start day gives every weekend exactly two
  call starts, so a 24-hour call rota shares them without double counting.
- **holiday call**: a call starting on a holiday (default: US federal holidays, observed days
  included; a program may pass its own list).
- **night**: a ``night`` shift.
- **hours**: in-house shift hours (call-ins included) plus ``worked_minutes`` of home calls;
  real elapsed hours when the file names a time zone, as the validator counts them.
- **longest run of working days**: the most consecutive calendar days on each of which an
  in-house shift starts. A post-call day, a day off and a leave day (without duty) end a run;
  a leave day on which the resident nevertheless works is a working day (work is never hidden).
- **longest call streak**: the most calls in a row, each starting at most ``streak_days``
  (default 2) calendar days after the previous one: every other night or denser, the pattern
  the generator avoids (DESIGN.md principle 10).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from app.schedules.clock import load_zone
from app.schedules.file_format import (
    MAX_PERIOD_DAYS,
    ScheduleFile,
    ShiftEntry,
    ShiftKind,
    call_in_flags,
)
from app.schedules.holiday_calendar import holidays_between

DEFAULT_STREAK_DAYS = 2
"""Calls at most this many calendar days apart (start to start) continue a streak: q2."""
WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


class Measure(StrEnum):
    CALLS = "calls"
    WEEKEND_CALLS = "weekend_calls"
    HOLIDAY_CALLS = "holiday_calls"
    HOME_CALLS = "home_calls"
    NIGHTS = "nights"
    HOURS = "hours"
    LONGEST_WORK_RUN = "longest_work_run"
    LONGEST_CALL_STREAK = "longest_call_streak"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ResidentFairness(_Frozen):
    resident: str
    pgy: int
    leave_days: int
    """Leave days inside the window: context for low counts, not a measure."""
    calls: int
    weekend_calls: int
    holiday_calls: int
    home_calls: int
    nights: int
    hours: float
    longest_work_run: int
    longest_call_streak: int

    def value(self, measure: Measure) -> int | float:
        result: int | float = getattr(self, measure.value)
        return result


class Spread(_Frozen):
    min: int | float
    max: int | float
    spread: int | float
    lowest: list[str]
    """Residents (code ids) at the minimum."""
    highest: list[str]
    """Residents (code ids) at the maximum."""


class ClassFairness(_Frozen):
    pgy: int
    residents: int
    spreads: dict[Measure, Spread]


class FairnessReport(_Frozen):
    program: str
    start: date
    end: date
    holidays: list[date]
    """The holidays inside the window that holiday calls were counted on."""
    residents: list[ResidentFairness]
    classes: list[ClassFairness]


def _hours(shift: ShiftEntry, zone: ZoneInfo | None) -> float:
    if zone is None:
        return shift.hours
    start = shift.start.replace(tzinfo=zone, fold=0).timestamp()
    return (shift.end.replace(tzinfo=zone, fold=0).timestamp() - start) / 3600


def longest_run(days: Iterable[date]) -> int:
    """The most consecutive calendar days among ``days``."""
    best = run = 0
    previous: date | None = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best, previous = max(best, run), day
    return best


def longest_streak(starts: Iterable[datetime], gap_days: int) -> int:
    """The most calls in a row whose start days are at most ``gap_days`` apart."""
    best = run = 0
    previous: date | None = None
    for day in sorted(start.date() for start in starts):
        run = run + 1 if previous is not None and (day - previous).days <= gap_days else 1
        best, previous = max(best, run), day
    return best


def _leave_days(schedule: ScheduleFile, first: date, last: date) -> dict[str, set[date]]:
    days: dict[str, set[date]] = defaultdict(set)
    for entry in schedule.leave:
        day = max(entry.start, first)
        while day <= min(entry.end, last):
            days[entry.resident].add(day)
            day += timedelta(days=1)
    return days


def _resident(
    resident: str,
    pgy: int,
    shifts: list[ShiftEntry],
    *,
    window: tuple[date, date],
    leave_days: int,
    holidays: frozenset[date],
    zone: ZoneInfo | None,
    streak_days: int,
) -> ResidentFairness:
    first, last = window
    shifts = sorted(shifts, key=lambda s: s.start)
    home = [s for s in shifts if s.kind is ShiftKind.HOME_CALL]
    in_house = [s for s in shifts if s.kind is not ShiftKind.HOME_CALL]
    flags = call_in_flags(in_house, home)

    def inside(shift: ShiftEntry) -> bool:
        return first <= shift.start.date() <= last

    calls = [
        s
        for s, call_in in zip(in_house, flags, strict=True)
        if s.kind is ShiftKind.CALL and not call_in and inside(s)
    ]
    working = [s for s in in_house if inside(s)]
    home_calls = [s for s in home if inside(s)]
    hours = sum(_hours(s, zone) for s in working) + sum(s.worked_minutes for s in home_calls) / 60
    return ResidentFairness(
        resident=resident,
        pgy=pgy,
        leave_days=leave_days,
        calls=len(calls),
        weekend_calls=sum(s.start.weekday() in WEEKEND for s in calls),
        holiday_calls=sum(s.start.date() in holidays for s in calls),
        home_calls=len(home_calls),
        nights=sum(s.kind is ShiftKind.NIGHT for s in working),
        hours=round(hours, 1),
        longest_work_run=longest_run(s.start.date() for s in working),
        longest_call_streak=longest_streak((s.start for s in calls), streak_days),
    )


def _spread(rows: list[ResidentFairness], measure: Measure) -> Spread:
    values = [(row.value(measure), row.resident) for row in rows]
    low = min(v for v, _ in values)
    high = max(v for v, _ in values)
    spread = high - low
    return Spread(
        min=low,
        max=high,
        spread=round(spread, 1) if isinstance(spread, float) else spread,
        lowest=sorted(r for v, r in values if v == low),
        highest=sorted(r for v, r in values if v == high),
    )


def class_spreads(rows: list[ResidentFairness]) -> list[ClassFairness]:
    by_class: dict[int, list[ResidentFairness]] = defaultdict(list)
    for row in rows:
        by_class[row.pgy].append(row)
    return [
        ClassFairness(
            pgy=pgy,
            residents=len(members),
            spreads={measure: _spread(members, measure) for measure in Measure},
        )
        for pgy, members in sorted(by_class.items())
    ]


def fairness_report(
    schedule: ScheduleFile,
    *,
    start: date | None = None,
    end: date | None = None,
    holidays: Iterable[date] | None = None,
    streak_days: int = DEFAULT_STREAK_DAYS,
) -> FairnessReport:
    """The fairness of ``schedule`` over [start, end] (default: its whole period, and clipped
    to it). ``holidays``: the program's own list; default the US federal holidays. ValueError
    (the message names the parameter) when the window is empty."""
    period = schedule.period
    first, last = max(start or period.start, period.start), min(end or period.end, period.end)
    if start is not None and end is not None and end < start:
        raise ValueError("end: must not be before start")
    if last < first:
        raise ValueError(f"start/end: outside the schedule's period {period.start}..{period.end}")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValueError(f"start/end: at most {MAX_PERIOD_DAYS} days (three academic years)")
    if streak_days < 1:
        raise ValueError("streak_days: must be at least 1")
    zone = load_zone(schedule.timezone) if schedule.timezone else None
    holiday_days = holidays_between(first, last, holidays)
    by_resident: dict[str, list[ShiftEntry]] = defaultdict(list)
    for shift in schedule.shifts:
        by_resident[shift.resident].append(shift)
    leave = _leave_days(schedule, first, last)
    rows = sorted(
        (
            _resident(
                r.id,
                r.pgy,
                by_resident[r.id],
                window=(first, last),
                leave_days=len(leave[r.id]),
                holidays=holiday_days,
                zone=zone,
                streak_days=streak_days,
            )
            for r in schedule.residents
        ),
        key=lambda row: (row.pgy, row.resident),
    )
    return FairnessReport(
        program=schedule.program,
        start=first,
        end=last,
        holidays=sorted(holiday_days),
        residents=rows,
        classes=class_spreads(rows),
    )
