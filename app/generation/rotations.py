"""Phase 1: one rotation per resident per block (CP-SAT).

Staffing groups (interns, seniors) share nothing in this phase, so each is its own model.
Hard: per-block staffing counts per group, max consecutive blocks per rotation (no more than 2
WARDS, no two NF in a row), and each resident's yearly count of each rotation within one of the
group average. Also, so that yearly call fairness comes cheap in phase 2, each resident's number
of blocks on rotations with in-house call is within one of the group average (dropped if that
alone makes a group infeasible). Leave-aware: the objective keeps leave days off rotations that
carry coverage.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.generation.program import REST
from app.generation.solve import Outcome, SolutionHook, SolveLimits, merge_outcomes, solve
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS
from app.schedules.file_format import ShiftKind

Relaxation = str  # "balance" | "consecutive" | "call_blocks" | "leave": rule families dropped


@dataclass(frozen=True, slots=True)
class RotationPlan:
    outcome: Outcome
    assignment: dict[str, list[str]] | None  # resident -> rotation name per block
    failed_group: str | None = None  # the staffing group that has no plan


def staffed_count(year: ProgramYear, rotation: str, group: str) -> int:
    """Residents of ``group`` on ``rotation`` in every block ('rest' resolved)."""
    value = year.program.staffing[rotation].get(group, 0)
    if value != REST:
        return int(value)
    fixed = sum(
        int(v)
        for name, per_group in year.program.staffing.items()
        if name != rotation and (v := per_group.get(group, 0)) != REST
    )
    return len(year.members(group)) - fixed


def plan_rotations(
    year: ProgramYear,
    limits: SolveLimits,
    *,
    hook: SolutionHook | None = None,
    relax: Collection[Relaxation] = (),
) -> RotationPlan:
    """Solve each staffing group on its own (they share nothing in this phase), two at a time."""
    groups = year.program.groups
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(lambda g: _plan_group_or_relax(year, g, limits, relax), groups))
    merged = merge_outcomes([outcome for outcome, _ in parts])
    if hook is not None and merged.solutions:
        hook(merged.solutions, merged.objective, merged.bound)
    assignment: dict[str, list[str]] = {}
    for group, (_, part) in zip(groups, parts, strict=True):
        if part is None:  # the first group without a plan is the one to explain
            return RotationPlan(merged, None, group)
        assignment.update(part)
    return RotationPlan(merged, {r: assignment[r] for r in year.ids}, None)


def _plan_group_or_relax(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, dict[str, list[str]] | None]:
    """Even call-rotation blocks are our addition, not a program rule: drop them if they bite."""
    outcome, assignment = _plan_group(year, group, limits, relax)
    if outcome.status == "infeasible" and "call_blocks" not in relax:
        return _plan_group(year, group, limits, (*relax, "call_blocks"))
    return outcome, assignment


Plan = dict[tuple[str, int, str], cp_model.IntVar]  # (resident, block, rotation) -> on it


def _plan_group(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, dict[str, list[str]] | None]:
    model = cp_model.CpModel()
    x = _one_rotation_per_block(model, year, group)
    # the order of variables and constraints is part of the model: it steers CP-SAT's search
    balance = year.program.rules.balance_rotation_counts
    for rotation in year.program.rotations:
        need = staffed_count(year, rotation.name, group)
        _staffing(model, year, group, x, rotation.name, need)
        if balance and "balance" not in relax:
            _within_one_of_average(model, year, group, x, [rotation.name], need * year.blocks)
    if "consecutive" not in relax:
        _consecutive_blocks(model, year, group, x)
    if balance and "call_blocks" not in relax:
        _call_blocks(model, year, group, x)
    if "leave" not in relax:
        _leave_capacity(model, year, group, x)
    penalty = _leave_on_covered_rotations(year, group, x)
    if penalty:
        model.minimize(sum(penalty))
    return _solve_plan(model, year, group, x, limits)


def _one_rotation_per_block(model: cp_model.CpModel, year: ProgramYear, group: str) -> Plan:
    """The plan's variables; each resident is on exactly one rotation in each block."""
    names = [r.name for r in year.program.rotations]
    members = year.members(group)
    blocks = range(year.blocks)
    x = {(r, b, n): model.new_bool_var("") for r in members for b in blocks for n in names}
    for r in members:
        for b in blocks:
            model.add_exactly_one(x[r, b, n] for n in names)
    return x


def _staffing(
    model: cp_model.CpModel, year: ProgramYear, group: str, x: Plan, rotation: str, need: int
) -> None:
    """The program's per-block staffing count of the group on the rotation, in every block."""
    members = year.members(group)
    for b in range(year.blocks):
        model.add(sum(x[r, b, rotation] for r in members) == need)


def _within_one_of_average(
    model: cp_model.CpModel,
    year: ProgramYear,
    group: str,
    x: Plan,
    rotations: list[str],
    total: int,
) -> None:
    """Share ``total`` blocks on ``rotations`` evenly: each member's yearly count within one of
    the average (no resident does all the hard rotations)."""
    members = year.members(group)
    if not members:
        return
    lo, hi = total // len(members), -(-total // len(members))
    for r in members:
        count = sum(x[r, b, n] for b in range(year.blocks) for n in rotations)
        model.add_linear_constraint(count, lo, hi)


def _consecutive_blocks(model: cp_model.CpModel, year: ProgramYear, group: str, x: Plan) -> None:
    """At most ``max_consecutive_blocks`` of a rotation in a row: any m + 1 blocks hold m."""
    for rotation in year.program.rotations:
        m = rotation.max_consecutive_blocks
        if m is None:
            continue
        for r in year.members(group):
            for b in range(year.blocks - m):
                model.add(sum(x[r, b + i, rotation.name] for i in range(m + 1)) <= m)


def _call_blocks(model: cp_model.CpModel, year: ProgramYear, group: str, x: Plan) -> None:
    """Call fairness is yearly: even out the blocks on rotations with in-house call, so phase 2
    can share calls evenly without fighting the rotation plan."""
    program = year.program
    with_call = [
        r.name
        for r in program.rotations
        if any(year.timings[s].kind is ShiftKind.CALL for s in r.shifts)
    ]
    total = sum(staffed_count(year, n, group) for n in with_call) * year.blocks
    _within_one_of_average(model, year, group, x, with_call, total)


def _leave_on_covered_rotations(
    year: ProgramYear, group: str, x: Plan
) -> list[cp_model.LinearExprT]:
    """Soft: a leave day spent on a rotation that carries coverage leaves a gap to fill."""
    covered = [
        r.name
        for r in year.program.rotations
        if any(c.rotation == r.name for c in year.program.coverage)
    ]
    return [
        year.leave_days(r, b) * x[r, b, n]
        for r in year.members(group)
        for b in range(year.blocks)
        for n in covered
        if year.leave_days(r, b)
    ]


def _solve_plan(
    model: cp_model.CpModel, year: ProgramYear, group: str, x: Plan, limits: SolveLimits
) -> tuple[Outcome, dict[str, list[str]] | None]:
    outcome, solver = solve(model, limits)
    if outcome.status not in ("optimal", "feasible"):
        return outcome, None
    names = [r.name for r in year.program.rotations]
    return outcome, {
        r: [next(n for n in names if solver.boolean_value(x[r, b, n])) for b in range(year.blocks)]
        for r in year.members(group)
    }


def daily_need(year: ProgramYear, rotation: str, group: str) -> int:
    """Residents of ``group`` a rotation ties up every day: coverage plus post-call rest.

    A combined requirement (the ICU) is split by staffing share, rounded down, so this stays a
    necessary condition while groups are planned apart.
    """
    program = year.program
    names = program.rotation(rotation).shifts
    timing = year.timings
    staffed = {g: staffed_count(year, rotation, g) for g in program.groups}
    need = 0.0
    for req in (c for c in program.coverage if c.rotation == rotation):
        count = float(req.count)
        if req.scope == "combined":
            count *= staffed[group] / max(1, sum(staffed.values()))
        # whoever works a shift that rules out every shift of the next day is busy then too
        resting = all(conflicts(timing[req.shift], timing[n], 1) for n in names)
        need += count * (2 if resting else 1)
    return math.floor(need)


def _leave_capacity(model: cp_model.CpModel, year: ProgramYear, group: str, x: Plan) -> None:
    """Keep enough of each rotation's residents present every day, with room for days off.

    Necessary conditions for phase 3 only: on each day, present residents cover the daily need;
    over the block, present days minus required days off cover it too.
    """
    members = year.members(group)
    for rotation in year.program.rotations:
        need = daily_need(year, rotation.name, group)
        staffed = staffed_count(year, rotation.name, group)
        if need == 0 or staffed == 0:
            continue
        for b in range(year.blocks):
            on_it = {r: x[r, b, rotation.name] for r in members}
            _present_every_day(model, year, on_it, b, staffed - need)
            if not any(year.leave_days(r, b) for r in members):
                continue  # a rule about leave: a block without any adds nothing
            usable = [
                (year.working_days(r, b) - year.working_days(r, b) // 7) * v
                for r, v in on_it.items()
            ]
            model.add(sum(usable) >= BLOCK_DAYS * need)


def _present_every_day(
    model: cp_model.CpModel,
    year: ProgramYear,
    on_it: dict[str, cp_model.IntVar],
    b: int,
    spare: int,
) -> None:
    """On no day of block ``b`` may more than ``spare`` of the rotation's residents be on leave."""
    for d in range(b * BLOCK_DAYS, (b + 1) * BLOCK_DAYS):
        away = [v for r, v in on_it.items() if year.on_leave(r, d)]
        if len(away) > spare:  # else it could never bind: leave it out of the model
            model.add(sum(away) <= spare)
