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
    outcomes = [outcome for outcome, _ in parts]
    merged = merge_outcomes(outcomes)
    if hook is not None and merged.solutions:
        hook(merged.solutions, merged.objective, merged.bound)
    failed = next((g for g, (_, a) in zip(groups, parts, strict=True) if a is None), None)
    if failed is not None:
        return RotationPlan(merged, None, failed)
    assignment = {r: rotations for _, a in parts if a is not None for r, rotations in a.items()}
    return RotationPlan(merged, {r: assignment[r] for r in year.ids}, None)


def _plan_group_or_relax(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, dict[str, list[str]] | None]:
    """Even call-rotation blocks are our addition, not a program rule: drop them if they bite."""
    outcome, assignment = _plan_group(year, group, limits, relax)
    if outcome.status == "infeasible" and "call_blocks" not in relax:
        return _plan_group(year, group, limits, (*relax, "call_blocks"))
    return outcome, assignment


def _plan_group(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, dict[str, list[str]] | None]:
    program = year.program
    names = [r.name for r in program.rotations]
    blocks = range(year.blocks)
    members = year.members(group)
    model = cp_model.CpModel()
    x = {(r, b, n): model.new_bool_var("") for r in members for b in blocks for n in names}
    for r in members:
        for b in blocks:
            model.add_exactly_one(x[r, b, n] for n in names)
    for n in names:
        need = staffed_count(year, n, group)
        for b in blocks:
            model.add(sum(x[r, b, n] for r in members) == need)
        if program.rules.balance_rotation_counts and "balance" not in relax and members:
            total = need * year.blocks
            lo, hi = total // len(members), -(-total // len(members))
            for r in members:
                model.add_linear_constraint(sum(x[r, b, n] for b in blocks), lo, hi)
    if "consecutive" not in relax:
        for rotation in program.rotations:
            m = rotation.max_consecutive_blocks
            if m is None:
                continue
            for r in members:
                for b in range(year.blocks - m):
                    model.add(sum(x[r, b + i, rotation.name] for i in range(m + 1)) <= m)
    if "call_blocks" not in relax and program.rules.balance_rotation_counts and members:
        # call fairness is yearly: even the number of blocks on rotations with in-house call
        with_call = [
            n
            for n in names
            if any(year.timings[s].kind is ShiftKind.CALL for s in program.rotation(n).shifts)
        ]
        total = sum(staffed_count(year, n, group) for n in with_call) * year.blocks
        lo, hi = total // len(members), -(-total // len(members))
        for r in members:
            model.add_linear_constraint(sum(x[r, b, n] for b in blocks for n in with_call), lo, hi)
    if "leave" not in relax:
        _leave_capacity(model, year, group, x)
    covered = [n for n in names if any(c.rotation == n for c in program.coverage)]  # ordered
    penalty = [
        year.leave_days(r, b) * x[r, b, n]
        for r in members
        for b in blocks
        for n in covered
        if year.leave_days(r, b)
    ]
    if penalty:
        model.minimize(sum(penalty))
    outcome, solver = solve(model, limits)
    if outcome.status not in ("optimal", "feasible"):
        return outcome, None
    assignment = {
        r: [next(n for n in names if solver.boolean_value(x[r, b, n])) for b in blocks]
        for r in members
    }
    return outcome, assignment


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


def _leave_capacity(
    model: cp_model.CpModel,
    year: ProgramYear,
    group: str,
    x: dict[tuple[str, int, str], cp_model.IntVar],
) -> None:
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
            first = b * BLOCK_DAYS
            for d in range(first, first + BLOCK_DAYS):
                away = [x[r, b, rotation.name] for r in members if year.on_leave(r, d)]
                if len(away) > staffed - need:
                    model.add(sum(away) <= staffed - need)
            if not any(year.leave_days(r, b) for r in members):
                continue
            usable = [
                (year.working_days(r, b) - year.working_days(r, b) // 7) * x[r, b, rotation.name]
                for r in members
            ]
            model.add(sum(usable) >= BLOCK_DAYS * need)
