"""The program laid out over its year: roster, groups, block dates, leave days, shift timings.

Computed once from a :class:`Program` and shared by every phase. Days are indices into the year
(0 = academic year start); block ``b`` covers days ``b * 28`` to ``b * 28 + 27``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from app.generation.program import WEEKDAYS, Program, ResidentSpec
from app.generation.timing import ShiftTiming, crosses_block_edge
from app.schedules.calendar import BLOCK_DAYS, block_bounds


@dataclass(frozen=True)
class ProgramYear:
    program: Program

    @cached_property
    def residents(self) -> list[ResidentSpec]:
        return self.program.roster()

    @cached_property
    def ids(self) -> list[str]:
        return [r.id for r in self.residents]

    @cached_property
    def pgy(self) -> dict[str, int]:
        return {r.id: r.pgy for r in self.residents}

    @cached_property
    def group(self) -> dict[str, str]:
        return {r.id: self.program.group_of(r.pgy) for r in self.residents}

    def members(self, group: str) -> list[str]:
        return [r for r in self.ids if self.group[r] == group]

    def of_class(self, pgy: int) -> list[str]:
        return [r for r in self.ids if self.pgy[r] == pgy]

    @property
    def blocks(self) -> int:
        return self.program.blocks

    @cached_property
    def block_dates(self) -> list[tuple[date, date]]:
        """(first, last day) of each block: the calendar's one block function, which for a
        year of whole 28-day blocks gives day ``b * 28`` to ``b * 28 + 27``."""
        bounds = block_bounds(self.program.academic_year_start, self.program.year_end)
        return [(first, last) for _, first, last in bounds]

    def block_start(self, block: int) -> date:
        return self.block_dates[block][0]

    def block_label(self, block: int) -> str:
        start, end = self.block_dates[block]
        return f"block {block + 1} ({start.isoformat()} to {end.isoformat()})"

    def day_date(self, day: int) -> date:
        return self.program.academic_year_start + timedelta(days=day)

    def weekday(self, day: int) -> int:
        return self.day_date(day).weekday()

    @cached_property
    def holidays(self) -> frozenset[int]:
        """Days of the year that are holidays (program file ``holidays``)."""
        start = self.program.academic_year_start
        return frozenset((d - start).days for d in self.program.holiday_dates())

    def is_weekend(self, day: int) -> bool:
        return self.weekday(day) >= 5

    @cached_property
    def leave(self) -> dict[str, frozenset[int]]:
        start = self.program.academic_year_start
        days: dict[str, set[int]] = {r: set() for r in self.ids}
        for entry in self.program.leave:
            lo, hi = (entry.start - start).days, (entry.end - start).days
            days[entry.resident].update(range(lo, hi + 1))
        return {r: frozenset(d) for r, d in days.items()}

    def on_leave(self, resident: str, day: int) -> bool:
        return day in self.leave[resident]

    def block_length(self, block: int) -> int:
        """Days of ``block``: 28, or more for the last one when it takes the year's tail.
        Every block starts on day ``block * 28``."""
        if block == self.blocks - 1:
            return self.program.days - block * BLOCK_DAYS
        return BLOCK_DAYS

    def leave_days(self, resident: str, block: int) -> int:
        lo = block * BLOCK_DAYS
        return sum(1 for d in self.leave[resident] if lo <= d < lo + self.block_length(block))

    def working_days(self, resident: str, block: int) -> int:
        return self.block_length(block) - self.leave_days(resident, block)

    @cached_property
    def timings(self) -> dict[str, ShiftTiming]:
        return {s.name: s.timing for s in self.program.shifts}

    @cached_property
    def home_call_rotations(self) -> frozenset[str]:
        """Rotations whose residents may take home call (a home call shift among theirs)."""
        return frozenset(
            r.name
            for r in self.program.rotations
            if any(self.timings[s].is_home_call for s in r.shifts)
        )

    def home_call_gap(self) -> int:
        """Days from one home call's start to the same resident's next one's, at least."""
        return self.program.rules.free_nights_between_home_calls + 1

    @cached_property
    def edge_shifts(self) -> frozenset[str]:
        """Shifts that, worked on a block's last day, reach into the next block."""
        others = list(self.timings.values())
        return frozenset(n for n, t in self.timings.items() if crosses_block_edge(t, others))

    @cached_property
    def avoided_days(self) -> dict[str, dict[int, int]]:
        """Per resident: day -> penalty weight for working it (preferences)."""
        result: dict[str, dict[int, int]] = {r: {} for r in self.ids}
        start = self.program.academic_year_start
        for pref in self.program.preferences:
            wanted = {WEEKDAYS.index(w) for w in pref.days_off}
            own = result[pref.resident]
            for day in range(self.program.days):
                if self.weekday(day) in wanted:
                    own[day] = own.get(day, 0) + pref.weight
            for avoid in pref.avoid_dates:
                day = (avoid - start).days
                if 0 <= day < self.program.days:
                    own[day] = own.get(day, 0) + pref.weight
        return result
