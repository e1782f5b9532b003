"""Cheap staffing and capacity checks before any solving, phrased for a program coordinator.

Each check is a necessary condition; when one fails the generator reports it instead of a solver
status. Passing them all does not prove feasibility (the solver-side diagnosis covers the rest).
"""

from __future__ import annotations

from app.generation.program import REST, LeaveRequest, Program
from app.generation.rotations import daily_need, staffed_count
from app.generation.timing import DAY, ShiftTiming, clash_same_day
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

WEEK_MINUTES = 80 * 60


def precheck(year: ProgramYear) -> list[str]:
    checks = _staffing(year) + _coverage(year) + _home_call_room(year)
    return checks + _eligibility(year) + _pre_assigned(year)


def grant_leave(program: Program) -> tuple[Program, list[str]]:
    """Grant ``leave_requests`` by priority (higher first; ties: earlier start, then resident),
    each whole or not at all: a request is refused when on one of its days too few of the
    resident's group would be left for what its rotations need at work every day (coverage plus
    post-call rest, as in the leave diagnosis). Returns the program with the granted requests
    added to its leave, and one sentence per refused request."""
    if not program.leave_requests:
        return program, []
    year = ProgramYear(program)
    needs = {
        g: {r.name: n for r in program.rotations if (n := daily_need(year, r.name, g))}
        for g in program.groups
    }
    away = {r: set(days) for r, days in year.leave.items()}
    granted: list[LeaveRequest] = []
    refused: list[str] = []
    start = program.academic_year_start
    order = sorted(program.leave_requests, key=lambda q: (-q.priority, q.start, q.resident))
    for ask in order:
        group = year.group[ask.resident]
        busy, total = needs[group], sum(needs[group].values())
        members = year.members(group)
        days = range((ask.start - start).days, (ask.end - start).days + 1)
        short = None
        for day in days:
            if day in away[ask.resident]:
                continue
            left = sum(1 for r in members if day not in away[r]) - 1
            if left < total:
                short = (day, left)
                break
        if short is None:
            away[ask.resident].update(days)
            granted.append(LeaveRequest(resident=ask.resident, start=ask.start, end=ask.end))
            continue
        day, left = short
        refused.append(
            f"{ask.resident}'s leave {ask.start.isoformat()} to {ask.end.isoformat()} refused: "
            f"on {year.day_date(day).isoformat()} the {group} could not staff "
            f"{', '.join(busy)} ({total} needed, {left} left)"
        )
    return program.model_copy(update={"leave": [*program.leave, *granted]}), refused


def _staffing(year: ProgramYear) -> list[str]:
    problems: list[str] = []
    program = year.program
    for group in program.groups:
        size = len(year.members(group))
        fixed = {
            name: int(v)
            for name, per_group in program.staffing.items()
            if (v := per_group.get(group, 0)) != REST and int(v) > 0
        }
        for name, need in fixed.items():
            if need > size:
                problems.append(
                    f"{name} needs {need} {group} per block but there are only {size} {group}"
                )
        if len(fixed) > 1 and sum(fixed.values()) > size:
            names = ", ".join(fixed)
            problems.append(
                f"{names} together need {sum(fixed.values())} {group} per block "
                f"but there are only {size} {group}"
            )
        for rotation in program.rotations:
            m = rotation.max_consecutive_blocks
            need = staffed_count(year, rotation.name, group)
            if m is None or need <= 0 or year.blocks <= m or need > size:
                continue
            # over any m + 1 consecutive blocks each resident can take at most m of them
            least = -(-need * (m + 1) // m)
            if least > size:
                rule = "in consecutive blocks" if m == 1 else f"more than {m} blocks in a row"
                problems.append(
                    f"{rotation.name} needs {need} {group} per block and nobody may do it "
                    f"{rule}, so it needs at least {least} {group}; there are {size}"
                )
    return problems


def _coverage(year: ProgramYear) -> list[str]:
    problems: list[str] = []
    program = year.program
    for req in program.coverage:
        if req.count == 0:
            continue
        groups = program.groups
        staffed = {g: staffed_count(year, req.rotation, g) for g in groups}
        if req.scope == "combined":
            members = sum(staffed.values())
            label = req.rotation
            if members == 0:
                problems.append(
                    f"{req.rotation} must have {req.count} on {req.shift} every day "
                    f"but nobody is staffed on {req.rotation}"
                )
                continue
            problems.extend(_capacity(year, label, req.shift, req.count, members))
            continue
        for g in groups:
            if staffed[g] <= 0:
                problems.append(
                    f"{req.rotation} must have {req.count} {g} on {req.shift} every day "
                    f"but no {g} are staffed on {req.rotation}"
                )
                continue
            label = f"{req.rotation} ({g})"
            problems.extend(_capacity(year, label, req.shift, req.count, staffed[g]))
    return problems


def _capacity(year: ProgramYear, label: str, shift: str, count: int, members: int) -> list[str]:
    """Can ``members`` residents work ``count`` of ``shift`` every day of a block at all?"""
    timing: ShiftTiming = year.timings[shift]
    need = count * BLOCK_DAYS
    days_off = BLOCK_DAYS // 7
    if members < count:
        return [f"{label} needs {count} on {shift} every day but only {members} are staffed"]
    if timing.is_home_call:
        return _home_call_capacity(year, label, shift, count, members)
    if timing.is_in_house_call:
        most = BLOCK_DAYS // 3
        if members * most < need:
            least = -(-need // most)
            return [
                f"{label}: {count} in-house call(s) every day need at least {least} residents "
                f"under the every-third-night limit, but only {members} are staffed"
            ]
    # a worked day whose shift spills past midnight also spoils the next day as a day off
    spoiled = 1 if timing.spill else 0
    by_days_off = BLOCK_DAYS - days_off - spoiled
    by_hours = (WEEK_MINUTES * BLOCK_DAYS) // (7 * timing.length)
    if members * by_days_off < need:
        return [
            f"the {label} pool of {members} is too small to cover {count} {shift} shift(s) "
            f"every day with 1 day off in 7"
        ]
    if members * by_hours < need:
        return [
            f"the {label} pool of {members} is too small to cover {count} {shift} shift(s) "
            f"every day within 80 hours a week"
        ]
    if timing.spill and timing.end > DAY and timing.is_in_house_call and members < 2 * count:
        return [f"{label} needs {2 * count} residents so post-call residents can rest"]
    return []


def _home_call_capacity(
    year: ProgramYear, label: str, shift: str, count: int, members: int
) -> list[str]:
    """Home calls count no hours, but are spaced by the program's rule and keep two calendar
    days (their own and the morning after) from being days off."""
    gap = year.home_call_gap()
    most = -(-BLOCK_DAYS // gap)
    need = count * BLOCK_DAYS
    if members * most < need:
        free = gap - 1
        least = -(-need // most)
        return [
            f"{label}: {count} home call(s) every day need at least {least} residents "
            f"with {free} free night(s) between one resident's home calls "
            f"(rules.free_nights_between_home_calls), but only {members} are staffed"
        ]
    if members * (BLOCK_DAYS - BLOCK_DAYS // 7 - 1) < need:
        return [
            f"the {label} pool of {members} is too small to cover {count} home call(s) ({shift}) "
            "every day with 1 day off in 7 (a day with home call, or the morning after one, is "
            "not a day off)"
        ]
    return []


def _home_call_room(year: ProgramYear) -> list[str]:
    """Whoever takes a home call cannot work an in-house shift it overlaps that day (no
    call-ins are generated): the rotation needs people for both every day."""
    problems: list[str] = []
    program = year.program
    for home in program.coverage:
        timing = year.timings[home.shift]
        if not timing.is_home_call or home.count == 0:
            continue
        overlapped = [
            c
            for c in program.coverage
            if (c.rotation, c.scope) == (home.rotation, home.scope)
            and not year.timings[c.shift].is_home_call
            and clash_same_day(year.timings[c.shift], timing)
        ]
        if not overlapped:
            continue
        need = home.count + sum(c.count for c in overlapped)
        groups: list[str | None] = [None] if home.scope == "combined" else list(program.groups)
        for g in groups:
            staffed = [
                staffed_count(year, home.rotation, x) for x in program.groups if g in (None, x)
            ]
            members = sum(staffed)
            if members <= 0 or members >= need:
                continue
            label = home.rotation if g is None else f"{home.rotation} ({g})"
            shifts = ", ".join(repr(c.shift) for c in overlapped)
            wanted = ", ".join(f"{c.count} on {c.shift}" for c in overlapped)
            problems.append(
                f"{label}: the home call {home.shift!r} overlaps the {shifts} shift, so whoever "
                f"takes it cannot work that shift the same day; {wanted} and {home.count} on "
                f"{home.shift} every day need {need} residents, but only {members} are staffed"
            )
    return problems


def _eligibility(year: ProgramYear) -> list[str]:
    """A rotation open to PGY-n and above only needs enough of them in each group it staffs."""
    problems: list[str] = []
    program = year.program
    for rotation in program.rotations:
        if rotation.min_pgy is None:
            continue
        for group in program.groups:
            need = staffed_count(year, rotation.name, group)
            eligible = [r for r in year.members(group) if rotation.eligible(year.pgy[r])]
            if need > len(eligible):
                problems.append(
                    f"{rotation.name} is open to PGY-{rotation.min_pgy} and above only and needs "
                    f"{need} {group} per block, but only {len(eligible)} {group} are "
                    f"PGY-{rotation.min_pgy} or above"
                )
    return problems


def _pre_assigned(year: ProgramYear) -> list[str]:
    """No block may have more residents pre-assigned to a rotation than it takes."""
    problems: list[str] = []
    program = year.program
    counts: dict[tuple[str, int, str], int] = {}
    for a in program.assignments:
        key = (a.rotation, a.block, year.group[a.resident])
        counts[key] = counts.get(key, 0) + 1
    for (rotation, block, group), count in counts.items():
        need = staffed_count(year, rotation, group)
        if count > need:
            problems.append(
                f"{count} {group} are pre-assigned to {rotation} in block {block}, but it takes "
                f"only {need} {group} per block"
            )
    return problems
