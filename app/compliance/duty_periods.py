"""Continuous duty periods and the free gaps between them (spec: "Duty periods").

Shifts of one resident that overlap or are less than 60 minutes apart merge into one period.
In-house shifts and home calls are merged separately (home_call merges only with home_call), so a
home call never stretches an in-house period, yet it still separates two free gaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from app.schedules.file_format import ShiftEntry, ShiftKind

MERGE_GAP = timedelta(minutes=60)
"""Shifts closer than this belong to one continuous duty period (exactly 60 min apart do not)."""


# NamedTuples rather than frozen dataclasses: a large year makes ~15k of each, twice as fast.
class DutyPeriod(NamedTuple):
    start: datetime
    end: datetime
    home_call: bool
    shifts: tuple[ShiftEntry, ...]

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def hours(self) -> float:
        return self.duration.total_seconds() / 3600


class Gap(NamedTuple):
    """Free time after ``before`` until ``after`` starts; zero when they touch or overlap."""

    before: DutyPeriod
    after: DutyPeriod
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def hours(self) -> float:
        return self.duration.total_seconds() / 3600


_by_start = attrgetter("start")


def merge_duty_periods(shifts: Iterable[ShiftEntry]) -> list[DutyPeriod]:
    """Merge one resident's shifts into duty periods, ordered by start."""
    # One open run per class (in-house, home call): they never mix.
    starts: dict[bool, datetime] = {}
    ends: dict[bool, datetime] = {}
    members: dict[bool, list[ShiftEntry]] = {}
    periods: list[DutyPeriod] = []
    home_call = ShiftKind.HOME_CALL
    for shift in sorted(shifts, key=_by_start):
        home = shift.kind is home_call
        start = shift.start
        if home in ends and start - ends[home] < MERGE_GAP:
            members[home].append(shift)
            if shift.end > ends[home]:
                ends[home] = shift.end
            continue
        if home in ends:
            periods.append(DutyPeriod(starts[home], ends[home], home, tuple(members[home])))
        starts[home], ends[home], members[home] = start, shift.end, [shift]
    for home, end in ends.items():
        periods.append(DutyPeriod(starts[home], end, home, tuple(members[home])))
    if len(ends) > 1:  # both classes present: interleave them by start, longer first on ties
        periods.sort(key=lambda p: (p.start, p.start - p.end))
    return periods


def duty_gaps(periods: list[DutyPeriod]) -> list[Gap]:
    """The gaps between consecutive duty periods (ordered by start, as returned above).

    Each gap belongs to the period whose end bounds it. A home-call period can only overlap an
    in-house one in contrived cases (a short shift wedged between two home calls); time covered by
    either is duty, so such an overlap yields no gap, or a zero gap when duty simply continues.
    """
    gaps: list[Gap] = []
    if not periods:
        return gaps
    owner = periods[0]
    for period in periods[1:]:
        if period.start >= owner.end:
            gaps.append(Gap(owner, period, owner.end, period.start))
            owner = period
        elif period.end > owner.end:
            gaps.append(Gap(owner, period, owner.end, owner.end))
            owner = period
    return gaps
