"""The academic calendar: consecutive 28-day blocks from the year's first day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

BLOCK_DAYS = 28  # the one definition: validator, generator and stored years share it


def block_bounds(start: date, end: date) -> list[tuple[int, date, date]]:
    """(number, first day, last day) of each block; the last one may be shorter."""
    blocks = []
    first, number = start, 1
    while first <= end:
        last = min(first + timedelta(days=BLOCK_DAYS - 1), end)
        blocks.append((number, first, last))
        first, number = last + timedelta(days=1), number + 1
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
