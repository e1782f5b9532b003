"""Expected working hours: what a rotation block costs a resident, estimated before any shift.

The rotation plan fixes most of a resident's yearly hours: :func:`expected_hours` is that share
(the rotation mix), :func:`hours_targets` the hours each block on a rotation whose coverage has
slack (``at_least``) could aim for so that every PGY class's yearly hours come out even.

The estimate:

* a rotation with daily coverage: its covered hours a day (each requirement's count times its
  shift's hours, ``at_least`` at its minimum, a home call none: it counts no hours) shared evenly
  by the residents staffed on it (a combined requirement by all groups' residents on it, a
  per-group one by the group's), times the days of the block the resident is not on leave. The
  demo: WARDS and ICU (a 26 h call and a 12 h day shift every day for four, or two, residents)
  266 h a block, NF (one 12 h night for two) 168 h;
* a weekly-pattern rotation (clinic): its shift's hours on each pattern day of the block that is
  neither a holiday nor leave (the demo's AMB: 171 or 180 h);
* any other rotation: nothing.

Leave lowers the hours worked; :func:`leave_credit` counts each leave day at the group's average
hours a day, so that residents are compared per day present rather than penalised for leave.
"""

from __future__ import annotations

from collections.abc import Collection

from app.generation.program import WEEKDAYS, RotationSpec
from app.generation.rotations import staffed_count
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS


def daily_hours(year: ProgramYear, rotation: str, group: str) -> float:
    """Covered hours a day of ``rotation`` per resident of ``group`` on it (0: no coverage)."""
    program = year.program
    staffed = {g: staffed_count(year, rotation, g) for g in program.groups}
    if staffed[group] <= 0:
        return 0.0
    hours = 0.0
    for req in (c for c in program.coverage if c.rotation == rotation):
        if year.timings[req.shift].is_home_call:
            continue  # time on the pager is no work: a generated home call counts 0 hours
        sharing = sum(staffed.values()) if req.scope == "combined" else staffed[group]
        hours += req.count * program.shift(req.shift).hours / max(1, sharing)
    return hours


def _pattern_hours(year: ProgramYear, spec: RotationSpec, block: int, away: Collection[int]) -> int:
    """A weekly-pattern rotation's hours in ``block``: its pattern days, less holidays and
    ``away`` (leave days)."""
    assert spec.weekly_pattern is not None
    weekdays = {WEEKDAYS.index(w) for w in spec.weekly_pattern}
    first = block * BLOCK_DAYS
    worked = sum(
        1
        for d in range(first, first + year.block_length(block))
        if year.weekday(d) in weekdays and d not in year.holidays and d not in away
    )
    return round(worked * year.program.shift(spec.shifts[0]).hours)


def block_hours(year: ProgramYear, resident: str, block: int, rotation: str) -> int:
    """Expected hours of ``resident`` on ``rotation`` in ``block`` (whole hours)."""
    spec = year.program.rotation(rotation)
    if spec.weekly_pattern is not None:
        return _pattern_hours(year, spec, block, year.leave[resident])
    present = year.working_days(resident, block)
    return round(present * daily_hours(year, rotation, year.group[resident]))


def group_daily_hours(year: ProgramYear, group: str) -> float:
    """The group's expected hours per resident and day, averaged over its rotations and year."""
    members = year.members(group)
    if not members:
        return 0.0
    total = 0.0  # expected hours of the whole group in one year
    for spec in year.program.rotations:
        staffed = staffed_count(year, spec.name, group)
        if staffed <= 0:
            continue
        if spec.weekly_pattern is not None:
            total += staffed * sum(_pattern_hours(year, spec, b, ()) for b in range(year.blocks))
        else:
            total += staffed * daily_hours(year, spec.name, group) * year.program.days
    return total / (len(members) * year.program.days)


def leave_credit(year: ProgramYear, resident: str, rate: float | None = None) -> int:
    """Hours credited for ``resident``'s leave: each day at ``rate``, by default the group's
    average daily hours."""
    days = len(year.leave[resident])
    if not days:
        return 0
    if rate is None:
        rate = group_daily_hours(year, year.group[resident])
    return round(days * rate)


def expected_hours(
    year: ProgramYear, resident: str, rotations: list[str], rate: float | None = None
) -> int:
    """Expected yearly hours of ``resident`` on ``rotations`` (one per block), leave credited
    (at ``rate``, see :func:`leave_credit`)."""
    worked = sum(block_hours(year, resident, b, n) for b, n in enumerate(rotations))
    return worked + leave_credit(year, resident, rate)


def flexible(year: ProgramYear, rotation: str) -> bool:
    """Can a resident's hours on ``rotation`` give: has it coverage ``at_least`` a count (shifts
    beyond the minimum, days off beyond the minimum)?"""
    return any(c.rotation == rotation and c.at_least is not None for c in year.program.coverage)


def hours_targets(
    year: ProgramYear, assignment: dict[str, list[str]]
) -> dict[tuple[str, int], int]:
    """Per (resident, block) on a :func:`flexible` rotation: the hours to aim for in that block
    so that each PGY class's yearly hours come out even. A resident expected to work ``s`` hours
    more than the class average (rotation mix, leave credited) aims ``s / n`` below the block's
    expected hours on each of their ``n`` flexible blocks."""
    targets: dict[tuple[str, int], int] = {}
    rates = {g: group_daily_hours(year, g) for g in year.program.groups}
    for pgy in sorted(set(year.pgy.values())):
        ids = year.of_class(pgy)
        expected = {r: expected_hours(year, r, assignment[r], rates[year.group[r]]) for r in ids}
        mean = sum(expected.values()) / len(ids)
        for r in ids:
            blocks = [b for b, n in enumerate(assignment[r]) if flexible(year, n)]
            for b in blocks:
                estimate = block_hours(year, r, b, assignment[r][b])
                targets[r, b] = round(estimate - (expected[r] - mean) / len(blocks))
    return targets
