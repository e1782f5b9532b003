"""Schedule files for tests: the JSON a coordinator uploads, and hand-built parsed ones.

:func:`schedule_file` and :func:`too_many_hours` are upload bodies (for the API and the CLI);
:func:`schedule` parses entries made with :func:`at`, :func:`shift`, :func:`hours_shift` and
:func:`leave` (day numbers counted from :data:`START`), so it is always valid input.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from app.schedules.file_format import ScheduleFile, parse_schedule

# --- upload bodies -------------------------------------------------------------------------


def schedule_file(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "program": "Test Program",
        "period": {"start": "2026-07-01", "end": "2026-07-28"},
        "residents": [{"id": "r01", "pgy": 1}, {"id": "r02", "pgy": 2}],
        "shifts": [
            {
                "resident": "r01",
                "start": "2026-07-01T07:00",
                "end": "2026-07-01T19:00",
                "kind": "day",
            },
            {
                "resident": "r02",
                "start": "2026-07-02T07:00",
                "end": "2026-07-03T09:00",
                "kind": "call",
            },
            {
                "resident": "r02",
                "start": "2026-07-05T17:00",
                "end": "2026-07-06T08:00",
                "kind": "home_call",
                "worked_minutes": 120,
            },
        ],
        "leave": [{"resident": "r01", "start": "2026-07-20", "end": "2026-07-24"}],
    }
    data.update(overrides)
    return data


def too_many_hours() -> dict[str, Any]:
    """r01 works 12 h every day of a 28-day block: 84 h/week and no day off."""
    data = schedule_file(leave=[])
    data["shifts"] = [
        {
            "resident": "r01",
            "start": f"2026-07-{d:02}T07:00",
            "end": f"2026-07-{d:02}T19:00",
            "kind": "day",
        }
        for d in range(1, 29)
    ]
    return data


# --- parsed schedules, built day by day ----------------------------------------------------

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


def working_days(total: int = 28, off: Iterable[int] = (6, 13, 20, 27)) -> list[int]:
    skip = set(off)
    return [d for d in range(total) if d not in skip]
