"""Blocks (28-day averaging windows), leave days and the per-resident day ledger.

Blocks are consecutive 28-day windows from ``period.block_start`` (default ``period.start``),
clipped to the period; a clipped window shorter than a week joins its neighbour (the one block
function, :func:`app.schedules.calendar.block_bounds`). Each block is averaged over its own length.
The ledger turns one resident's shifts into per-day totals and free
intervals once, so that any window (a block, or a rolling 28 days in strict mode) is summed in
O(log n) with prefix sums instead of re-walking the shifts. Its time axis is a
:class:`~app.schedules.clock.Clock`: with a time zone a day lasts 23 or 25 real hours.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from app.compliance.duty_periods import ResidentDuty
from app.schedules.calendar import BLOCK_DAYS, block_bounds
from app.schedules.clock import DAY_SECONDS, Clock
from app.schedules.file_format import ScheduleFile


@dataclass(frozen=True, slots=True)
class Block:
    number: int  # 1-based
    start: date
    end: date  # inclusive
    first_day: int  # index of ``start`` in the schedule period

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """What the averaged rules need to know about one resident in one window."""

    resident: str
    label: str  # "block 3" or "28 days from 2026-07-05", for messages
    block: int | None  # block number; None for a rolling window
    start: date
    end: date  # inclusive
    days: int
    leave_days: int
    counted_seconds: int
    calls: int
    days_off: int

    @property
    def working_days(self) -> int:
        return self.days - self.leave_days


def period_days(schedule: ScheduleFile) -> int:
    return (schedule.period.end - schedule.period.start).days + 1


def make_blocks(start: date, end: date, anchor: date | None = None) -> list[Block]:
    """The blocks of [start, end] anchored at ``anchor`` (default ``start``): see block_bounds."""
    return [
        Block(number=n, start=first, end=last, first_day=(first - start).days)
        for n, first, last in block_bounds(start, end, anchor)
    ]


def schedule_blocks(schedule: ScheduleFile) -> list[Block]:
    period = schedule.period
    return make_blocks(period.start, period.end, period.block_start)


def rolling_windows(start: date, end: date) -> list[Block]:
    """Every full 28-day window inside the period (strict mode); none if it is shorter."""
    total = (end - start).days + 1
    return [
        Block(
            number=0,
            start=start + timedelta(days=i),
            end=start + timedelta(days=i + 27),
            first_day=i,
        )
        for i in range(total - BLOCK_DAYS + 1)
    ]


def block_number(blocks: list[Block], moment: datetime) -> int:
    """The block a moment falls in; moments outside the period count against the nearest block."""
    index = bisect_right([b.start for b in blocks], moment.date()) - 1
    return blocks[max(index, 0)].number


class BlockFinder:
    """:func:`block_number` for many moments: the block starts bisected once per call."""

    __slots__ = ("_numbers", "_starts")

    def __init__(self, blocks: list[Block]) -> None:
        self._starts = [b.start for b in blocks]
        self._numbers = [b.number for b in blocks]

    def __call__(self, moment: datetime) -> int:
        index = bisect_right(self._starts, moment.date()) - 1
        return self._numbers[max(index, 0)]


def leave_days_by_resident(schedule: ScheduleFile) -> dict[str, set[int]]:
    """Leave as day indices into the period (overlapping entries collapse; outside days dropped)."""
    first = schedule.period.start
    total = period_days(schedule)
    days: dict[str, set[int]] = defaultdict(set)
    for leave in schedule.leave:
        lo = max((leave.start - first).days, 0)
        hi = min((leave.end - first).days, total - 1)
        days[leave.resident].update(range(lo, hi + 1))
    return days


class ResidentLedger:
    """One resident's per-day hours, calls and leave, plus the free intervals of the period.

    ``leave`` holds the leave days that count as leave (days with in-house duty already taken
    out); ``call_starts`` the real instants at which in-house calls start (rule q3).
    """

    def __init__(
        self,
        clock: Clock,
        n_days: int,
        duty: ResidentDuty,
        leave: set[int],
        call_starts: Iterable[int] = (),
    ) -> None:
        self.n_days = n_days
        mids = clock.midnights(n_days)
        self._midnights = mids
        horizon = mids[n_days]
        plain = clock.zone is None

        def day_of(instant: int) -> int:
            return instant // DAY_SECONDS if plain else clock.day_of(instant, mids)

        seconds = [0] * n_days
        calls = [0] * n_days
        busy: list[tuple[int, int]] = []  # every shift, home call included, for the days off
        for home in duty.home_calls:
            busy.append((home.a, home.b))
            # Worked minutes count on the day the home call starts (they carry no timestamps).
            if 0 <= home.a < horizon:
                seconds[day_of(home.a)] += home.shift.worked_minutes * 60
        for span in duty.in_house:
            a, b = span.a, span.b
            busy.append((a, b))
            if a < 0:
                a = 0
            if b > horizon:
                b = horizon
            while a < b:  # split at midnights so any whole-day window clips exactly
                day = a // DAY_SECONDS if plain else clock.day_of(a, mids)
                cut = mids[day + 1]
                if cut > b:
                    cut = b
                seconds[day] += cut - a
                a = cut
        for instant in call_starts:
            if 0 <= instant < horizon:
                calls[day_of(instant)] += 1
        on_leave = [0] * n_days
        for day in leave:
            seconds[day] = 0  # hours on leave days leave the numerator with the days themselves
            on_leave[day] = 1
        self._seconds = list(accumulate(seconds, initial=0))
        self._calls = list(accumulate(calls, initial=0))
        self._leave = list(accumulate(on_leave, initial=0))
        self._free_starts, self._free_ends = _free_intervals(mids, busy, leave)
        whole = [
            (e - s) // DAY_SECONDS for s, e in zip(self._free_starts, self._free_ends, strict=True)
        ]
        self._whole_days = list(accumulate(whole, initial=0))

    def totals(self, resident: str, window: Block, label: str, block: int | None) -> WindowTotals:
        lo, hi = window.first_day, window.first_day + window.days
        return WindowTotals(
            resident=resident,
            label=label,
            block=block,
            start=window.start,
            end=window.end,
            days=window.days,
            leave_days=self._leave[hi] - self._leave[lo],
            counted_seconds=self._seconds[hi] - self._seconds[lo],
            calls=self._calls[hi] - self._calls[lo],
            days_off=self._days_off(self._midnights[lo], self._midnights[hi]),
        )

    def _days_off(self, lo: int, hi: int) -> int:
        """Σ ⌊free hours / 24⌋ over the free intervals cut at the window edges."""
        first = bisect_right(self._free_ends, lo)  # first interval ending after lo
        last = bisect_left(self._free_starts, hi) - 1  # last interval starting before hi
        if first > last:
            return 0

        def clipped(i: int) -> int:
            return (min(self._free_ends[i], hi) - max(self._free_starts[i], lo)) // DAY_SECONDS

        if first == last:
            return clipped(first)
        inner = self._whole_days[last] - self._whole_days[first + 1]
        return clipped(first) + inner + clipped(last)


def _free_intervals(
    midnights: list[int], busy: list[tuple[int, int]], leave: set[int]
) -> tuple[list[int], list[int]]:
    """Complement of the shifts (home calls included) and leave days within the period.

    Shifts stand in for duty periods here: the sub-hour gaps a period absorbs hold no whole day,
    so the whole free days come out the same.
    """
    horizon = midnights[-1]
    busy.extend((midnights[d], midnights[d + 1]) for d in leave)
    busy.sort()
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for a, b in busy:
        if a > cursor:
            starts.append(cursor)
            ends.append(min(a, horizon))
        cursor = max(cursor, b)
        if cursor >= horizon:
            break
    if cursor < horizon:
        starts.append(cursor)
        ends.append(horizon)
    return starts, ends
