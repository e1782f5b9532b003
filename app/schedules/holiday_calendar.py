"""The holidays a program observes: by default the US federal holidays (``holidays`` package).

The default list is the federal one of 5 U.S.C. 6103 as the ``holidays`` package publishes it
(category ``public``), observed days included: when July 4 falls on a Saturday, Friday July 3 is
a holiday too. A program with its own list passes it instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays


def federal_holidays(start: date, end: date) -> frozenset[date]:
    """US federal holidays (and their observed days) from ``start`` to ``end`` inclusive."""
    if end < start:
        return frozenset()
    calendar = holidays.country_holidays(
        "US", years=range(start.year, end.year + 1), categories=("public",)
    )
    return frozenset(day for day in calendar if start <= day <= end)


def holidays_between(
    start: date, end: date, program_holidays: Iterable[date] | None = None
) -> frozenset[date]:
    """The program's own holidays in [start, end] when it has a list, else the federal ones."""
    if program_holidays is None:
        return federal_holidays(start, end)
    return frozenset(day for day in program_holidays if start <= day <= end)
