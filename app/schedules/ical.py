"""One resident's shifts as an iCalendar (RFC 5545) file for their phone (``icalendar``).

One VEVENT per shift. Its UID is made of the person, the kind and the start, so it survives a
re-import of an unchanged schedule (shift rows get new ids then): a calendar app that imports
the file again updates its events instead of doubling them. Times are the program's local
wall-clock times as "floating" times (no zone: the phone shows them as written); when the
program's time zone is known they are written in UTC, so a phone in another zone converts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from app.schedules.file_format import ShiftKind

PRODID = "-//Residency Scheduler//Resident calendar//EN"
UID_DOMAIN = "residency-scheduler"
KIND_LABELS: dict[ShiftKind, str] = {
    ShiftKind.DAY: "Day shift",
    ShiftKind.NIGHT: "Night shift",
    ShiftKind.CALL: "In-house call",
    ShiftKind.CLINIC: "Clinic",
    ShiftKind.EDUCATION: "Education",
    ShiftKind.MOONLIGHTING: "Moonlighting",
    ShiftKind.HOME_CALL: "Home call",
}


@dataclass(frozen=True)
class CalendarShift:
    start: datetime  # local wall-clock time, naive
    end: datetime
    kind: ShiftKind
    rotation: str | None = None


def summary(shift: CalendarShift) -> str:
    label = KIND_LABELS[shift.kind]
    return f"{label} ({shift.rotation})" if shift.rotation else label


def event_uid(owner: str, shift: CalendarShift) -> str:
    return f"{owner}-{shift.kind.value}-{shift.start:%Y%m%dT%H%M}@{UID_DOMAIN}"


def _moment(local: datetime, zone: ZoneInfo | None) -> datetime:
    if zone is None:
        return local
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def resident_calendar(
    shifts: Iterable[CalendarShift],
    *,
    owner: str,
    name: str,
    zone: ZoneInfo | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The calendar of ``owner`` (an id, part of every UID) called ``name``."""
    created = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for shift in shifts:
        event = Event()
        event.add("uid", event_uid(owner, shift))
        event.add("dtstamp", created)
        event.add("dtstart", _moment(shift.start, zone))
        event.add("dtend", _moment(shift.end, zone))
        event.add("summary", summary(shift))
        event.add("categories", [shift.kind.value])
        if shift.kind is ShiftKind.HOME_CALL:
            event.add("transp", "TRANSPARENT")  # on the pager, not busy in the hospital
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
