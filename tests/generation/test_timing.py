"""Shift timing: which generated shifts are in-house call for the q3 rule."""

from __future__ import annotations

from app.generation.timing import ShiftTiming
from app.schedules.file_format import ShiftKind


def test_a_24_hour_shift_is_in_house_call_whatever_its_kind() -> None:
    assert ShiftTiming("call", ShiftKind.CALL, 7 * 60, 26 * 60).is_in_house_call
    assert ShiftTiming("long", ShiftKind.DAY, 7 * 60, 24 * 60).is_in_house_call
    assert not ShiftTiming("day", ShiftKind.DAY, 7 * 60, 12 * 60).is_in_house_call
    assert not ShiftTiming("short", ShiftKind.DAY, 7 * 60, 24 * 60 - 1).is_in_house_call
