"""The academic calendar: consecutive 28-day blocks anchored at the year's first day.

Blocks are consecutive 28-day windows from an anchor (the academic year's first day, a schedule
file's ``period.block_start``), clipped to the period. A clipped window of fewer than
:data:`MIN_BLOCK_DAYS` days joins its neighbour inside the period, so a 365-day year ends with a
29-day block 13 and never with a 1-day block 14 (spec: ``period.block_start``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

BLOCK_DAYS = 28  # the one definition: validator, generator and stored years share it
MIN_BLOCK_DAYS = 7
"""A clipped window shorter than this joins its neighbour instead of being a block of its own."""


def block_bounds(
    start: date, end: date, anchor: date | None = None
) -> list[tuple[int, date, date]]:
    """(number, first day, last day) of each block of [start, end], numbered from ``anchor``.

    ``anchor`` (default ``start``, never after it) is the first day of block 1. Only the first
    and the last block can be clipped; one shorter than a week merges into its neighbour, which
    keeps its number. A period shorter than a week is one block.
    """
    if end < start:
        return []
    anchor = start if anchor is None or anchor > start else anchor
    index = (start - anchor).days // BLOCK_DAYS
    blocks: list[tuple[int, date, date]] = []
    first = start
    while first <= end:
        window_end = anchor + timedelta(days=(index + 1) * BLOCK_DAYS - 1)
        last = min(window_end, end)
        blocks.append((index + 1, first, last))
        first, index = last + timedelta(days=1), index + 1
    if len(blocks) > 1 and (blocks[0][2] - blocks[0][1]).days + 1 < MIN_BLOCK_DAYS:
        (_, head, _), (number, _, last) = blocks[0], blocks[1]
        blocks[:2] = [(number, head, last)]
    if len(blocks) > 1 and (blocks[-1][2] - blocks[-1][1]).days + 1 < MIN_BLOCK_DAYS:
        (number, first, _), (_, _, tail) = blocks[-2], blocks[-1]
        blocks[-2:] = [(number, first, tail)]
    return blocks


def end_of_day(day: date) -> datetime:
    """The midnight that ends ``day`` (for the last representable day: the latest datetime)."""
    if day == date.max:
        return datetime.max
    return datetime.combine(day + timedelta(days=1), time.min)


def day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """An inclusive date filter as a half-open datetime interval."""
    lower = datetime.combine(start, time.min) if start else None
    upper = end_of_day(end) if end else None
    return lower, upper
