"""What a coordinator reads off a generated year before publishing it: spacing and fairness.

Pure functions of a schedule file (and, for the classes, the program). Definitions:

* an **in-house call** is a ``call`` shift or any shift of 24 h or more; the **call gap** is the
  number of days from one call's start to the resident's next call's start (3 = two free nights
  between them, "q3"; 2 = every other night, "q2");
* a **working day** is a calendar day on which an in-house shift of the resident starts, or the
  day after an in-house call (the post-call day: the resident is at work until the hand-over),
  within the schedule's period, as in the fairness report (the generator is stricter: it also
  counts a day with a home call);
* a **night** is a ``night`` shift; runs count consecutive calendar days;
* a **weekend call** starts on a Saturday or Sunday; a **holiday call** starts on a holiday;
* **spreads** are max - min over the residents of one PGY class (yearly totals).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.schedules.file_format import ScheduleFile, ShiftEntry, ShiftKind

LONG_DUTY_HOURS = 24.0


def is_in_house_call(shift: ShiftEntry) -> bool:
    return shift.kind is ShiftKind.CALL or (
        shift.kind is not ShiftKind.HOME_CALL and shift.hours >= LONG_DUTY_HOURS
    )


def longest_run(days: Iterable[date]) -> int:
    """The longest run of consecutive calendar days in ``days``."""
    ordered = sorted(set(days))
    best = run = 0
    for i, day in enumerate(ordered):
        run = run + 1 if i and day - ordered[i - 1] == timedelta(days=1) else 1
        best = max(best, run)
    return best


def working_days(shifts: Iterable[ShiftEntry]) -> set[date]:
    days: set[date] = set()
    for s in shifts:
        if s.kind is ShiftKind.HOME_CALL:
            continue
        days.add(s.start.date())
        if is_in_house_call(s):
            days.add(s.start.date() + timedelta(days=1))
    return days


@dataclass(frozen=True, slots=True)
class YearQuality:
    min_call_gap: int | None  # smallest start-to-start gap in days between two calls (None: <2)
    q2_pairs: int  # pairs of calls of one resident less than 3 days apart
    longest_working_run: int
    longest_night_run: int
    clinic_on_holidays: int  # clinic shifts starting on a holiday
    spreads: dict[str, dict[int, float]]  # measure -> PGY -> max - min within the class

    def worst_spread(self, measure: str) -> float:
        return max(self.spreads[measure].values(), default=0.0)


MEASURES = ("calls", "weekend_calls", "holiday_calls", "nights", "hours")


def year_quality(
    schedule: ScheduleFile, holidays: Collection[date] = (), pgy: dict[str, int] | None = None
) -> YearQuality:
    """Spacing, runs, holiday clinics and per-class spreads of a schedule file."""
    classes = pgy or {r.id: r.pgy for r in schedule.residents}
    own: dict[str, list[ShiftEntry]] = defaultdict(list)
    for s in schedule.shifts:
        own[s.resident].append(s)
    totals: dict[str, dict[str, float]] = {m: defaultdict(float) for m in MEASURES}
    gaps: list[int] = []
    work_run = night_run = clinics = 0
    for resident, shifts in own.items():
        calls = sorted(s.start.date() for s in shifts if is_in_house_call(s))
        gaps.extend((b - a).days for a, b in itertools.pairwise(calls))
        worked = {d for d in working_days(shifts) if d <= schedule.period.end}
        work_run = max(work_run, longest_run(worked))
        nights = [s.start.date() for s in shifts if s.kind is ShiftKind.NIGHT]
        night_run = max(night_run, longest_run(nights))
        clinics += sum(
            1 for s in shifts if s.kind is ShiftKind.CLINIC and s.start.date() in holidays
        )
        totals["calls"][resident] = len(calls)
        totals["weekend_calls"][resident] = sum(1 for d in calls if d.weekday() >= 5)
        totals["holiday_calls"][resident] = sum(1 for d in calls if d in holidays)
        totals["nights"][resident] = len(nights)
        totals["hours"][resident] = sum(
            s.worked_minutes / 60 if s.kind is ShiftKind.HOME_CALL else s.hours for s in shifts
        )
    spreads: dict[str, dict[int, float]] = {}
    for measure, per_resident in totals.items():
        by_class: dict[int, list[float]] = defaultdict(list)
        for r in classes:
            by_class[classes[r]].append(per_resident.get(r, 0.0))
        spreads[measure] = {c: max(v) - min(v) for c, v in sorted(by_class.items())}
    return YearQuality(
        min_call_gap=min(gaps, default=None),
        q2_pairs=sum(1 for g in gaps if g < 3),
        longest_working_run=work_run,
        longest_night_run=night_run,
        clinic_on_holidays=clinics,
        spreads=spreads,
    )
