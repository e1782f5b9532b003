"""Shift timing: which generated shifts are in-house call for the q3 rule, and which pairs clash."""

from __future__ import annotations

from app.generation.timing import ShiftTiming, clash_same_day, conflicts
from app.schedules.file_format import ShiftKind


def test_a_24_hour_shift_is_in_house_call_whatever_its_kind() -> None:
    assert ShiftTiming("call", ShiftKind.CALL, 7 * 60, 26 * 60).is_in_house_call
    assert ShiftTiming("long", ShiftKind.DAY, 7 * 60, 24 * 60).is_in_house_call
    assert not ShiftTiming("day", ShiftKind.DAY, 7 * 60, 12 * 60).is_in_house_call
    assert not ShiftTiming("short", ShiftKind.DAY, 7 * 60, 24 * 60 - 1).is_in_house_call


DAY_10 = ShiftTiming("surg_day", ShiftKind.DAY, 7 * 60, 10 * 60)  # 07:00-17:00
DAY_12 = ShiftTiming("day", ShiftKind.DAY, 7 * 60, 12 * 60)  # 07:00-19:00
CALL = ShiftTiming("call", ShiftKind.CALL, 7 * 60, 26 * 60)  # 07:00 to 09:00 the next day
HOME = ShiftTiming("home", ShiftKind.HOME_CALL, 17 * 60, 14 * 60)  # 17:00 to 07:00


def test_home_call_is_never_in_house_call_and_counts_no_hours() -> None:
    weekend = ShiftTiming("weekend", ShiftKind.HOME_CALL, 7 * 60, 24 * 60)
    assert not weekend.is_in_house_call and not HOME.is_in_house_call
    assert HOME.minutes_within(1) == 0 and HOME.counted_spill == 0
    assert HOME.spill == 7 * 60  # it still spoils the next morning as a day off


def test_a_day_shift_then_home_call_then_the_next_day_is_allowed() -> None:
    assert not clash_same_day(DAY_10, HOME)  # 07-17, then the pager 17-07
    assert not conflicts(HOME, DAY_10, 1)  # home call is no duty period: no rest after it
    assert not conflicts(DAY_10, HOME, 1)


def test_home_call_may_not_overlap_in_house_duty() -> None:
    assert clash_same_day(DAY_12, HOME) and clash_same_day(HOME, DAY_12)  # 17:00 < 19:00
    assert clash_same_day(HOME, HOME)
    night = ShiftTiming("night", ShiftKind.NIGHT, 19 * 60, 12 * 60)
    assert clash_same_day(night, HOME)
    early = ShiftTiming("early", ShiftKind.DAY, 5 * 60, 8 * 60)
    assert conflicts(HOME, early, 1)  # starts 05:00, the home call runs to 07:00


def test_no_home_call_within_14_hours_after_24_hours_in_house() -> None:
    assert conflicts(CALL, HOME, 1)  # call ends 09:00, home call at 17:00: 8 h of rest
    assert not conflicts(CALL, HOME, 2)
    assert not conflicts(HOME, CALL, 1)  # a home call may end when the call begins
    assert not conflicts(DAY_12, HOME, 1)  # after a 12 h day only no overlap is needed
