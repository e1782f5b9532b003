"""Hand-built schedule files for the compliance tests (parsed, so they are valid input)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from app.schedules.file_format import ScheduleFile, parse_schedule

START = date(2026, 7, 1)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """``day`` days after the period start, at ``hour:minute``."""
    return datetime.combine(START + timedelta(days=day), datetime.min.time()).replace(
        hour=hour, minute=minute
    )


def shift(
    start: datetime,
    end: datetime,
    kind: str = "day",
    resident: str = "r01",
    worked_minutes: int = 0,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resident": resident,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "kind": kind,
    }
    if worked_minutes:
        entry["worked_minutes"] = worked_minutes
    return entry


def hours_shift(
    day: int, hour: int, hours: float, kind: str = "day", resident: str = "r01"
) -> dict[str, Any]:
    start = at(day, hour)
    return shift(start, start + timedelta(hours=hours), kind, resident)


def leave(first: int, last: int, resident: str = "r01") -> dict[str, Any]:
    return {
        "resident": resident,
        "start": (START + timedelta(days=first)).isoformat(),
        "end": (START + timedelta(days=last)).isoformat(),
    }


def schedule(
    shifts: Iterable[dict[str, Any]] = (),
    *,
    days: int = 28,
    residents: Iterable[tuple[str, int]] = (("r01", 2),),
    leaves: Iterable[dict[str, Any]] = (),
) -> ScheduleFile:
    return parse_schedule(
        {
            "program": "Test Program",
            "period": {
                "start": START.isoformat(),
                "end": (START + timedelta(days=days - 1)).isoformat(),
            },
            "residents": [{"id": rid, "pgy": pgy} for rid, pgy in residents],
            "shifts": list(shifts),
            "leave": list(leaves),
        }
    )


def day_shifts(days: Iterable[int], start_hour: int = 7, hours: float = 12) -> list[dict[str, Any]]:
    return [hours_shift(d, start_hour, hours) for d in days]


def working_days(total: int = 28, off: Iterable[int] = (6, 13, 20, 27)) -> list[int]:
    skip = set(off)
    return [d for d in range(total) if d not in skip]
