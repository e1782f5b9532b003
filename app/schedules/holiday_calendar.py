"""The holidays a program observes: by default the US federal holidays (``holidays`` package).

The default list is the federal one of 5 U.S.C. 6103 as the ``holidays`` package publishes it
(category ``public``), observed days included: when July 4 falls on a Saturday, Friday July 3 is
a holiday too. A program with its own list passes it instead; a country code names another
country's public holidays (as a program's ``holidays`` may), ``none`` no holidays at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

NO_HOLIDAYS = "none"


class UnknownCalendarError(ValueError):
    """A country code the ``holidays`` package has no calendar for."""


def calendar_code(code: str) -> str:
    """``code`` as the ``holidays`` package knows it (``us`` -> ``US``), or ``none``.
    UnknownCalendarError naming the code when there is no such calendar."""
    cleaned = code.strip()
    if cleaned.lower() == NO_HOLIDAYS:
        return NO_HOLIDAYS
    if cleaned.upper() not in holidays.list_supported_countries():
        raise UnknownCalendarError(
            f"no holiday calendar for country {code!r}: use a country code such as 'US' or "
            f"'CA', or '{NO_HOLIDAYS}'"
        )
    return cleaned.upper()


def country_holidays(code: str, start: date, end: date) -> frozenset[date]:
    """The public holidays (observed days included) of country ``code`` (``US``, ``CA``, any
    case) from ``start`` to ``end`` inclusive; ``none``: no holidays. UnknownCalendarError
    naming the code otherwise."""
    country = calendar_code(code)
    if country == NO_HOLIDAYS or end < start:
        return frozenset()
    calendar = holidays.country_holidays(
        country, years=range(start.year, end.year + 1), categories=("public",)
    )
    return frozenset(day for day in calendar if start <= day <= end)


def federal_holidays(start: date, end: date) -> frozenset[date]:
    """US federal holidays (and their observed days) from ``start`` to ``end`` inclusive."""
    return country_holidays("US", start, end)


def holidays_between(
    start: date, end: date, program_holidays: Iterable[date] | None = None
) -> frozenset[date]:
    """The program's own holidays in [start, end] when it has a list, else the federal ones."""
    if program_holidays is None:
        return federal_holidays(start, end)
    return frozenset(day for day in program_holidays if start <= day <= end)
