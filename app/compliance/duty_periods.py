"""One resident's duty: in-house spans, home calls, continuous duty periods and the gaps between.

Spec "Duty periods": in-house shifts (every kind but ``home_call``, call-ins included) that
overlap or are less than 60 minutes apart merge into one continuous duty period. Home call forms
no duty period and never joins one: time on the pager is not clinical work. An in-house shift
lying inside a home call is a call-in (work done in the hospital when called): it is part of the
duty periods like any in-house shift, but a gap that ends at or starts from one is no off-duty
period for the 8-hour rule (returning when called starts no new off-duty period).

Lengths are measured on a :class:`~app.schedules.clock.Clock` (real elapsed seconds when the file
names a time zone); ``start``/``end`` stay local times for dates in messages and blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import NamedTuple

from app.schedules.clock import Clock
from app.schedules.file_format import ShiftEntry, ShiftKind, call_in_flags

MERGE_GAP = timedelta(minutes=60)
"""Shifts closer than this belong to one continuous duty period (exactly 60 min apart do not)."""
_MERGE_SECONDS = 3600


# NamedTuples rather than frozen dataclasses: a large year makes ~15k of each, twice as fast.
class Span(NamedTuple):
    """One shift on the real time axis: ``a``/``b`` are seconds from the clock's origin."""

    shift: ShiftEntry
    a: int
    b: int
    call_in: bool


class DutyPeriod(NamedTuple):
    start: datetime
    end: datetime
    a: int  # real seconds from the clock's origin
    b: int
    shifts: tuple[ShiftEntry, ...]
    starts_with_call_in: bool
    ends_with_call_in: bool
    calls: tuple[int, ...]
    """Real starts of its ``call`` shifts that are not call-ins (in-house calls, rule q3)."""

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.b - self.a)

    @property
    def hours(self) -> float:
        return (self.b - self.a) / 3600


class Gap(NamedTuple):
    """Free time after ``before`` until ``after`` starts."""

    before: DutyPeriod
    after: DutyPeriod
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.after.a - self.before.b)

    @property
    def hours(self) -> float:
        return (self.after.a - self.before.b) / 3600

    @property
    def after_call_in(self) -> bool:
        """Ends at or starts from a call-in: not an off-duty period (8-hour rule)."""
        return self.before.ends_with_call_in or self.after.starts_with_call_in


class ResidentDuty(NamedTuple):
    in_house: list[Span]  # by start, call-ins included
    home_calls: list[Span]  # by start
    periods: list[DutyPeriod]  # in-house only, by start

    @property
    def gaps(self) -> list[Gap]:
        return duty_gaps(self.periods)


_by_start = attrgetter("start")


def resident_duty(shifts: Iterable[ShiftEntry], clock: Clock) -> ResidentDuty:
    """Split one resident's (valid, non-overlapping) shifts and merge the duty periods."""
    ordered = sorted(shifts, key=_by_start)
    home_kind = ShiftKind.HOME_CALL
    home = [s for s in ordered if s.kind is home_kind]
    in_house = [s for s in ordered if s.kind is not home_kind] if home else ordered
    flags = call_in_flags(in_house, home) if home else [False] * len(in_house)
    starts = clock.seconds_of([s.start for s in in_house])
    ends = clock.seconds_of([s.end for s in in_house])
    spans = list(map(Span, in_house, starts, ends, flags))
    calls = [Span(s, clock.seconds(s.start), clock.seconds(s.end), False) for s in home]
    return ResidentDuty(spans, calls, _merge(spans))


def _merge(spans: list[Span]) -> list[DutyPeriod]:
    periods: list[DutyPeriod] = []
    if not spans:
        return periods
    call = ShiftKind.CALL
    first = spans[0]
    members = [first.shift]
    calls = [first.a] if first.shift.kind is call and not first.call_in else []
    start, end, a, b = first.shift.start, first.shift.end, first.a, first.b
    starts_in = ends_in = first.call_in
    for span in spans[1:]:
        if span.a - b < _MERGE_SECONDS:
            members.append(span.shift)
            if span.b > b:
                end, b, ends_in = span.shift.end, span.b, span.call_in
            if span.shift.kind is call and not span.call_in:
                calls.append(span.a)
            continue
        periods.append(
            DutyPeriod(start, end, a, b, tuple(members), starts_in, ends_in, tuple(calls))
        )
        members = [span.shift]
        calls = [span.a] if span.shift.kind is call and not span.call_in else []
        start, end, a, b = span.shift.start, span.shift.end, span.a, span.b
        starts_in = ends_in = span.call_in
    periods.append(DutyPeriod(start, end, a, b, tuple(members), starts_in, ends_in, tuple(calls)))
    return periods


def merge_duty_periods(
    shifts: Iterable[ShiftEntry], clock: Clock | None = None
) -> list[DutyPeriod]:
    """The continuous duty periods of one resident's shifts, ordered by start (home calls only
    mark call-ins). Without a clock: wall-clock durations from the first shift's day."""
    ordered = sorted(shifts, key=_by_start)
    if clock is None:
        clock = Clock(ordered[0].start.date() if ordered else datetime.min.date())
    return resident_duty(ordered, clock).periods


def duty_gaps(periods: list[DutyPeriod], shorter_than: int | None = None) -> list[Gap]:
    """The gaps between consecutive duty periods (ordered by start; periods never overlap);
    only those shorter than ``shorter_than`` seconds when given (a year has ~15k gaps)."""
    if shorter_than is None:
        return [Gap(p, q, p.end, q.start) for p, q in pairwise(periods)]
    return [Gap(p, q, p.end, q.start) for p, q in pairwise(periods) if q.a - p.b < shorter_than]
