"""The residency program as data: what the generator reads (``Program``) and its file loader.

A program file describes one program: classes, shift definitions, rotations with per-group
staffing, daily coverage, program rules, leave and preferences. A file may also carry a ``sizes``
section (the demo program does): each size replaces some top-level keys, and the loader is told
which size to read. Loading is all-or-nothing; :class:`ProgramFileError` names the bad field.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.generation.timing import (
    ShiftTiming,
    crosses_block_edge,
    crosses_midnight_twice,
    reaches_day_after_next,
)
from app.schedules.calendar import BLOCK_DAYS, MIN_BLOCK_DAYS
from app.schedules.file_format import EARLIEST_DAY, LATEST_DAY, ShiftKind

DemoSize = Literal["small", "medium", "large"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REST: Literal["rest"] = "rest"


class ProgramFileError(ValueError):
    """A program file that cannot be used; the message names the offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShiftDefinition(_Strict):
    name: str = Field(min_length=1, max_length=32)
    kind: ShiftKind
    start: time
    hours: float = Field(gt=0, le=28)  # ACGME: at most 24 h + 4 h of continuous duty

    @property
    def timing(self) -> ShiftTiming:
        start = self.start.hour * 60 + self.start.minute
        return ShiftTiming(self.name, self.kind, start, round(self.hours * 60))


class ClassSpec(_Strict):
    pgy: int = Field(ge=1, le=10)
    group: str = Field(min_length=1, max_length=32)  # classes in one group are staffed together
    residents: int = Field(ge=0, le=1000)


class RotationSpec(_Strict):
    name: str = Field(min_length=1, max_length=32)
    shifts: list[str] = Field(min_length=1)
    max_consecutive_blocks: int | None = Field(default=None, ge=1)
    # A fixed weekly pattern (e.g. clinic Mon-Fri): the rotation's one shift on these weekdays.
    weekly_pattern: list[Weekday] | None = None
    # Eligibility: only residents of PGY-min_pgy or above may work the rotation.
    min_pgy: int | None = Field(default=None, ge=1, le=10)

    def eligible(self, pgy: int) -> bool:
        return self.min_pgy is None or pgy >= self.min_pgy


class CoverageRequirement(_Strict):
    rotation: str
    shift: str
    scope: Literal["group", "combined"] = "group"  # per staffing group, or all groups together
    exactly: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=0)

    @property
    def count(self) -> int:
        return self.exactly if self.exactly is not None else (self.at_least or 0)


class ProgramRules(_Strict):
    balance_rotation_counts: bool = True  # yearly count of each rotation within one of average
    call_spread: int = Field(default=1, ge=0)  # max yearly in-house call difference in a class
    # Humane defaults (spec revision 2): never call every other night, bounded runs of work.
    free_nights_between_calls: int = Field(default=2, ge=0, le=5)  # 2: calls >= 72 h apart
    # Home call is not limited by q3 (ACGME), but taking the pager every night precludes rest.
    free_nights_between_home_calls: int = Field(default=2, ge=0, le=5)  # 2: home calls q3
    max_consecutive_working_days: int = Field(default=6, ge=2, le=12)
    max_consecutive_nights: int = Field(default=6, ge=2, le=12)
    # Yearly weekend calls (Saturday, Sunday) and holiday calls: max difference in a class.
    weekend_call_spread: int = Field(default=2, ge=0)
    holiday_call_spread: int = Field(default=2, ge=0)


class SeniorityRule(_Strict):
    """Every day, of the residents of ``rotation`` on ``shift``, ``at_least`` are PGY-``min_pgy``
    or above (e.g. one PGY-2+ on every night and every call)."""

    rotation: str
    shift: str
    min_pgy: int = Field(ge=2, le=10)
    at_least: int = Field(default=1, ge=1)


class ResidentSpec(_Strict):
    id: str = Field(min_length=1, max_length=64)
    pgy: int = Field(ge=1, le=10)
    name: str | None = Field(default=None, max_length=200)


class PreAssignment(_Strict):
    """A rotation fixed in advance: ``resident`` works ``rotation`` in ``block`` (1-based)."""

    resident: str
    block: int = Field(ge=1)
    rotation: str


class LeaveRequest(_Strict):
    resident: str
    start: date
    end: date  # inclusive


class LeaveAsk(LeaveRequest):
    """Leave that may be refused: granted before solving in ``priority`` order (higher first)."""

    priority: int = 0


class Preference(_Strict):
    resident: str
    days_off: list[Weekday] = Field(default_factory=list)
    avoid_dates: list[date] = Field(default_factory=list)
    weight: int = Field(default=1, ge=1, le=100)


class Program(_Strict):
    name: str = Field(min_length=1, max_length=200)
    academic_year_start: date
    blocks: int = Field(ge=1, le=26)  # 28-day blocks
    classes: list[ClassSpec] = Field(min_length=1)
    residents: list[ResidentSpec] | None = None  # default: ids pgy1-01, pgy1-02, ...
    shifts: list[ShiftDefinition] = Field(min_length=1)
    rotations: list[RotationSpec] = Field(min_length=1)
    staffing: dict[str, dict[str, int | Literal["rest"]]]  # rotation -> group -> per block
    coverage: list[CoverageRequirement] = Field(default_factory=list)
    rules: ProgramRules = Field(default_factory=ProgramRules)
    leave: list[LeaveRequest] = Field(default_factory=list)  # always granted
    leave_requests: list[LeaveAsk] = Field(default_factory=list)  # granted while staffing allows
    preferences: list[Preference] = Field(default_factory=list)
    # Holidays: clinics (weekly-pattern rotations) are closed, holiday call is shared fairly.
    # A list of dates, or a country code for its public holidays ("US": federal holidays).
    holidays: list[date] | str = Field(default_factory=list)
    seniority: list[SeniorityRule] = Field(default_factory=list)  # minimum seniority per crew
    assignments: list[PreAssignment] = Field(default_factory=list)  # rotations fixed in advance

    def holiday_dates(self) -> list[date]:
        """The holidays inside the year, in order."""
        if isinstance(self.holidays, str):
            import holidays as calendars  # loaded only for programs that name a country

            years = range(self.academic_year_start.year, self.year_end.year + 1)
            found = list(calendars.country_holidays(self.holidays, years=years))
        else:
            found = list(self.holidays)
        return sorted(d for d in set(found) if self.academic_year_start <= d <= self.year_end)

    @property
    def days(self) -> int:
        """The blocks' days; when they fall short of the full year by less than a week (13
        blocks: 364 of 365 days), the rest joins the last block (spec: ``period.block_start``)."""
        base = self.blocks * BLOCK_DAYS
        start = self.academic_year_start
        if start.year >= date.max.year:
            return base
        if (start.month, start.day) == (2, 29):
            anniversary = date(start.year + 1, 3, 1)
        else:
            anniversary = start.replace(year=start.year + 1)
        full = (anniversary - start).days
        return full if 0 <= full - base < MIN_BLOCK_DAYS else base

    @property
    def year_end(self) -> date:
        return self.academic_year_start + timedelta(days=self.days - 1)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self.classes))

    def group_of(self, pgy: int) -> str:
        return next(c.group for c in self.classes if c.pgy == pgy)

    def roster(self) -> list[ResidentSpec]:
        if self.residents is not None:
            return list(self.residents)
        return [
            ResidentSpec(id=f"pgy{c.pgy}-{i:02d}", pgy=c.pgy)
            for c in self.classes
            for i in range(1, c.residents + 1)
        ]

    def shift(self, name: str) -> ShiftDefinition:
        return next(s for s in self.shifts if s.name == name)

    def rotation(self, name: str) -> RotationSpec:
        return next(r for r in self.rotations if r.name == name)


# --- loading -----------------------------------------------------------------------------------


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"


def parse_program(data: object, *, size: str | None = None) -> Program:
    """Check a decoded program document (choosing ``size`` if it has sizes) into a Program."""
    if not isinstance(data, dict):
        raise ProgramFileError("file: expected a JSON object describing a program")
    data = _select_size(data, size)
    try:
        program = Program.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ProgramFileError(f"{_location(tuple(err['loc']))}: {message}") from None
    _check_references(program)
    return program


def _select_size(data: dict[str, Any], size: str | None) -> dict[str, Any]:
    sizes = data.get("sizes")
    if sizes is None:
        if size is not None:
            raise ProgramFileError(f"sizes: the file defines no sizes, cannot select {size!r}")
        return data
    if not isinstance(sizes, dict) or not sizes:
        raise ProgramFileError("sizes: expected an object mapping size names to overrides")
    if size is None:
        raise ProgramFileError(f"sizes: the file defines sizes {', '.join(sizes)}; choose one")
    if size not in sizes:
        raise ProgramFileError(f"sizes: no size {size!r} (the file has {', '.join(sizes)})")
    override = sizes[size]
    if not isinstance(override, dict):
        raise ProgramFileError(f"sizes.{size}: expected an object of top-level fields")
    return {k: v for k, v in data.items() if k != "sizes"} | override


def load_program(path: Path, *, size: str | None = None) -> Program:
    """Read a program file; a file with a ``sizes`` section needs ``size``."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ProgramFileError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgramFileError(f"file: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_program(data, size=size)


def demo_program(size: DemoSize) -> Program:
    """The demo/benchmark program of ``spec/benchmark-program.md``, read from the shipped data."""
    shipped = resources.files("app.generation").joinpath("data", "demo-program.json")
    return parse_program(json.loads(shipped.read_text("utf-8")), size=size)


# --- cross-field checks ------------------------------------------------------------------------


def _duplicates(names: list[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _fail(where: str, message: str) -> NoReturn:
    raise ProgramFileError(f"{where}: {message}")


def _check_references(p: Program) -> None:
    """Cross-field checks, in a fixed order so a file with several errors always reports one."""
    if not EARLIEST_DAY <= p.academic_year_start <= LATEST_DAY - timedelta(days=p.days):
        _fail("academic_year_start", f"the year must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    _check_unique_names(p)
    _check_shifts(p)
    _check_rotations(p)
    _check_staffing(p)
    _check_coverage(p)
    for i, rule in enumerate(p.seniority):
        if rule.rotation not in {r.name for r in p.rotations}:
            _fail(f"seniority[{i}].rotation", f"unknown rotation {rule.rotation!r}")
        if rule.shift not in p.rotation(rule.rotation).shifts:
            _fail(f"seniority[{i}].shift", f"rotation {rule.rotation} does not use {rule.shift!r}")
    roster = p.roster()
    if (dup := _duplicates([person.id for person in roster])) is not None:
        _fail("residents", f"resident id {dup!r} is used twice")
    if p.residents is not None:  # else the roster is made from the classes
        _check_listed_residents(p, p.residents)
    _check_requests(p, {person.id for person in roster})
    _check_assignments(p, {person.id: person.pgy for person in roster})
    if isinstance(p.holidays, str):
        try:
            p.holiday_dates()
        except NotImplementedError:
            _fail("holidays", f"no holiday calendar for country {p.holidays!r} (e.g. 'US')")


def _check_unique_names(p: Program) -> None:
    """Everything else refers to classes, shifts and rotations by name."""
    if (dup := _duplicates([str(c.pgy) for c in p.classes])) is not None:
        _fail("classes", f"PGY-{dup} is listed twice")
    if (dup := _duplicates([s.name for s in p.shifts])) is not None:
        _fail("shifts", f"shift {dup!r} is defined twice")
    if (dup := _duplicates([r.name for r in p.rotations])) is not None:
        _fail("rotations", f"rotation {dup!r} is defined twice")


def _check_shifts(p: Program) -> None:
    """Only shifts the generator places, and whose rest rules reach no further than a day."""
    timings = [s.timing for s in p.shifts]
    for i, s in enumerate(p.shifts):
        if s.kind is ShiftKind.MOONLIGHTING:
            _fail(f"shifts[{i}].kind", "moonlighting is not scheduled by the program")
        if crosses_midnight_twice(s.timing) or reaches_day_after_next(s.timing, timings):
            _fail(f"shifts[{i}].hours", "shift plus its required rest must end by the next day")


def _check_rotations(p: Program) -> None:
    """Known shifts, one call shift at most (calls are planned per rotation), a staffing entry."""
    for i, r in enumerate(p.rotations):
        for j, name in enumerate(r.shifts):
            if name not in {s.name for s in p.shifts}:
                _fail(f"rotations[{i}].shifts[{j}]", f"unknown shift {name!r}")
        if [p.shift(n).kind for n in r.shifts].count(ShiftKind.CALL) > 1:
            _fail(f"rotations[{i}].shifts", "a rotation may use at most one in-house call shift")
        if r.weekly_pattern is not None:
            _check_weekly_pattern(p, i, r)
        if r.min_pgy is not None and all(c.pgy < r.min_pgy for c in p.classes):
            _fail(f"rotations[{i}].min_pgy", f"no class is PGY-{r.min_pgy} or above")
        if r.name not in p.staffing:
            _fail("staffing", f"no staffing for rotation {r.name!r}")


def _check_weekly_pattern(p: Program, i: int, r: RotationSpec) -> None:
    """A pattern rotation is not modelled: one shift, and nothing to hand over between blocks."""
    if any(p.shift(name).kind is ShiftKind.HOME_CALL for name in r.shifts):
        _fail(
            f"rotations[{i}].shifts",
            "a weekly-pattern rotation takes no home call (home call is shared by coverage)",
        )
    if len(r.shifts) != 1:
        _fail(f"rotations[{i}].shifts", "a weekly-pattern rotation uses exactly one shift")
    if crosses_block_edge(p.shift(r.shifts[0]).timing, [s.timing for s in p.shifts]):
        _fail(f"rotations[{i}].shifts", "a weekly-pattern shift must leave a full rest")


def _check_staffing(p: Program) -> None:
    """Known rotations and groups; per group one 'rest' rotation, taking whoever is left over."""
    for name, per_group in p.staffing.items():
        if name not in {r.name for r in p.rotations}:
            _fail(f"staffing.{name}", "unknown rotation")
        for group in per_group:
            if group not in p.groups:
                _fail(f"staffing.{name}.{group}", f"unknown group (groups: {', '.join(p.groups)})")
    for group in p.groups:
        rest = [per_group.get(group) for per_group in p.staffing.values()].count(REST)
        if rest > 1:
            _fail("staffing", f"group {group!r} has more than one 'rest' rotation")
        if rest == 0:
            _fail("staffing", f"group {group!r} needs one rotation staffed with 'rest'")


def _check_coverage(p: Program) -> None:
    """A shift the rotation uses, one kind of count, and no coverage on a fixed pattern."""
    for i, c in enumerate(p.coverage):
        where = f"coverage[{i}]"
        if c.rotation not in {r.name for r in p.rotations}:
            _fail(f"{where}.rotation", f"unknown rotation {c.rotation!r}")
        rotation = p.rotation(c.rotation)
        if c.shift not in rotation.shifts:
            _fail(f"{where}.shift", f"rotation {c.rotation} does not use shift {c.shift!r}")
        if (c.exactly is None) == (c.at_least is None):
            _fail(where, "give exactly one of 'exactly' and 'at_least'")
        if rotation.weekly_pattern is not None:
            _fail(where, f"rotation {c.rotation} follows a weekly pattern and takes no coverage")


def _check_listed_residents(p: Program, residents: list[ResidentSpec]) -> None:
    """A listed roster matches the classes: their sizes, and no resident outside them."""
    for spec in p.classes:
        listed = sum(1 for person in residents if person.pgy == spec.pgy)
        if listed != spec.residents:
            _fail("residents", f"{listed} PGY-{spec.pgy} listed, classes say {spec.residents}")
    for i, person in enumerate(residents):
        if person.pgy not in {spec.pgy for spec in p.classes}:
            _fail(f"residents[{i}].pgy", f"no class PGY-{person.pgy}")


def _check_requests(p: Program, ids: set[str]) -> None:
    """Leave, leave requests and preferences name known residents; leave lies within the year."""
    listed: list[tuple[str, LeaveRequest]] = [
        *((f"leave[{i}]", e) for i, e in enumerate(p.leave)),
        *((f"leave_requests[{i}]", e) for i, e in enumerate(p.leave_requests)),
    ]
    for where, leave in listed:
        if leave.resident not in ids:
            _fail(f"{where}.resident", f"unknown resident {leave.resident!r}")
        if leave.end < leave.start:
            _fail(f"{where}.end", "must not be before start")
        if leave.start < p.academic_year_start or leave.end > p.year_end:
            _fail(where, f"outside the academic year {p.academic_year_start} to {p.year_end}")
    for i, pref in enumerate(p.preferences):
        if pref.resident not in ids:
            _fail(f"preferences[{i}].resident", f"unknown resident {pref.resident!r}")


def _check_assignments(p: Program, pgy: dict[str, int]) -> None:
    """Pre-assigned rotations name a known resident, block and rotation the resident may work,
    and at most one rotation per resident and block."""
    seen: set[tuple[str, int]] = set()
    names = {r.name for r in p.rotations}
    for i, a in enumerate(p.assignments):
        where = f"assignments[{i}]"
        if a.resident not in pgy:
            _fail(f"{where}.resident", f"unknown resident {a.resident!r}")
        if a.rotation not in names:
            _fail(f"{where}.rotation", f"unknown rotation {a.rotation!r}")
        if a.block > p.blocks:
            _fail(f"{where}.block", f"block {a.block} is past the year's last block {p.blocks}")
        if (a.resident, a.block) in seen:
            _fail(where, f"{a.resident} is already assigned a rotation in block {a.block}")
        seen.add((a.resident, a.block))
        rotation = p.rotation(a.rotation)
        if not rotation.eligible(pgy[a.resident]):
            _fail(
                where,
                f"{a.rotation} is for PGY-{rotation.min_pgy} and above; "
                f"{a.resident} is PGY-{pgy[a.resident]}",
            )
