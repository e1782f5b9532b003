"""Shift timing arithmetic: which shift pairs on nearby days break a rest rule, and spill-over.

Times are minutes from the midnight of the day a shift starts. The generator never lets two duty
periods merge, so every duty period is one shift and the ACGME rules reduce to pairwise rules
between a shift on day d and one on day d + delta, plus per-block totals.

Home call (spec revision 2) is no duty period: it needs no rest after it and counts no hours, but
it may not overlap another shift of the resident (the generator makes no call-ins) nor start
within the 14 h rest after 24 h in house.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.schedules.file_format import ShiftKind

DAY = 24 * 60
LONG_DUTY = 24 * 60  # a duty period this long needs REST_AFTER_LONG off afterwards
REST_AFTER_LONG = 14 * 60
REST_BETWEEN = 8 * 60  # a warning in the validator; the generator avoids it too


@dataclass(frozen=True, slots=True)
class ShiftTiming:
    name: str
    kind: ShiftKind
    start: int  # minutes after midnight of its day
    length: int  # minutes

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def is_home_call(self) -> bool:
        return self.kind is ShiftKind.HOME_CALL

    @property
    def is_in_house_call(self) -> bool:
        """In-house call for the q3 rule: a ``call`` shift, or any in-house shift of 24 h or more
        (the generator never merges shifts, so each shift is its own duty period)."""
        if self.is_home_call:
            return False
        return self.kind is ShiftKind.CALL or self.length >= LONG_DUTY

    @property
    def rest_after(self) -> int:
        return REST_AFTER_LONG if self.length >= LONG_DUTY else REST_BETWEEN

    @property
    def spill(self) -> int:
        """Minutes past the midnight that ends its day."""
        return max(0, self.end - DAY)

    @property
    def counted_spill(self) -> int:
        """Minutes of the spill that count toward the 80 hours (none of a home call's)."""
        return 0 if self.is_home_call else self.spill

    def minutes_within(self, days_left: int) -> int:
        """Minutes counted toward the 80 hours inside a block when started on a day with
        ``days_left`` block days left (a generated home call has no worked minutes)."""
        if self.is_home_call:
            return 0
        return min(self.end, days_left * DAY) - self.start


def rest_needed(first: ShiftTiming, then: ShiftTiming) -> int:
    """Minutes that must pass from ``first``'s end to ``then``'s start. Home call is no duty
    period: nothing after it but no overlap; before it, only the 14 h after 24 h in house."""
    if first.is_home_call:
        return 0
    if then.is_home_call:
        return REST_AFTER_LONG if first.length >= LONG_DUTY else 0
    return first.rest_after


def conflicts(first: ShiftTiming, then: ShiftTiming, delta: int) -> bool:
    """Whether ``then`` starting ``delta`` days after ``first`` leaves too little rest."""
    gap = delta * DAY + then.start - first.end
    return gap < rest_needed(first, then)


def clash_same_day(one: ShiftTiming, other: ShiftTiming) -> bool:
    """Whether two shifts starting on the same day cannot both be worked by one resident: the
    later one starts too soon after the earlier one (for a home call: they overlap)."""
    first, then = (one, other) if one.start <= other.start else (other, one)
    return conflicts(first, then, 0)


def crosses_midnight_twice(shift: ShiftTiming) -> bool:
    return shift.end > 2 * DAY


def reaches_day_after_next(shift: ShiftTiming, others: list[ShiftTiming]) -> bool:
    """Rest rules reaching two days ahead would couple non-adjacent days; programs avoid that."""
    return any(conflicts(shift, other, 2) for other in others)


def crosses_block_edge(shift: ShiftTiming, others: list[ShiftTiming]) -> bool:
    """Whether working it on a block's last day constrains or counts in the next block."""
    return shift.spill > 0 or any(conflicts(shift, other, 1) for other in others)
