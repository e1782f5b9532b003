"""The schedule file: the validator's input, the generator's output, import/export format.

The format is fixed by ``shared/spec/acgme-rules.md``. Parsing is all-or-nothing: either a
fully checked :class:`ScheduleFile` comes back or :class:`ScheduleFileError` names the first
offending item (``shifts[12].end: ...``) and nothing has been read into the caller's state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import ErrorDetails

from app.schedules.clock import exists, load_zone


class ShiftKind(StrEnum):
    DAY = "day"
    NIGHT = "night"
    CALL = "call"
    CLINIC = "clinic"
    EDUCATION = "education"
    MOONLIGHTING = "moonlighting"
    HOME_CALL = "home_call"


EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
MAX_PERIOD_DAYS = 3 * 366
"""A file covers at most three academic years: every block and (in strict mode) every rolling
window is checked per resident, so an unbounded period would be unbounded work."""
MAX_WORKED_MINUTES = 2**31 - 1  # what the database column holds


class ScheduleFileError(ValueError):
    """A schedule file that cannot be accepted; the message names the offending item."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _naive(value: datetime) -> datetime:
    if value.tzinfo is not None:
        raise ValueError("must be a local wall-clock time without a UTC offset")
    return value


class Period(_Strict):
    start: date
    end: date  # inclusive
    block_start: date | None = None
    """First day of block 1 (the academic year's first day), <= start; default: start."""


class ResidentEntry(_Strict):
    id: str = Field(min_length=1, max_length=64)
    pgy: int = Field(ge=1, le=10)
    name: str | None = Field(default=None, max_length=200)


class ShiftEntry(_Strict):
    resident: str = Field(min_length=1, max_length=64)
    start: datetime
    end: datetime
    kind: ShiftKind
    worked_minutes: int = Field(default=0, ge=0, le=MAX_WORKED_MINUTES)

    _naive_start = field_validator("start")(_naive)
    _naive_end = field_validator("end")(_naive)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


class LeaveEntry(_Strict):
    resident: str = Field(min_length=1, max_length=64)
    start: date
    end: date  # inclusive


class ScheduleFile(_Strict):
    program: str = Field(min_length=1, max_length=200)
    period: Period
    timezone: str | None = Field(default=None, max_length=64)
    """IANA zone of the local times: durations become real elapsed time (spec: ``timezone``)."""
    residents: list[ResidentEntry]
    shifts: list[ShiftEntry] = Field(default_factory=list)
    leave: list[LeaveEntry] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The file's JSON form: times as ``YYYY-MM-DDTHH:MM``, defaults left out."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        for shift in data["shifts"]:
            shift["start"] = shift["start"][:16]
            shift["end"] = shift["end"][:16]
            if shift.get("kind") != ShiftKind.HOME_CALL:
                shift.pop("worked_minutes", None)
        return data


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{_location(tuple(err['loc']))}: {message}"


def _check_consistency(schedule: ScheduleFile) -> None:
    period = schedule.period
    for name, day in (("start", period.start), ("end", period.end)):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ScheduleFileError(
                f"period.{name}: must be between {EARLIEST_DAY} and {LATEST_DAY}"
            )
    if period.end < period.start:
        raise ScheduleFileError("period.end: must not be before period.start")
    if period.end - period.start >= timedelta(days=MAX_PERIOD_DAYS):
        raise ScheduleFileError(
            f"period: at most {MAX_PERIOD_DAYS} days (three academic years); split the file"
        )
    if period.block_start is not None and not (EARLIEST_DAY <= period.block_start <= period.start):
        raise ScheduleFileError(
            f"period.block_start: must be between {EARLIEST_DAY} and period.start"
        )
    zone = None
    if schedule.timezone is not None:
        try:
            zone = load_zone(schedule.timezone)
        except ValueError as exc:
            raise ScheduleFileError(f"timezone: {exc}") from None
    known: set[str] = set()
    for i, resident in enumerate(schedule.residents):
        if resident.id in known:
            raise ScheduleFileError(f"residents[{i}].id: duplicate resident id {resident.id!r}")
        known.add(resident.id)
    by_resident: dict[str, list[tuple[int, ShiftEntry]]] = defaultdict(list)
    for i, shift in enumerate(schedule.shifts):
        if shift.resident not in known:
            raise ScheduleFileError(f"shifts[{i}].resident: unknown resident {shift.resident!r}")
        if shift.end <= shift.start:
            raise ScheduleFileError(
                f"shifts[{i}].end: must be after start ({shift.start:%Y-%m-%dT%H:%M})"
            )
        if shift.kind != ShiftKind.HOME_CALL and shift.worked_minutes:
            raise ScheduleFileError(
                f"shifts[{i}].worked_minutes: only home_call shifts carry worked_minutes"
            )
        if shift.worked_minutes * 60 > (shift.end - shift.start).total_seconds():
            raise ScheduleFileError(f"shifts[{i}].worked_minutes: longer than the shift itself")
        if zone is not None:
            for name, moment in (("start", shift.start), ("end", shift.end)):
                if not exists(moment, zone):
                    raise ScheduleFileError(
                        f"shifts[{i}].{name}: {moment:%Y-%m-%dT%H:%M} does not exist in "
                        f"{schedule.timezone} (the clocks spring forward over it)"
                    )
        by_resident[shift.resident].append((i, shift))
    for entries in by_resident.values():
        _check_overlaps(entries)
    for i, leave in enumerate(schedule.leave):
        if leave.resident not in known:
            raise ScheduleFileError(f"leave[{i}].resident: unknown resident {leave.resident!r}")
        if leave.end < leave.start:
            raise ScheduleFileError(f"leave[{i}].end: must not be before start")


def _overlap(j: int, after: ShiftEntry, before: ShiftEntry, what: str = "another shift") -> str:
    return (
        f"shifts[{j}]: overlaps {what} of resident {after.resident!r} "
        f"({before.start:%Y-%m-%dT%H:%M} to {before.end:%Y-%m-%dT%H:%M})"
    )


def _check_overlaps(entries: list[tuple[int, ShiftEntry]]) -> None:
    """One resident's shifts: no two in-house shifts overlap, no two home calls overlap, and an
    in-house shift touching a home call lies entirely inside it (a call-in)."""
    entries.sort(key=lambda item: item[1].start)
    home = [item for item in entries if item[1].kind is ShiftKind.HOME_CALL]
    in_house = [item for item in entries if item[1].kind is not ShiftKind.HOME_CALL]
    for group in (home, in_house):
        for (_, before), (j, after) in pairwise(group):
            if after.start < before.end:
                raise ScheduleFileError(_overlap(j, after, before))
    if not home or not in_house:
        return
    k = 0
    for j, shift in in_house:
        while k < len(home) and home[k][1].end <= shift.start:
            k += 1
        if k == len(home):
            return
        call = home[k][1]
        if call.start < shift.end and not (call.start <= shift.start and shift.end <= call.end):
            raise ScheduleFileError(
                _overlap(j, shift, call, "a home call")
                + "; an in-house shift during a home call must lie entirely inside it (a call-in)"
            )


def call_in_flags(in_house: list[ShiftEntry], home_calls: list[ShiftEntry]) -> list[bool]:
    """For in-house shifts sorted by start: whether each lies inside one of the home calls
    (sorted by start, non-overlapping), i.e. is a call-in."""
    flags: list[bool] = []
    k, n = 0, len(home_calls)
    for shift in in_house:
        while k < n and home_calls[k].end <= shift.start:
            k += 1
        flags.append(
            k < n and home_calls[k].start <= shift.start and shift.end <= home_calls[k].end
        )
    return flags


CHUNK_ENTRIES = 2_000
"""Residents, shifts and leave entries checked per pydantic call. One call holds the GIL
throughout: a whole 20 MB file at once would stall every other thread, a server's event loop
included, for a second; chunks let it run in between."""
_ENTRY_LISTS: dict[str, TypeAdapter[list[Any]]] = {
    "residents": TypeAdapter(list[ResidentEntry]),
    "shifts": TypeAdapter(list[ShiftEntry]),
    "leave": TypeAdapter(list[LeaveEntry]),
}


def _error(err: ErrorDetails, *prefix: int | str) -> ScheduleFileError:
    message = str(err["msg"]).removeprefix("Value error, ")
    return ScheduleFileError(f"{_location((*prefix, *err['loc']))}: {message}")


def _validated(data: dict[str, Any]) -> ScheduleFile:
    """``ScheduleFile.model_validate(data)`` (the same first error), long entry lists checked a
    chunk at a time."""
    fields = list(ScheduleFile.model_fields)
    long = [
        name
        for name in fields
        if name in _ENTRY_LISTS
        and isinstance(data.get(name), list)
        and len(data[name]) > CHUNK_ENTRIES
    ]
    if not long:
        try:
            return ScheduleFile.model_validate(data)
        except ValidationError as exc:
            raise ScheduleFileError(_first_error(exc)) from None

    def rank(err: ErrorDetails) -> int:  # pydantic's order: the fields in turn, then extras
        where = err["loc"][0] if err["loc"] else None
        return fields.index(where) if isinstance(where, str) and where in fields else len(fields)

    head: ScheduleFile | None = None
    head_errors: list[ErrorDetails] = []
    try:
        head = ScheduleFile.model_validate({**data, **{name: [] for name in long}})
    except ValidationError as exc:
        head_errors = sorted(exc.errors(include_url=False), key=rank)
    entries: dict[str, list[Any]] = {}
    for name in long:
        if head_errors and rank(head_errors[0]) < fields.index(name):
            raise _error(head_errors[0])
        items: list[Any] = data[name]
        entries[name] = []
        for offset in range(0, len(items), CHUNK_ENTRIES):
            try:
                entries[name] += _ENTRY_LISTS[name].validate_python(
                    items[offset : offset + CHUNK_ENTRIES]
                )
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]  # loc: (index in the chunk, ...)
                err["loc"] = (offset + int(err["loc"][0]), *err["loc"][1:])
                raise _error(err, name) from None
    if head_errors or head is None:
        raise _error(head_errors[0])
    return head.model_copy(update=entries)


def parse_schedule(data: object) -> ScheduleFile:
    """Check a decoded JSON document and return it as a :class:`ScheduleFile`."""
    if not isinstance(data, dict):
        raise ScheduleFileError(
            "file: expected a JSON object with program, period, residents, shifts"
        )
    schedule = _validated(data)
    _check_consistency(schedule)
    return schedule


def parse_schedule_json(text: str | bytes) -> ScheduleFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleFileError(f"file: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ScheduleFileError("file: not UTF-8 encoded JSON") from None
    except RecursionError:
        raise ScheduleFileError("file: JSON nested too deeply") from None
    return parse_schedule(data)


def load_schedule_file(path: Path) -> ScheduleFile:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ScheduleFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_schedule_json(text)
