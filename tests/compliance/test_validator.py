"""Whole schedules through ``validate_schedule``: rules together, blocks, leave, strict, score."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.compliance import ComplianceReport, validate_schedule
from app.compliance.events import Severity
from tests.support.schedules import at, hours_shift, leave, schedule, shift, working_days

HEAVY = timedelta(hours=13, minutes=20)  # 24 such shifts = 320 h = 80 h/week over 28 days


def heavy_shifts(days: list[int], extra: timedelta = timedelta(0)) -> list[dict[str, Any]]:
    out = [shift(at(d, 7), at(d, 7) + HEAVY) for d in days]
    out[0]["end"] = (at(days[0], 7) + HEAVY + extra).isoformat()
    return out


def rules_of(report: ComplianceReport) -> list[str]:
    return [v.rule for v in report.violations]


def test_exactly_80_hours_a_week_is_valid() -> None:
    report = validate_schedule(schedule(heavy_shifts(working_days())))
    assert report.violations == ()
    assert (report.valid, report.compliance_score) == (True, 100.0)


def test_one_minute_over_80_hours_a_week_is_a_violation() -> None:
    report = validate_schedule(schedule(heavy_shifts(working_days(), timedelta(minutes=1))))
    (hit,) = report.violations
    assert (hit.rule, hit.value, hit.limit) == ("hours_80_weekly", 80.0, 80)
    assert (hit.start, hit.end) == (date(2026, 7, 1), date(2026, 7, 28))
    assert (report.valid, report.compliance_score) == (False, 0.0)


def test_home_call_worked_minutes_count_toward_hours() -> None:
    days = working_days()
    shifts = heavy_shifts(days, -timedelta(hours=1))  # 319 h in house

    def with_home_call(worked: int) -> ComplianceReport:
        home = shift(at(days[0], 21), at(days[0] + 1, 6), "home_call", worked_minutes=worked)
        return validate_schedule(schedule([*shifts, home]))

    assert with_home_call(60).valid  # 320 h: exactly 80 h/week
    assert "hours_80_weekly" not in rules_of(with_home_call(60))
    assert "hours_80_weekly" in rules_of(with_home_call(61))


def test_leave_removes_numerator_and_denominator() -> None:
    days = working_days(21, off=(6, 13, 20))  # 18 shifts = 240 h before the leave week
    leaves = [leave(21, 27)]
    home = shift(at(23, 8), at(23, 12), "home_call", worked_minutes=240)  # not in-house duty
    assert validate_schedule(schedule([*heavy_shifts(days), home], leaves=leaves)).valid
    over = validate_schedule(schedule(heavy_shifts(days, timedelta(minutes=1)), leaves=leaves))
    assert rules_of(over) == ["hours_80_weekly"]


def test_duty_on_a_leave_day_counts_and_is_warned() -> None:
    days = working_days(21, off=(6, 13, 20))  # 240 h over 21 working days: exactly 80 h/week
    leaves = [leave(21, 27)]
    on_leave_day = hours_shift(23, 7, 12)  # the day stays in: 252 h over 22 days = 80.2 h/week
    report = validate_schedule(schedule([*heavy_shifts(days), on_leave_day], leaves=leaves))
    assert rules_of(report) == ["hours_80_weekly", "duty_on_leave"]
    hours, warned = report.violations
    assert hours.value == 80.2
    assert (warned.severity, warned.start, warned.end, warned.value) == (
        Severity.WARNING,
        date(2026, 7, 24),
        date(2026, 7, 24),
        12.0,
    )
    assert "leave day 2026-07-24" in warned.message


def test_a_week_of_long_shifts_marked_as_leave_is_not_hidden() -> None:
    week = [hours_shift(d, 7, 17) for d in range(7)]  # 7 x 17 h, all on leave days
    report = validate_schedule(schedule(week, days=7, leaves=[leave(0, 6)]))
    assert not report.valid
    found = rules_of(report)
    assert {"hours_80_weekly", "one_day_off_in_7"} <= set(found)
    assert found.count("duty_on_leave") == 7


def test_block_with_fewer_than_7_working_days_is_not_averaged() -> None:
    # Block 2 has 6 working days; 6 x 16 h would be 112 h/week.
    shifts = [hours_shift(d, 7, 16) for d in range(28, 34)]
    report = validate_schedule(schedule(shifts, days=56, leaves=[leave(34, 55)]))
    assert report.valid and report.violations == ()


def test_last_short_block_is_averaged_over_its_own_length() -> None:
    long_week = [hours_shift(d, 7, 13.5) for d in range(28, 34)]  # 81 h in a 7-day block
    (hit,) = validate_schedule(schedule(long_week, days=35)).violations
    assert (hit.rule, hit.value, hit.block) == ("hours_80_weekly", 81.0, 2)
    assert (hit.start, hit.end) == (date(2026, 7, 29), date(2026, 8, 4))
    assert validate_schedule(schedule(heavy_shifts(list(range(28, 34))), days=35)).valid


def test_post_call_day_is_not_a_day_off() -> None:
    call = shift(at(4, 7), at(5, 9), "call")
    days = [hours_shift(d, 7, 10) for d in (0, 1, 2, 3)]
    ok = validate_schedule(schedule([*days, call], days=7))  # day 6 is free: 39 h after 09:00
    assert ok.valid
    report = validate_schedule(schedule([*days, call, hours_shift(6, 7, 10)], days=7))
    (hit,) = report.violations  # 09:00 -> 07:00 is 22 h; nothing else is free
    assert (hit.rule, hit.value, hit.limit) == ("one_day_off_in_7", 0, 1)


def test_home_call_on_the_only_day_off_takes_it_away() -> None:
    days = [hours_shift(d, 7, 12) for d in range(6)]
    home = shift(at(6, 8), at(6, 20), "home_call")
    assert validate_schedule(schedule(days, days=7)).valid
    assert rules_of(validate_schedule(schedule([*days, home], days=7))) == ["one_day_off_in_7"]


def calls(days: list[int], kind: str = "call") -> list[dict[str, Any]]:
    return [shift(at(d, 7), at(d + 1, 9), kind) for d in days]


def test_nine_calls_per_block_pass_ten_fail() -> None:
    q3 = list(range(0, 27, 3))
    assert validate_schedule(schedule(calls(q3))).valid
    (hit,) = validate_schedule(schedule(calls([*q3, 27]))).violations
    assert (hit.rule, hit.value, hit.limit) == ("in_house_call_q3", 10, 9)


def test_home_call_never_counts_as_in_house_call() -> None:
    q3 = list(range(0, 27, 3))
    report = validate_schedule(schedule([*calls(q3), *calls([27], "home_call")]))
    assert "in_house_call_q3" not in rules_of(report)


def test_call_limit_shrinks_with_leave() -> None:
    leaves = [leave(21, 27)]  # 21 working days: at most 7 calls
    assert validate_schedule(schedule(calls(list(range(0, 21, 3))), leaves=leaves)).valid
    report = validate_schedule(schedule(calls([*range(0, 21, 3), 20]), leaves=leaves))
    assert "in_house_call_q3" in rules_of(report)


def test_pgy1_moonlighting() -> None:
    moon = [hours_shift(2, 18, 6, "moonlighting")]
    pgy1 = validate_schedule(schedule(moon, residents=[("r01", 1)]))
    assert rules_of(pgy1) == ["pgy1_moonlighting"] and not pgy1.valid
    assert validate_schedule(schedule(moon, residents=[("r01", 2)])).valid


def test_short_rest_is_a_warning_only() -> None:
    report = validate_schedule(schedule([hours_shift(0, 7, 12), hours_shift(1, 2, 8)]))
    (hit,) = report.violations
    assert (hit.rule, hit.severity, hit.value) == ("rest_between_shifts_8h", Severity.WARNING, 7.0)
    assert (report.valid, report.compliance_score) == (True, 100.0)


def test_strict_mode_adds_rolling_warnings() -> None:
    # Days 14-41 straddle blocks 1 and 2: each block averages 91 h / 2 = 45.5 h/week, 7 calls,
    # 14 free days; the 28 days in between hold 14 calls, 91 h/week and no day off.
    s = schedule(calls(list(range(14, 42, 2))), days=56)
    plain = validate_schedule(s)
    assert plain.violations == ()
    strict = validate_schedule(s, strict=True)
    assert strict.valid and strict.compliance_score == 100.0
    assert {v.severity for v in strict.violations} == {Severity.WARNING}
    assert {v.rule for v in strict.violations} == {
        "hours_80_weekly_rolling",
        "one_day_off_in_7_rolling",
        "in_house_call_q3_rolling",
    }
    hours = [v for v in strict.violations if v.rule == "hours_80_weekly_rolling"]
    window = next(v for v in hours if v.start == date(2026, 7, 15))
    assert (window.end, window.value, window.limit) == (date(2026, 8, 11), 91.0, 80)
    assert window.message == "averaged 91.0 h/week over the 28 days from 2026-07-15"


def test_compliance_score_counts_resident_blocks_with_a_violation() -> None:
    residents = [("r01", 1), ("r02", 2), ("r03", 3)]  # x 2 blocks = 6 resident-blocks
    s = schedule(
        [
            shift(at(3, 7), at(4, 11, 1), "call", "r01"),  # 28 h 01 min
            hours_shift(10, 18, 5, "moonlighting", "r01"),  # same resident-block
            shift(at(27, 7), at(28, 13), "call", "r02"),  # 30 h, starts in block 1
            hours_shift(40, 7, 12, resident="r02"),
            hours_shift(41, 2, 12, resident="r02"),  # 7 h rest: a warning in block 2
        ],
        days=56,
        residents=residents,
    )
    report = validate_schedule(s)
    violations = [v for v in report.violations if v.severity is Severity.VIOLATION]
    assert sorted((v.resident, v.block) for v in violations) == [
        ("r01", 1),
        ("r01", 1),
        ("r02", 1),
    ]
    assert report.resident_blocks == 6
    assert report.compliance_score == 66.7  # 4 of 6


def test_report_json_shape_and_summary() -> None:
    s = schedule(
        [shift(at(0, 7), at(1, 12), "call"), hours_shift(1, 18, 12, "night")],
        residents=[("r01", 2)],
    )
    report = validate_schedule(s)
    data = report.to_json_dict()
    assert list(data) == ["valid", "compliance_score", "violations"]
    assert data["valid"] is False
    first = data["violations"][0]
    assert list(first) == [
        "rule",
        "section",
        "severity",
        "resident",
        "start",
        "end",
        "value",
        "limit",
        "message",
    ]
    assert first == {
        "rule": "rest_after_24h_call",
        "section": "6.21.a (VI.F.2.b)",
        "severity": "violation",
        "resident": "r01",
        "start": "2026-07-01",
        "end": "2026-07-02",
        "value": 6.0,
        "limit": 14,
        "message": "6 h off after 29 h of continuous duty, 14 h required",
    }
    assert report.summary() == {
        ("max_continuous_24_4", "violation"): 1,
        ("rest_after_24h_call", "violation"): 1,
        ("rest_between_shifts_8h", "warning"): 1,
    }


def test_resident_without_shifts_is_compliant() -> None:
    report = validate_schedule(schedule([], residents=[("r01", 1), ("r02", 2)]))
    assert report.valid and report.compliance_score == 100.0 and report.resident_blocks == 2
