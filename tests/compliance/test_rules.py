"""Each rule on its own: metadata, and the exact boundaries on hand-made inputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from app.compliance import rules
from app.compliance.blocks import WindowTotals
from app.compliance.duty_periods import ResidentDuty, duty_gaps, merge_duty_periods, resident_duty
from app.compliance.events import Severity
from app.schedules.clock import Clock
from app.schedules.file_format import ResidentEntry, ShiftEntry, ShiftKind
from tests.support.schedules import START, at

HOUR = 3600


def window(**changes: Any) -> WindowTotals:
    base: dict[str, Any] = {
        "resident": "r01",
        "label": "block 1",
        "block": 1,
        "start": date(2026, 7, 1),
        "end": date(2026, 7, 28),
        "days": 28,
        "leave_days": 0,
        "counted_seconds": 0,
        "calls": 0,
        "days_off": 4,
    }
    return WindowTotals(**(base | changes))


def periods(*spans: tuple[datetime, datetime, str]) -> list[Any]:
    shifts = [ShiftEntry(resident="r01", start=a, end=b, kind=ShiftKind(k)) for a, b, k in spans]
    return merge_duty_periods(shifts)


def duty(*spans: tuple[datetime, datetime, str]) -> ResidentDuty:
    shifts = [ShiftEntry(resident="r01", start=a, end=b, kind=ShiftKind(k)) for a, b, k in spans]
    return resident_duty(shifts, Clock(START))


def one_block(_: datetime) -> int:
    return 1


def test_rule_ids_sections_and_severities() -> None:
    table = {(r.id, r.section, r.severity) for r in rules.RULES}
    assert table == {
        ("hours_80_weekly", "6.20 (VI.F.1)", Severity.VIOLATION),
        ("rest_after_24h_call", "6.21.a (VI.F.2.b)", Severity.VIOLATION),
        ("one_day_off_in_7", "6.21.b (VI.F.2.c)", Severity.VIOLATION),
        ("max_continuous_24_4", "6.22 (VI.F.3.a)", Severity.VIOLATION),
        ("in_house_call_q3", "6.27 (VI.F.7)", Severity.VIOLATION),
        ("pgy1_moonlighting", "6.25.b (VI.F.5.c)", Severity.VIOLATION),
        ("rest_between_shifts_8h", "6.21 (VI.F.2.a)", Severity.WARNING),
        ("duty_on_leave", "none (program record)", Severity.WARNING),
    }
    rolling = rules.HOURS_80_WEEKLY.rolling()
    assert (rolling.id, rolling.section, rolling.severity) == (
        "hours_80_weekly_rolling",
        "6.20 (VI.F.1)",
        Severity.WARNING,
    )


# --- hours_80_weekly ----------------------------------------------------------------------------


def test_exactly_80_hours_a_week_passes() -> None:
    assert rules.hours_80_weekly(window(counted_seconds=320 * HOUR)) is None


def test_one_second_over_80_hours_a_week_fails() -> None:
    hit = rules.hours_80_weekly(window(counted_seconds=320 * HOUR + 1))
    assert hit is not None
    assert (hit.rule, hit.value, hit.limit, hit.block) == ("hours_80_weekly", 80.0, 80, 1)


def test_average_is_reported_to_one_decimal() -> None:
    hit = rules.hours_80_weekly(window(counted_seconds=346 * HOUR))
    assert hit is not None
    assert hit.value == 86.5
    assert hit.message == "averaged 86.5 h/week over block 1"


def test_leave_leaves_the_denominator() -> None:
    # 21 working days = 3 weeks: 240 h is exactly 80 h/week.
    assert rules.hours_80_weekly(window(leave_days=7, counted_seconds=240 * HOUR)) is None
    assert rules.hours_80_weekly(window(leave_days=7, counted_seconds=241 * HOUR)) is not None


def test_fewer_than_seven_working_days_are_not_averaged() -> None:
    assert rules.hours_80_weekly(window(leave_days=22, counted_seconds=140 * HOUR)) is None
    assert rules.hours_80_weekly(window(leave_days=21, counted_seconds=81 * HOUR)) is not None


def test_short_block_is_averaged_over_its_own_length() -> None:
    assert rules.hours_80_weekly(window(days=14, counted_seconds=160 * HOUR)) is None
    hit = rules.hours_80_weekly(window(days=14, counted_seconds=170 * HOUR))
    assert hit is not None and hit.value == 85.0


# --- one_day_off_in_7 / in_house_call_q3 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "leave_days", "required"), [(28, 0, 4), (28, 7, 3), (28, 22, 0), (13, 0, 1)]
)
def test_days_off_required_floor_of_working_days_over_7(
    days: int, leave_days: int, required: int
) -> None:
    ok = window(days=days, leave_days=leave_days, days_off=required)
    assert rules.one_day_off_in_7(ok) is None
    if required:
        hit = rules.one_day_off_in_7(
            window(days=days, leave_days=leave_days, days_off=required - 1)
        )
        assert hit is not None and (hit.value, hit.limit) == (required - 1, required)


@pytest.mark.parametrize(("days", "leave_days", "limit"), [(28, 0, 9), (28, 7, 7), (8, 0, 2)])
def test_call_limit_floor_of_working_days_over_3(days: int, leave_days: int, limit: int) -> None:
    assert rules.in_house_call_q3(window(days=days, leave_days=leave_days, calls=limit)) is None
    hit = rules.in_house_call_q3(window(days=days, leave_days=leave_days, calls=limit + 1))
    assert hit is not None and (hit.value, hit.limit) == (limit + 1, limit)


def test_rolling_variant_reports_a_warning_with_the_window() -> None:
    rule = rules.IN_HOUSE_CALL_Q3.rolling()
    hit = rules.in_house_call_q3(window(calls=10, block=None, label="x"), rule)
    assert hit is not None
    assert (hit.rule, hit.severity, hit.block) == ("in_house_call_q3_rolling", "warning", None)


# --- per-event rules ----------------------------------------------------------------------------


def test_28_hours_continuous_passes_28h01_fails() -> None:
    assert rules.max_continuous_24_4("r01", periods((at(0, 7), at(1, 11), "call")), one_block) == []
    (hit,) = rules.max_continuous_24_4("r01", periods((at(0, 7), at(1, 11, 1), "call")), one_block)
    assert (hit.value, hit.limit, hit.start, hit.end) == (28.0, 28, at(0).date(), at(1).date())
    assert "28 h 01 min" in hit.message


def test_merged_shifts_make_one_continuous_period() -> None:
    spans = periods((at(0, 7), at(1, 9), "call"), (at(1, 9, 30), at(1, 13), "day"))
    (hit,) = rules.max_continuous_24_4("r01", spans, one_block)
    assert hit.value == 30.0


def test_home_call_does_not_extend_in_house_duty() -> None:
    spans = periods((at(0, 7), at(1, 9), "call"), (at(1, 9), at(1, 20), "home_call"))
    assert rules.max_continuous_24_4("r01", spans, one_block) == []


def test_14_hours_off_after_a_24_hour_period_passes() -> None:
    spans = duty((at(0, 7), at(1, 7), "call"), (at(1, 21), at(2, 9), "night"))
    assert rules.rest_after_24h_call("r01", spans, one_block) == []


def test_less_than_14_hours_after_24_hours_fails_once() -> None:
    spans = duty(
        (at(0, 7), at(1, 9), "call"),
        (at(1, 22, 30), at(2, 1), "moonlighting"),
        (at(2, 7), at(2, 19), "day"),
    )
    (hit,) = rules.rest_after_24h_call("r01", spans, one_block)
    assert (hit.rule, hit.value, hit.limit) == ("rest_after_24h_call", 13.5, 14)
    assert (hit.start, hit.end) == (at(0).date(), at(1).date())


def test_period_under_24_hours_needs_no_14_hours() -> None:
    spans = duty((at(0, 7), at(1, 6, 59), "call"), (at(1, 16), at(1, 20), "day"))
    assert rules.rest_after_24h_call("r01", spans, one_block) == []


def test_a_home_call_within_14_hours_of_24_hours_in_house_breaks_the_rest() -> None:
    early = duty((at(0, 7), at(1, 7), "call"), (at(1, 17), at(2, 7), "home_call"))
    (hit,) = rules.rest_after_24h_call("r01", early, one_block)
    assert (hit.value, hit.limit) == (10.0, 14)
    assert hit.message == "10 h off after 24 h of continuous duty before a home call, 14 h required"
    late = duty((at(0, 7), at(1, 7), "call"), (at(1, 21), at(2, 7), "home_call"))
    assert rules.rest_after_24h_call("r01", late, one_block) == []


def test_a_home_call_in_progress_after_24_hours_in_house_counts_as_no_rest() -> None:
    # A day shift, then call-ins keep the resident in house for 25 h inside the home call.
    spans = duty(
        (at(0, 7), at(0, 17), "day"),
        (at(0, 17), at(1, 20), "home_call"),
        (at(0, 17, 30), at(1, 8), "day"),
    )
    (hit,) = rules.rest_after_24h_call("r01", spans, one_block)
    assert hit.value == 0.0


def test_q3_counts_24_hour_duty_of_any_kind_and_no_call_in() -> None:
    spans = duty(
        (at(0, 7), at(1, 7), "day"),  # 24 h "day": in-house call by any name
        (at(3, 7), at(4, 9), "call"),
        (at(6, 17), at(7, 7), "home_call"),
        (at(6, 18), at(6, 22), "call"),  # a call-in named call: not an in-house call
        (at(9, 7), at(9, 19), "day"),
    )
    assert rules.in_house_call_starts(spans.periods) == [7 * HOUR, (3 * 24 + 7) * HOUR]


def test_less_than_8_hours_between_periods_is_a_warning() -> None:
    spans = periods(
        (at(0, 7), at(0, 19), "day"),
        (at(1, 3), at(1, 15), "day"),  # exactly 8 h off: fine
        (at(1, 22, 59), at(2, 7), "night"),  # 7 h 59 min off
    )
    (hit,) = rules.rest_between_shifts_8h("r01", duty_gaps(spans), one_block)
    assert (hit.severity, hit.value, hit.limit) == (Severity.WARNING, 8.0, 8)
    assert "7 h 59 min" in hit.message


def test_no_8_hour_warning_for_gaps_around_a_call_in() -> None:
    spans = duty(
        (at(0, 7), at(0, 17), "day"),
        (at(0, 17), at(1, 7), "home_call"),
        (at(0, 20), at(0, 23), "day"),  # called in 3 h after leaving
        (at(1, 2), at(1, 4), "day"),  # and again 3 h later
        (at(1, 8), at(1, 17), "day"),  # 4 h after the last call-in
        (at(1, 22), at(2, 7), "night"),  # 5 h after a plain shift: warned
    )
    (hit,) = rules.rest_between_shifts_8h("r01", spans.gaps, one_block)
    assert hit.value == 5.0


def test_pgy1_moonlighting() -> None:
    spans = periods((at(0, 7), at(0, 19), "day"), (at(0, 19, 30), at(0, 23, 30), "moonlighting"))
    (hit,) = rules.pgy1_moonlighting(ResidentEntry(id="r01", pgy=1), spans, one_block)
    assert (hit.rule, hit.value, hit.limit) == ("pgy1_moonlighting", 4.0, 0)
    assert rules.pgy1_moonlighting(ResidentEntry(id="r01", pgy=2), spans, one_block) == []
