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
