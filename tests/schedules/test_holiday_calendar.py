"""The default holiday calendar (US federal) and a program's own list."""

from __future__ import annotations

from datetime import date

import pytest

from app.schedules.holiday_calendar import (
    UnknownCalendarError,
    country_holidays,
    federal_holidays,
    holidays_between,
)


def test_federal_holidays_include_observed_days() -> None:
    july = federal_holidays(date(2026, 7, 1), date(2026, 7, 31))
    assert july == {date(2026, 7, 3), date(2026, 7, 4)}
    assert date(2026, 12, 25) in federal_holidays(date(2026, 7, 1), date(2027, 6, 30))
    assert date(2027, 1, 1) in federal_holidays(date(2026, 7, 1), date(2027, 6, 30))
    own = [date(2026, 7, 11), date(2026, 9, 1)]
    assert holidays_between(date(2026, 7, 1), date(2026, 7, 28), own) == {date(2026, 7, 11)}
    assert holidays_between(date(2026, 7, 1), date(2026, 7, 31)) == july
    assert federal_holidays(date(2026, 7, 2), date(2026, 7, 1)) == frozenset()


def test_a_country_code_names_its_public_holidays() -> None:
    year = (date(2026, 7, 1), date(2027, 6, 30))
    assert country_holidays("us", *year) == federal_holidays(*year)
    canada = country_holidays("CA", *year)
    assert date(2026, 7, 1) in canada and date(2026, 7, 4) not in canada  # Canada Day
    assert country_holidays("none", *year) == frozenset()
    with pytest.raises(UnknownCalendarError, match="no holiday calendar for country 'XX'"):
        country_holidays("XX", *year)
