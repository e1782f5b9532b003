"""A resident's shifts as iCalendar: parsed back with ``icalendar``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from app.schedules.file_format import ShiftKind
from app.schedules.ical import CalendarShift, resident_calendar

SHIFTS = [
    CalendarShift(datetime(2026, 7, 1, 7), datetime(2026, 7, 2, 9), ShiftKind.CALL, "WARDS"),
    CalendarShift(datetime(2026, 7, 4, 17), datetime(2026, 7, 5, 8), ShiftKind.HOME_CALL),
]
STAMP = datetime(2026, 6, 1, 12, tzinfo=UTC)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def test_floating_local_times_without_a_zone() -> None:
    calendar = parse(resident_calendar(SHIFTS, owner="7", name="Demo", stamp=STAMP))
    assert str(calendar["prodid"]) == "-//Residency Scheduler//Resident calendar//EN"
    assert (str(calendar["version"]), str(calendar["x-wr-calname"])) == ("2.0", "Demo")
    call, home = calendar.walk("VEVENT")
    assert str(call["summary"]) == "In-house call (WARDS)"
    assert call.decoded("dtstart") == datetime(2026, 7, 1, 7)  # naive: floating
    assert call.decoded("dtend") == datetime(2026, 7, 2, 9)
    assert str(call["uid"]) == "7-call-20260701T0700@residency-scheduler"
    assert call.decoded("dtstamp") == STAMP
    assert "TRANSP" not in call
    assert str(home["summary"]) == "Home call"
    assert str(home["transp"]) == "TRANSPARENT"


def test_utc_when_the_zone_is_known() -> None:
    body = resident_calendar(
        SHIFTS, owner="7", name="Demo", zone=ZoneInfo("America/New_York"), stamp=STAMP
    )
    assert b"DTSTART:20260701T110000Z" in body  # 07:00 EDT
    call = parse(body).walk("VEVENT")[0]
    assert call.decoded("dtstart") == datetime(2026, 7, 1, 11, tzinfo=UTC)


def test_an_empty_calendar_is_still_a_calendar() -> None:
    calendar = parse(resident_calendar([], owner="7", name="Demo"))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["version"]) == "2.0"
