"""The cases spec revision 2 settled, end to end through ``validate_schedule`` (and the CLI)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from app.compliance import validate_schedule
from app.compliance.cli import validate
from app.schedules.file_format import ScheduleFile, parse_schedule
from tests.support.schedules import START, at, hours_shift, schedule, shift, working_days

# 2026-07-03 is a Friday: day 2 of the period.
FRI, MON = 2, 5


def weekend_home_call(*call_ins: dict[str, Any]) -> ScheduleFile:
    return schedule(
        [
            hours_shift(FRI, 7, 10),  # Friday 07:00-17:00 in house
            shift(at(FRI, 17), at(MON, 7), "home_call", worked_minutes=120),  # 62 h on the pager
            *call_ins,
            hours_shift(MON, 7, 10),  # Monday 07:00-17:00
        ]
    )


def test_a_62_hour_weekend_home_call_is_compliant() -> None:
    report = validate_schedule(weekend_home_call())
    assert report.violations == ()  # no 24 + 4, no 14 h rest, no "0 h off" warning


def test_call_ins_on_a_weekend_home_call_start_no_off_duty_period() -> None:
    call_ins = [
        shift(at(FRI, 20), at(FRI, 23)),  # 3 h after leaving
        shift(at(FRI + 1, 2), at(FRI + 1, 4)),  # 3 h later again
        shift(at(FRI + 1, 9), at(FRI + 1, 13)),
        shift(at(FRI + 2, 9), at(FRI + 2, 13)),
        shift(at(MON, 1), at(MON, 3)),  # 4 h before Monday's day shift
    ]
    report = validate_schedule(weekend_home_call(*call_ins))
    assert report.violations == ()


def test_a_call_in_that_extends_a_day_shift_past_28_hours() -> None:
    # Friday 07:00-17:00, then called in at 17:30 and kept until Saturday 11:30: 28 h 30 min.
    report = validate_schedule(weekend_home_call(shift(at(FRI, 17, 30), at(FRI + 1, 11, 30))))
    rules = {v.rule: v for v in report.violations}
    assert set(rules) == {"max_continuous_24_4", "rest_after_24h_call"}
    assert rules["max_continuous_24_4"].value == 28.5
    # the home call still runs when the resident leaves: 0 h of the 14 required
    assert rules["rest_after_24h_call"].value == 0.0
    assert not report.valid


def test_call_ins_count_as_in_house_hours() -> None:
    # 24 shifts of 13 h 20 min: exactly 80 h/week; day 6 holds a home call.
    heavy = [hours_shift(d, 7, 13 + 1 / 3) for d in working_days()]
    home = shift(at(6, 8), at(6, 20), "home_call")
    without = {v.rule for v in validate_schedule(schedule([*heavy, home])).violations}
    call_in = shift(at(6, 10), at(6, 10, 1))  # one minute in the hospital
    called = {v.rule for v in validate_schedule(schedule([*heavy, home, call_in])).violations}
    assert "hours_80_weekly" not in without
    assert "hours_80_weekly" in called


def test_a_24_hour_shift_of_any_kind_is_in_house_call() -> None:
    q3 = [shift(at(d, 7), at(d + 1, 7), "day") for d in range(0, 27, 3)]
    assert validate_schedule(schedule(q3)).valid
    (hit,) = validate_schedule(schedule([*q3, shift(at(26, 7), at(27, 7), "night")])).violations
    assert (hit.rule, hit.value, hit.limit) == ("in_house_call_q3", 10, 9)


def test_a_365_day_year_has_no_one_day_block_14() -> None:
    end = date(2027, 6, 30)
    days = (end - START).days + 1
    s = schedule([shift(at(days - 1, 7), at(days - 1, 19), "call")], days=days)
    report = validate_schedule(s)
    assert report.violations == ()  # a 1-day block 14 would allow 0 calls
    assert report.resident_blocks == 13


def test_block_start_anchors_a_part_year() -> None:
    # The file covers 08-01..09-30 of a year from 07-01: blocks 2 (clipped to 25 days), 3, 4.
    calls = [shift(at(d, 7), at(d + 1, 9), "call") for d in (28, *range(31, 53, 3))]
    data = schedule(calls, days=92).to_json_dict()
    data["period"] = {"start": "2026-08-01", "end": "2026-09-30", "block_start": "2026-07-01"}
    anchored = validate_schedule(parse_schedule(data))
    assert anchored.valid and anchored.resident_blocks == 3  # the 07-29 call starts outside
    data["shifts"].append(shift(at(54, 7), at(55, 9), "call"))  # 08-24: the 9th in 25 days
    (hit,) = validate_schedule(parse_schedule(data)).violations
    assert (hit.rule, hit.start, hit.end) == (
        "in_house_call_q3",
        date(2026, 8, 1),
        date(2026, 8, 25),
    )
    assert hit.message == "9 in-house calls in block 2, at most 8 allowed"
    del data["period"]["block_start"]  # unanchored: blocks from 08-01, the 9 calls in one block
    assert validate_schedule(parse_schedule(data)).valid


# --- time zones ------------------------------------------------------------------------------


def zoned(shifts: list[dict[str, Any]], zone: str | None = "America/New_York") -> ScheduleFile:
    data = schedule(shifts, days=28).to_json_dict()
    data["period"] = {"start": "2026-10-15", "end": "2026-11-11"}
    if zone:
        data["timezone"] = zone
    return parse_schedule(data)


def _shift(a: str, b: str, kind: str = "day") -> dict[str, Any]:
    return {"resident": "r01", "start": a, "end": b, "kind": kind}


def test_the_night_clocks_fall_back_lasts_an_hour_longer() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST: Saturday 07:00 to Sunday 10:30 is 28 h 30 min.
    long = [_shift("2026-10-31T07:00", "2026-11-01T10:30", "call")]
    assert validate_schedule(zoned(long, None)).valid  # 27.5 wall-clock hours
    (hit, *_) = validate_schedule(zoned(long)).violations
    assert (hit.rule, hit.value) == ("max_continuous_24_4", 28.5)


def test_rest_is_measured_in_real_hours_across_the_clock_change() -> None:
    shifts = [
        _shift("2026-10-31T16:00", "2026-11-01T00:30", "night"),
        _shift("2026-11-01T08:00", "2026-11-01T18:00"),  # 7.5 wall-clock hours later, 8.5 real
    ]
    assert [v.rule for v in validate_schedule(zoned(shifts, None)).violations] == [
        "rest_between_shifts_8h"
    ]
    assert validate_schedule(zoned(shifts)).violations == ()


app = typer.Typer()
app.command("validate")(validate)
app.command("unused")(lambda: None)


def test_a_local_time_that_does_not_exist_is_bad_input(tmp_path: Path) -> None:
    data = zoned([]).to_json_dict()
    data["shifts"] = [_shift("2027-03-14T02:00", "2027-03-14T09:00", "night")]
    data["period"] = {"start": "2027-03-01", "end": "2027-03-28"}
    path = tmp_path / "dst.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "shifts[0].start: 2027-03-14T02:00 does not exist in America/New_York" in result.output


def test_timezone_round_trips_and_changes_nothing_on_ordinary_days() -> None:
    week = [hours_shift(d, 7, 12) for d in range(5)]
    data = schedule(week).to_json_dict() | {"timezone": "Europe/Paris"}
    assert validate_schedule(parse_schedule(data)) == validate_schedule(schedule(week))
    assert START + timedelta(days=4) == date(2026, 7, 5)
