from __future__ import annotations

from datetime import date, datetime, timedelta

from app.compliance.duty_periods import duty_gaps, merge_duty_periods, resident_duty
from app.schedules.clock import Clock, load_zone
from app.schedules.file_format import ShiftEntry, ShiftKind
from tests.support.schedules import START, at


def entry(start: datetime, end: datetime, kind: ShiftKind = ShiftKind.DAY) -> ShiftEntry:
    return ShiftEntry(resident="r01", start=start, end=end, kind=kind)


def test_shifts_less_than_60_minutes_apart_merge() -> None:
    periods = merge_duty_periods(
        [entry(at(0, 13), at(0, 19)), entry(at(0, 7), at(0, 12, 1))]  # unsorted on purpose
    )
    assert [(p.start, p.end) for p in periods] == [(at(0, 7), at(0, 19))]
    assert len(periods[0].shifts) == 2
    assert periods[0].hours == 12


def test_shifts_exactly_60_minutes_apart_stay_separate() -> None:
    periods = merge_duty_periods([entry(at(0, 7), at(0, 12)), entry(at(0, 13), at(0, 19))])
    assert [(p.start, p.end) for p in periods] == [(at(0, 7), at(0, 12)), (at(0, 13), at(0, 19))]


def test_overlapping_shifts_merge_and_keep_the_later_end() -> None:
    periods = merge_duty_periods([entry(at(0, 7), at(1, 9)), entry(at(0, 8), at(0, 10))])
    assert [(p.start, p.end) for p in periods] == [(at(0, 7), at(1, 9))]


def test_home_call_forms_no_duty_period() -> None:
    home = ShiftKind.HOME_CALL
    periods = merge_duty_periods(
        [
            entry(at(0, 7), at(0, 17)),
            entry(at(0, 17), at(1, 7), home),  # touches the day shift: joins nothing
            entry(at(1, 7, 30), at(1, 12), home),
        ]
    )
    assert [(p.start, p.end) for p in periods] == [(at(0, 7), at(0, 17))]


def test_call_ins_join_duty_periods_and_are_marked() -> None:
    home = ShiftKind.HOME_CALL
    duty = resident_duty(
        [
            entry(at(0, 7), at(0, 17)),
            entry(at(0, 17), at(2, 7), home),
            entry(at(0, 17, 30), at(0, 22)),  # call-in 30 min after the day: one period
            entry(at(1, 2), at(1, 5)),  # call-in on its own
            entry(at(1, 12), at(1, 13), ShiftKind.CALL),  # a call-in named call
        ],
        Clock(START),
    )
    assert [span.call_in for span in duty.in_house] == [False, True, True, True]
    assert [(p.start, p.end) for p in duty.periods] == [
        (at(0, 7), at(0, 22)),
        (at(1, 2), at(1, 5)),
        (at(1, 12), at(1, 13)),
    ]
    first, second, third = duty.periods
    assert (first.starts_with_call_in, first.ends_with_call_in) == (False, True)
    assert (second.starts_with_call_in, second.ends_with_call_in) == (True, True)
    assert third.calls == ()  # a call-in is no in-house call
    assert all(g.after_call_in for g in duty.gaps)
    assert [(h.shift.start, h.shift.end) for h in duty.home_calls] == [(at(0, 17), at(2, 7))]


def test_gaps_between_consecutive_periods() -> None:
    periods = merge_duty_periods(
        [entry(at(0, 7), at(1, 9), ShiftKind.CALL), entry(at(1, 23), at(2, 7), ShiftKind.NIGHT)]
    )
    (gap,) = duty_gaps(periods)
    assert gap.before is periods[0] and gap.after is periods[1]
    assert gap.duration == timedelta(hours=14)
    assert gap.hours == 14


def test_durations_are_real_elapsed_time_in_a_time_zone() -> None:
    # 2026-11-01: New York falls back at 02:00, so 00:00-08:00 lasts 9 h.
    zone = load_zone("America/New_York")
    night = [entry(datetime(2026, 11, 1, 0), datetime(2026, 11, 1, 8), ShiftKind.NIGHT)]
    (period,) = merge_duty_periods(night, Clock(date(2026, 10, 1), zone))
    assert period.hours == 9
    (plain,) = merge_duty_periods(night)
    assert plain.hours == 8


def test_no_shifts_no_periods_no_gaps() -> None:
    assert merge_duty_periods([]) == []
    assert duty_gaps([]) == []
