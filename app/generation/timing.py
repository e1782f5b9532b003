"""Shift timing arithmetic: which shift pairs on nearby days break a rest rule, and spill-over.

Times are minutes from the midnight of the day a shift starts. The generator never lets two duty
periods merge, so every duty period is one shift and the ACGME rules reduce to pairwise rules
between a shift on day d and one on day d + delta, plus per-block totals.
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
    def is_in_house_call(self) -> bool:
        """In-house call for the q3 rule: a ``call`` shift, or any shift of 24 h or more (the
        generator never merges shifts, so each shift is its own duty period)."""
        return self.kind is ShiftKind.CALL or self.length >= LONG_DUTY

    @property
    def rest_after(self) -> int:
        return REST_AFTER_LONG if self.length >= LONG_DUTY else REST_BETWEEN

    @property
    def spill(self) -> int:
        """Minutes past the midnight that ends its day."""
        return max(0, self.end - DAY)

    def minutes_within(self, days_left: int) -> int:
        """Minutes inside a block when started on a day with ``days_left`` block days left."""
        return min(self.end, days_left * DAY) - self.start


def conflicts(first: ShiftTiming, then: ShiftTiming, delta: int) -> bool:
    """Whether ``then`` starting ``delta`` days after ``first`` leaves too little rest."""
    gap = delta * DAY + then.start - first.end
    return gap < first.rest_after


def crosses_midnight_twice(shift: ShiftTiming) -> bool:
    return shift.end > 2 * DAY


def reaches_day_after_next(shift: ShiftTiming, others: list[ShiftTiming]) -> bool:
    """Rest rules reaching two days ahead would couple non-adjacent days; programs avoid that."""
    return any(conflicts(shift, other, 2) for other in others)


def crosses_block_edge(shift: ShiftTiming, others: list[ShiftTiming]) -> bool:
    """Whether working it on a block's last day constrains or counts in the next block."""
    return shift.spill > 0 or any(conflicts(shift, other, 1) for other in others)
