"""Fairness measures on small hand-made schedules with known answers (docs/fairness.md).

Day 0 is Wednesday 2026-07-01; Friday 2026-07-03 is the observed Independence Day and Saturday
2026-07-04 the day itself (both US federal holidays).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.schedules.fairness import (
    Measure,
    ResidentFairness,
    fairness_report,
    longest_run,
    longest_streak,
)
from app.schedules.file_format import ScheduleFile, parse_schedule
from tests.support.schedules import at, hours_shift, leave, schedule, shift


def call(day: int, resident: str = "r01") -> dict[str, Any]:
    """A 26-hour in-house call from 07:00 on ``day`` to 09:00 the next day."""
    return shift(at(day, 7), at(day + 1, 9), "call", resident)


def row(sched: ScheduleFile, resident: str = "r01", **kwargs: Any) -> ResidentFairness:
    report = fairness_report(sched, **kwargs)
    return next(r for r in report.residents if r.resident == resident)


def test_calls_weekend_and_holiday_calls_by_start_day() -> None:
    duty = [
        call(0),  # Wednesday
        call(2),  # Friday 3 July: a holiday (observed), not a weekend call
        call(4),  # Sunday: weekend
        call(10),  # Saturday 11 July: weekend
        shift(at(17, 17), at(18, 8), "home_call", worked_minutes=90),  # Saturday, from home
    ]
    result = row(schedule(duty))
    assert result.calls == 4
    assert result.weekend_calls == 2
    assert result.holiday_calls == 1
    assert result.home_calls == 1
    assert result.nights == 0
    assert result.hours == 4 * 26 + 1.5
    assert result.longest_work_run == 1  # every call is followed by a post-call day
    assert result.longest_call_streak == 3  # days 0, 2, 4: every other night


def test_a_program_holiday_list_replaces_the_federal_one() -> None:
    sched = schedule([call(2), call(10)])
    default = fairness_report(sched)
    assert default.holidays == [date(2026, 7, 3), date(2026, 7, 4)]
    assert default.residents[0].holiday_calls == 1
    own = fairness_report(sched, holidays=[date(2026, 7, 11), date(2026, 12, 25)])
    assert own.holidays == [date(2026, 7, 11)]  # only the window's
    assert own.residents[0].holiday_calls == 1
    assert fairness_report(sched, holidays=[]).residents[0].holiday_calls == 0


def test_saturday_call_on_a_holiday_is_both() -> None:
    result = row(schedule([call(3)]))  # Saturday 4 July
    assert (result.weekend_calls, result.holiday_calls) == (1, 1)


def test_a_call_in_counts_hours_not_a_call() -> None:
    duty = [
        shift(at(5, 17), at(6, 8), "home_call", worked_minutes=60),
        shift(at(5, 22), at(6, 2), "call"),  # called in: inside the home call
    ]
    result = row(schedule(duty))
    assert (result.calls, result.home_calls) == (0, 1)
    assert result.hours == 4 + 1
    assert result.longest_work_run == 1  # the call-in is in-house duty on day 5


def test_nights_and_runs_of_working_days_end_at_leave() -> None:
    days = [hours_shift(d, 7, 12) for d in (0, 1, 2, 3, 4, 5, 7, 8, 9)]
    nights = [hours_shift(d, 19, 12, "night") for d in (12, 13, 14)]
    # r02 works on a leave day: that day is a working day all the same
    r02 = [hours_shift(d, 7, 10, resident="r02") for d in range(10)]
    sched = schedule(
        [*days, *nights, *r02],
        residents=[("r01", 1), ("r02", 1)],
        leaves=[leave(6, 6), leave(6, 6, "r02")],
    )
    r01 = row(sched)
    assert r01.longest_work_run == 6  # days 0-5; the leave day 6 ends the run
    assert r01.nights == 3
    assert r01.hours == 12 * 12
    assert r01.leave_days == 1
    assert row(sched, "r02").longest_work_run == 10


def test_call_streak_gap_is_configurable() -> None:
    q3 = [call(d) for d in (0, 3, 6, 9)]
    assert row(schedule(q3)).longest_call_streak == 1
    assert row(schedule(q3), streak_days=3).longest_call_streak == 4
    assert longest_streak([], 2) == 0
    assert longest_run([]) == 0
    assert longest_run([date(2026, 7, 2), date(2026, 7, 1), date(2026, 7, 2)]) == 2


def test_hours_are_real_elapsed_time_with_a_time_zone() -> None:
    # Sunday 1 November 2026 (day 123): the clocks fall back in New York, 00:00-08:00 is 9 h
    data = schedule([hours_shift(123, 0, 8, "night")], days=130).to_json_dict()
    plain = parse_schedule(data)
    zoned = parse_schedule({**data, "timezone": "America/New_York"})
    assert row(plain).hours == 8
    assert row(zoned).hours == 9


def test_spreads_per_class_name_the_residents_at_both_ends() -> None:
    duty = [
        call(0, "r01"),
        call(3, "r01"),  # Saturday
        call(1, "r03"),
        call(4, "r03"),  # Sunday
        call(2, "r04"),
    ]
    residents = [("r01", 1), ("r02", 1), ("r03", 1), ("r04", 2)]
    report = fairness_report(schedule(duty, residents=residents))
    assert [(r.pgy, r.resident) for r in report.residents] == [
        (1, "r01"),
        (1, "r02"),
        (1, "r03"),
        (2, "r04"),
    ]
    pgy1, pgy2 = report.classes
    assert (pgy1.pgy, pgy1.residents, pgy2.pgy, pgy2.residents) == (1, 3, 2, 1)
    calls = pgy1.spreads[Measure.CALLS]
    assert (calls.min, calls.max, calls.spread) == (0, 2, 2)
    assert (calls.lowest, calls.highest) == (["r02"], ["r01", "r03"])
    weekend = pgy1.spreads[Measure.WEEKEND_CALLS]
    assert (weekend.spread, weekend.lowest, weekend.highest) == (1, ["r02"], ["r01", "r03"])
    hours = pgy1.spreads[Measure.HOURS]
    assert (hours.min, hours.max, hours.spread) == (0, 52, 52)
    alone = pgy2.spreads[Measure.CALLS]
    assert (alone.spread, alone.lowest, alone.highest) == (0, ["r04"], ["r04"])
    assert set(pgy1.spreads) == set(Measure)


def test_window_counts_shifts_starting_in_it() -> None:
    sched = schedule([call(0), call(6), call(9)])
    report = fairness_report(sched, start=date(2026, 7, 7), end=date(2026, 7, 31))
    assert (report.start, report.end) == (date(2026, 7, 7), date(2026, 7, 28))  # clipped
    assert report.residents[0].calls == 2
    # a call starting the day before the window is not counted, even though it ends inside it
    inside = fairness_report(sched, start=date(2026, 7, 8), end=date(2026, 7, 9))
    assert inside.residents[0].calls == 0
    assert inside.residents[0].hours == 0


def test_bad_windows_are_refused() -> None:
    sched = schedule([])
    with pytest.raises(ValueError, match=r"^end: must not be before start"):
        fairness_report(sched, start=date(2026, 7, 10), end=date(2026, 7, 9))
    with pytest.raises(ValueError, match=r"^start/end: outside"):
        fairness_report(sched, start=date(2027, 1, 1))
    long = schedule([], days=1098)
    assert len(fairness_report(long).residents) == 1
    wide = long.model_copy(
        update={"period": long.period.model_copy(update={"end": date(2030, 1, 1)})}
    )
    with pytest.raises(ValueError, match="at most 1098 days"):
        fairness_report(wide)


def test_json_form() -> None:
    report = fairness_report(schedule([call(0)], residents=[("r01", 1)]))
    data = report.model_dump(mode="json")
    assert data["residents"][0]["calls"] == 1
    assert data["classes"][0]["spreads"]["calls"] == {
        "min": 1,
        "max": 1,
        "spread": 0,
        "lowest": ["r01"],
        "highest": ["r01"],
    }
    assert data["holidays"] == ["2026-07-03", "2026-07-04"]
