"""The real time axis of local wall-clock times (spec: ``timezone``)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.schedules.clock import DAY_SECONDS, Clock, exists, load_zone

NEW_YORK = load_zone("America/New_York")


def test_without_a_zone_seconds_are_wall_clock_differences() -> None:
    clock = Clock(date(2026, 11, 1))
    assert clock.seconds(datetime(2026, 11, 1, 8)) == 8 * 3600
    assert clock.midnights(2) == [0, DAY_SECONDS, 2 * DAY_SECONDS]
    assert clock.day_of(DAY_SECONDS + 1, clock.midnights(2)) == 1


def test_with_a_zone_the_day_clocks_fall_back_lasts_25_hours() -> None:
    clock = Clock(date(2026, 11, 1), NEW_YORK)
    assert clock.seconds(datetime(2026, 11, 1, 8)) == 9 * 3600
    mids = clock.midnights(2)
    assert mids == [0, 25 * 3600, 49 * 3600]
    assert clock.day_of(24 * 3600 + 1800, mids) == 0  # 23:30 local, still the first day
    assert clock.day_of(25 * 3600, mids) == 1
    assert clock.seconds_of([datetime(2026, 11, 2)]) == [25 * 3600]


def test_the_repeated_hour_is_its_first_occurrence_and_the_spring_gap_does_not_exist() -> None:
    clock = Clock(date(2026, 11, 1), NEW_YORK)
    assert clock.seconds(datetime(2026, 11, 1, 1, 30)) == 90 * 60  # EDT, the first 01:30
    assert not exists(datetime(2027, 3, 14, 2, 30), NEW_YORK)
    assert exists(datetime(2027, 3, 14, 3, 0), NEW_YORK)
    assert exists(datetime(2026, 11, 1, 1, 30), NEW_YORK)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        load_zone(name)
