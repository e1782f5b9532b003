"""The schedule file parser: all-or-nothing, and every rejection names the offending item."""

from __future__ import annotations

from typing import Any

import pytest

from app.schedules.file_format import (
    MAX_PERIOD_DAYS,
    ScheduleFileError,
    parse_schedule,
    parse_schedule_json,
)
from tests.support.schedules import schedule_file


def _error(data: Any) -> str:
    with pytest.raises(ScheduleFileError) as info:
        parse_schedule(data)
    return str(info.value)


def test_the_spec_example_parses() -> None:
    schedule = parse_schedule(schedule_file())
    assert [s.kind.value for s in schedule.shifts] == ["day", "call", "home_call"]
    assert schedule.shifts[2].worked_minutes == 120
    assert schedule.to_json_dict()["shifts"] == schedule_file()["shifts"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"period": {"start": "2026-07-01", "end": "2026-06-30"}},
            "period.end: must not be before",
        ),
        ({"period": {"start": "1899-12-31", "end": "1900-01-28"}}, "period.start: must be between"),
        ({"period": {"start": "2999-12-01", "end": "3000-01-01"}}, "period.end: must be between"),
        ({"period": {"start": "2026-07-01", "end": "2026-02-30"}}, "period.end: "),
        ({"residents": [{"id": "r01", "pgy": 1}, {"id": "r01", "pgy": 2}]}, "residents[1].id"),
        ({"residents": [{"id": "", "pgy": 1}]}, "residents[0].id"),
        ({"residents": "r01"}, "residents: "),
        ({"program": ""}, "program: "),
        ({"shifts": {}}, "shifts: "),
    ],
)
def test_bad_files_name_the_item(change: dict[str, Any], named: str) -> None:
    assert _error(schedule_file(**change)).startswith(named)


def test_period_is_at_most_three_years() -> None:
    longest = {"start": "2026-07-01", "end": "2029-07-02"}  # 1098 days
    assert parse_schedule(schedule_file(period=longest)).period.end.isoformat() == "2029-07-02"
    too_long = {"start": "2026-07-01", "end": "2029-07-03"}
    assert _error(schedule_file(period=too_long)) == (
        f"period: at most {MAX_PERIOD_DAYS} days (three academic years); split the file"
    )


@pytest.mark.parametrize(
    ("index", "change", "named"),
    [
        (0, {"start": "2026-07-01T07:00+02:00"}, "shifts[0].start: "),
        (0, {"end": "2026-07-01T07:00"}, "shifts[0].end: must be after start"),
        (0, {"kind": "brunch"}, "shifts[0].kind: "),
        (0, {"resident": "r99"}, "shifts[0].resident: unknown resident 'r99'"),
        (0, {"worked_minutes": 30}, "shifts[0].worked_minutes: only home_call"),
        (2, {"worked_minutes": 2**31}, "shifts[2].worked_minutes: "),
        (2, {"worked_minutes": 16 * 60}, "shifts[2].worked_minutes: longer than the shift"),
        (1, {"start": "2026-07-01T18:00"}, "shifts[1]: overlaps another shift"),
    ],
)
def test_bad_shifts_name_the_shift(index: int, change: dict[str, Any], named: str) -> None:
    data = schedule_file()
    data["shifts"][index].update(change)
    if "start" in change and index == 1:  # overlap needs the same resident
        data["shifts"][index]["resident"] = "r01"
    assert _error(data).startswith(named)


def test_not_an_object_and_not_json() -> None:
    assert _error([]).startswith("file: expected a JSON object")
    for text in (b"{", b"\xff\xfe", b"[" * 100_000):
        with pytest.raises(ScheduleFileError, match=r"^file: "):
            parse_schedule_json(text)


def _with_shifts(*shifts: tuple[str, str, str]) -> dict[str, Any]:
    return schedule_file(
        shifts=[{"resident": "r01", "start": a, "end": b, "kind": k} for a, b, k in shifts],
        leave=[],
    )


def test_a_call_in_inside_a_home_call_is_accepted() -> None:
    data = _with_shifts(
        ("2026-07-03T17:00", "2026-07-06T07:00", "home_call"),
        ("2026-07-04T02:00", "2026-07-04T05:00", "day"),
        ("2026-07-03T17:00", "2026-07-03T19:00", "call"),  # starts with the home call
        ("2026-07-06T05:00", "2026-07-06T07:00", "night"),  # ends with it
    )
    assert len(parse_schedule(data).shifts) == 4


@pytest.mark.parametrize(
    ("shifts", "named"),
    [
        (  # only partly inside the home call
            [
                ("2026-07-03T17:00", "2026-07-04T07:00", "home_call"),
                ("2026-07-04T05:00", "2026-07-04T09:00", "day"),
            ],
            "shifts[1]: overlaps a home call of resident 'r01' (2026-07-03T17:00 to "
            "2026-07-04T07:00); an in-house shift during a home call must lie entirely inside it",
        ),
        (  # starts before the home call
            [
                ("2026-07-03T17:00", "2026-07-04T07:00", "home_call"),
                ("2026-07-03T15:00", "2026-07-03T18:00", "day"),
            ],
            "shifts[1]: overlaps a home call",
        ),
        (  # two home calls
            [
                ("2026-07-03T17:00", "2026-07-04T07:00", "home_call"),
                ("2026-07-04T06:00", "2026-07-04T09:00", "home_call"),
            ],
            "shifts[1]: overlaps another shift",
        ),
        (  # two call-ins overlapping each other
            [
                ("2026-07-03T17:00", "2026-07-04T07:00", "home_call"),
                ("2026-07-03T20:00", "2026-07-03T23:00", "day"),
                ("2026-07-03T22:00", "2026-07-03T23:30", "day"),
            ],
            "shifts[2]: overlaps another shift",
        ),
    ],
)
def test_overlaps_other_than_a_call_in_are_bad_input(
    shifts: list[tuple[str, str, str]], named: str
) -> None:
    assert _error(_with_shifts(*shifts)).startswith(named)


def test_block_start_is_optional_and_not_after_the_period() -> None:
    period = {"start": "2026-08-01", "end": "2026-09-30", "block_start": "2026-07-01"}
    parsed = parse_schedule(schedule_file(period=period, shifts=[], leave=[]))
    assert parsed.period.block_start is not None
    assert parsed.to_json_dict()["period"] == period
    assert "block_start" not in parse_schedule(schedule_file()).to_json_dict()["period"]
    late = {"start": "2026-08-01", "end": "2026-09-30", "block_start": "2026-08-02"}
    assert _error(schedule_file(period=late)).startswith("period.block_start: must be between")


def test_time_zone_must_be_known_and_local_times_must_exist() -> None:
    zoned = parse_schedule(schedule_file(timezone="America/New_York"))
    assert zoned.to_json_dict()["timezone"] == "America/New_York"
    assert _error(schedule_file(timezone="Mars/Olympus")).startswith(
        "timezone: unknown time zone 'Mars/Olympus'"
    )
    gap = _with_shifts(("2027-03-13T19:00", "2027-03-14T02:30", "night"))
    gap["timezone"] = "America/New_York"
    assert _error(gap) == (
        "shifts[0].end: 2027-03-14T02:30 does not exist in America/New_York "
        "(the clocks spring forward over it)"
    )
    del gap["timezone"]
    assert parse_schedule(gap).timezone is None  # without a zone: plain wall-clock times
