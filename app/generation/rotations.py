"""Phase 1: one rotation per resident per block (CP-SAT).

Hard: per-block staffing counts per group, max consecutive blocks per rotation (no more than 2
WARDS, no two NF in a row), and each resident's yearly count of each rotation within one of the
group average. Leave-aware: the objective keeps leave days off rotations that carry coverage.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.generation.program import REST
from app.generation.solve import Outcome, SolutionHook, SolveLimits, solve
from app.generation.year import ProgramYear

Relaxation = str  # "balance" | "consecutive": rule families dropped when diagnosing


@dataclass(frozen=True, slots=True)
class RotationPlan:
    outcome: Outcome
    assignment: dict[str, list[str]] | None  # resident -> rotation name per block


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
    program = year.program
    names = [r.name for r in program.rotations]
    blocks = range(year.blocks)
    model = cp_model.CpModel()
    x = {
        (r, b, n): model.new_bool_var(f"x[{r},{b},{n}]") for r in year.ids for b in blocks for n in names
    }
    for r in year.ids:
        for b in blocks:
            model.add_exactly_one(x[r, b, n] for n in names)
    for group in program.groups:
        members = year.members(group)
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
            for r in year.ids:
                for b in range(year.blocks - m):
                    model.add(sum(x[r, b + i, rotation.name] for i in range(m + 1)) <= m)
    covered = {c.rotation for c in program.coverage}
    penalty = [
        year.leave_days(r, b) * x[r, b, n]
        for r in year.ids
        for b in blocks
        for n in covered
        if year.leave_days(r, b)
    ]
    if penalty:
        model.minimize(sum(penalty))
    outcome, solver = solve(model, limits, hook=hook)
    if outcome.status not in ("optimal", "feasible"):
        return RotationPlan(outcome, None)
    assignment = {
        r: [next(n for n in names if solver.boolean_value(x[r, b, n])) for b in blocks]
        for r in year.ids
    }
    return RotationPlan(outcome, assignment)
