from __future__ import annotations

from datetime import datetime, timedelta

from app.compliance.duty_periods import duty_gaps, merge_duty_periods
from app.schedules.file_format import ShiftEntry, ShiftKind
from tests.support.schedules import at


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


def test_home_call_merges_only_with_home_call() -> None:
    home = ShiftKind.HOME_CALL
    periods = merge_duty_periods(
        [
            entry(at(0, 7), at(0, 17)),
            entry(at(0, 17), at(1, 7), home),  # touches the day shift: no merge
            entry(at(1, 7, 30), at(1, 12), home),  # 30 min after the first home call: merges
        ]
    )
    assert [(p.start, p.end, p.home_call) for p in periods] == [
        (at(0, 7), at(0, 17), False),
        (at(0, 17), at(1, 12), True),
    ]


def test_gaps_between_consecutive_periods() -> None:
    periods = merge_duty_periods(
        [entry(at(0, 7), at(1, 9), ShiftKind.CALL), entry(at(1, 23), at(2, 7), ShiftKind.NIGHT)]
    )
    (gap,) = duty_gaps(periods)
    assert gap.before is periods[0] and gap.after is periods[1]
    assert gap.duration == timedelta(hours=14)
    assert gap.hours == 14


def test_touching_home_call_leaves_a_zero_gap() -> None:
    periods = merge_duty_periods(
        [entry(at(0, 7), at(0, 17)), entry(at(0, 17), at(1, 7), ShiftKind.HOME_CALL)]
    )
    assert [g.hours for g in duty_gaps(periods)] == [0]


def test_home_call_inside_an_in_house_period_makes_no_gap() -> None:
    # Two in-house shifts 45 min apart merge around a short home call wedged between them.
    periods = merge_duty_periods(
        [
            entry(at(0, 7), at(0, 12)),
            entry(at(0, 12), at(0, 12, 30), ShiftKind.HOME_CALL),
            entry(at(0, 12, 45), at(0, 19)),
            entry(at(1, 7), at(1, 19)),
        ]
    )
    gaps = duty_gaps(periods)
    assert [(g.start, g.end) for g in gaps] == [(at(0, 19), at(1, 7))]
    assert gaps[0].before.end == at(0, 19)


def test_no_shifts_no_periods_no_gaps() -> None:
    assert merge_duty_periods([]) == []
    assert duty_gaps([]) == []
