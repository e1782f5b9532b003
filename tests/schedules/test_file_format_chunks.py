"""Long shift and leave lists are checked a chunk at a time, with the same result and the same
first error as one pydantic call over the whole file."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import app.schedules.file_format as file_format
from app.schedules.file_format import ScheduleFileError, parse_schedule
from tests.support.schedules import schedule_file


def _long_file() -> dict[str, Any]:
    data = schedule_file(
        shifts=[
            {
                "resident": "r01",
                "start": f"2026-07-{d:02}T07:00",
                "end": f"2026-07-{d:02}T08:00",
                "kind": "day",
            }
            for d in range(1, 29)
        ],
        leave=[
            {"resident": "r02", "start": f"2026-07-{d:02}", "end": f"2026-07-{d:02}"}
            for d in range(1, 12)
        ],
    )
    return data


def _outcome(data: dict[str, Any]) -> str | file_format.ScheduleFile:
    try:
        return parse_schedule(data)
    except ScheduleFileError as exc:
        return str(exc)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for c in changes:
            c(data)

    return change


CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    "valid": lambda data: None,
    "bad kind late": _set(("shifts", 13, "kind"), "brunch"),
    "missing start": lambda data: data["shifts"][25].pop("start"),
    "not an object": _set(("shifts", 20), 5),
    "offset time": _set(("shifts", 9, "start"), "2026-07-10T07:00+01:00"),
    "bad leave": _set(("leave", 10, "start"), "soon"),
    "extra key and bad shift": _both(_set(("extra",), 1), _set(("shifts", 3, "kind"), "x")),
    "extra key only": _set(("extra",), 1),
    "bad program and bad shift": _both(_set(("program",), ""), _set(("shifts", 3, "kind"), "x")),
    "bad resident and bad shift": _both(
        _set(("residents", 0, "pgy"), 99), _set(("shifts", 3, "kind"), "x")
    ),
    "bad shift and bad leave": _both(
        _set(("leave", 3, "start"), "x"), _set(("shifts", 27, "kind"), "x")
    ),
    "no residents": lambda data: data.pop("residents"),
    "many residents, a bad one late": _both(
        lambda data: data["residents"].extend({"id": f"x{i}", "pgy": 1} for i in range(9)),
        _set(("residents", 9, "pgy"), 0),
        _set(("shifts", 3, "kind"), "x"),
    ),
    "many residents, a duplicate": lambda data: data["residents"].extend(
        [{"id": "r01", "pgy": 1}] * 5
    ),
    "overlap": _set(("shifts", 5, "end"), "2026-07-07T09:00"),
}


@pytest.mark.parametrize("case", CASES)
def test_chunks_give_what_one_call_gives(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _long_file()
    CASES[case](data)
    whole = _outcome(copy.deepcopy(data))
    monkeypatch.setattr(file_format, "CHUNK_ENTRIES", 4)
    chunked = _outcome(copy.deepcopy(data))
    assert chunked == whole
    if case == "valid":
        assert not isinstance(chunked, str) and len(chunked.shifts) == 28
