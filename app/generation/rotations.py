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

from app.generation.callplan import SLACK
from app.generation.calls import call_shift
from app.generation.program import REST, SeniorityRule
from app.generation.seniority import provider_group
from app.generation.solve import Outcome, SolutionHook, SolveLimits, merge_outcomes, solve
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

# "balance" | "consecutive" | "call_blocks" | "leave" | "seniority" | "eligibility" |
# "assignments": rule families dropped
Relaxation = str
Assignment = dict[str, list[str]]  # resident -> rotation name per block


@dataclass(frozen=True, slots=True)
class RotationPlan:
    outcome: Outcome
    assignment: Assignment | None
    failed_group: str | None = None  # the staffing group that has no plan


@dataclass(frozen=True, slots=True)
class GroupModel:
    """One staffing group's rotation model, and what each of its rules reads."""

    model: cp_model.CpModel
    year: ProgramYear
    group: str
    members: list[str]
    rotations: list[str]  # their names, in the program's order
    x: dict[tuple[str, int, str], cp_model.IntVar]  # (resident, block, rotation) -> on it


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
    assignment: Assignment = {}
    for group, (_, part) in zip(groups, parts, strict=True):
        if part is None:  # the first group without a plan is the one to explain
            return RotationPlan(merged, None, group)
        assignment.update(part)
    return RotationPlan(merged, {r: assignment[r] for r in year.ids}, None)


def _plan_group_or_relax(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, Assignment | None]:
    """Even call-rotation blocks are our addition, not a program rule: drop them if they bite."""
    outcome, assignment = _plan_group(year, group, limits, relax)
    if outcome.status == "infeasible" and "call_blocks" not in relax:
        return _plan_group(year, group, limits, (*relax, "call_blocks"))
    return outcome, assignment


def _plan_group(
    year: ProgramYear, group: str, limits: SolveLimits, relax: Collection[Relaxation]
) -> tuple[Outcome, Assignment | None]:
    g = _one_rotation_per_block(year, group)
    # the order of variables and constraints is part of the model: it steers CP-SAT's search
    balance = year.program.rules.balance_rotation_counts
    for rotation in year.program.rotations:
        need = staffed_count(year, rotation.name, group)
        _staffing(g, rotation.name, need)
        if balance and "balance" not in relax:
            eligible = _eligible(g, rotation.name, relax)
            _within_one_of_average(g, [rotation.name], need * year.blocks, eligible)
    if "consecutive" not in relax:
        _consecutive_blocks(g)
    if balance and "call_blocks" not in relax:
        _call_blocks(g)
    if "seniority" not in relax:
        _seniority(g)
    if "leave" not in relax:
        _leave_capacity(g)
    if "eligibility" not in relax:
        _eligibility(g)
    if "assignments" not in relax:
        _pre_assigned(g)
    if penalty := _leave_on_covered_rotations(g):
        g.model.minimize(sum(penalty))
    return _solve_plan(g, limits)


def _one_rotation_per_block(year: ProgramYear, group: str) -> GroupModel:
    """The group's model and variables; each resident is on exactly one rotation in each block."""
    model, members, blocks = cp_model.CpModel(), year.members(group), range(year.blocks)
    names = [r.name for r in year.program.rotations]
    x = {(r, b, n): model.new_bool_var("") for r in members for b in blocks for n in names}
    for r in members:
        for b in blocks:
            model.add_exactly_one(x[r, b, n] for n in names)
    return GroupModel(model, year, group, members, names, x)


def _staffing(g: GroupModel, rotation: str, need: int) -> None:
    """The program's per-block staffing count of the group on the rotation, in every block."""
    for b in range(g.year.blocks):
        g.model.add(sum(g.x[r, b, rotation] for r in g.members) == need)


def _within_one_of_average(
    g: GroupModel, rotations: list[str], total: int, members: list[str] | None = None
) -> None:
    """Each member's yearly blocks on ``rotations`` within one of an even share of ``total``
    (shared among ``members``, by default the whole group). In a group where some rotation is
    closed to some members the shares differ by class: there, within one of the class's own."""
    members = g.members if members is None else members
    if not members:
        return
    if _limited(g):
        for pgy in sorted({g.year.pgy[r] for r in members}):
            low = g.model.new_int_var(0, g.year.blocks, "")
            for r in (r for r in members if g.year.pgy[r] == pgy):
                count = sum(g.x[r, b, n] for b in range(g.year.blocks) for n in rotations)
                g.model.add(count >= low)
                g.model.add(count <= low + 1)
        return
    lo, hi = total // len(members), -(-total // len(members))
    for r in members:
        count = sum(g.x[r, b, n] for b in range(g.year.blocks) for n in rotations)
        g.model.add_linear_constraint(count, lo, hi)


def _limited(g: GroupModel) -> bool:
    """Is some rotation closed to some member of the group (by PGY)?"""
    return any(
        not rotation.eligible(g.year.pgy[r])
        for rotation in g.year.program.rotations
        for r in g.members
    )


def _eligible(g: GroupModel, rotation: str, relax: Collection[Relaxation]) -> list[str]:
    """The members who may work ``rotation`` (all of them when eligibility is dropped)."""
    if "eligibility" in relax:
        return g.members
    spec = g.year.program.rotation(rotation)
    return [r for r in g.members if spec.eligible(g.year.pgy[r])]


def _eligibility(g: GroupModel) -> None:
    """Nobody works a rotation below its ``min_pgy``."""
    for rotation in g.year.program.rotations:
        for r in g.members:
            if not rotation.eligible(g.year.pgy[r]):
                for b in range(g.year.blocks):
                    g.model.add(g.x[r, b, rotation.name] == 0)


def _pre_assigned(g: GroupModel) -> None:
    """The program file's pre-assigned rotations hold."""
    members = set(g.members)
    for a in g.year.program.assignments:
        if a.resident in members:
            g.model.add(g.x[a.resident, a.block - 1, a.rotation] == 1)


def _consecutive_blocks(g: GroupModel) -> None:
    """At most ``max_consecutive_blocks`` of a rotation in a row: any m + 1 blocks hold m."""
    for rotation in g.year.program.rotations:
        if (m := rotation.max_consecutive_blocks) is None:
            continue
        for r in g.members:
            for b in range(g.year.blocks - m):
                g.model.add(sum(g.x[r, b + i, rotation.name] for i in range(m + 1)) <= m)


def senior_need(year: ProgramYear, rule: SeniorityRule) -> int:
    """Residents senior enough a rotation needs per block to lead its crews: with calls spaced
    ``gap`` days, ``gap`` per senior on call; two per senior on other shifts."""
    gap = year.program.rules.free_nights_between_calls + 1
    if not year.timings[rule.shift].is_in_house_call:
        return 2 * rule.at_least
    # the call plan keeps each resident's calls within SLACK of an even share of the team's
    program = year.program
    staffed = sum(staffed_count(year, rule.rotation, g) for g in program.groups)
    per_day = sum(
        c.count * (1 if c.scope == "combined" else len(program.groups))
        for c in program.coverage
        if (c.rotation, c.shift) == (rule.rotation, rule.shift)
    )
    most = min(BLOCK_DAYS // gap, per_day * BLOCK_DAYS // max(staffed, 1) + SLACK)
    return max(gap * rule.at_least, -(-rule.at_least * BLOCK_DAYS // max(most, 1)))


def _seniority(g: GroupModel) -> None:
    """Enough residents senior enough on a rotation whose crews this group must lead."""
    year = g.year
    for rule in year.program.seniority:
        if provider_group(year, rule) != g.group:
            continue
        need = senior_need(year, rule)
        eligible = [r for r in g.members if year.pgy[r] >= rule.min_pgy]
        for b in range(year.blocks):
            g.model.add(sum(g.x[r, b, rule.rotation] for r in eligible) >= need)


def _call_blocks(g: GroupModel) -> None:
    """Even out the blocks on rotations with in-house call: phase 2 then shares calls evenly."""
    with_call = [n for n in g.rotations if call_shift(g.year, n) is not None]
    total = sum(staffed_count(g.year, n, g.group) for n in with_call) * g.year.blocks
    _within_one_of_average(g, with_call, total)


def _leave_on_covered_rotations(g: GroupModel) -> list[cp_model.LinearExprT]:
    """Soft: a leave day spent on a rotation that carries coverage leaves a gap to fill."""
    year = g.year
    covered = [n for n in g.rotations if any(c.rotation == n for c in year.program.coverage)]
    return [
        year.leave_days(r, b) * g.x[r, b, n]
        for r in g.members
        for b in range(year.blocks)
        for n in covered
        if year.leave_days(r, b)
    ]


def _solve_plan(g: GroupModel, limits: SolveLimits) -> tuple[Outcome, Assignment | None]:
    outcome, solver = solve(g.model, limits)
    if outcome.status not in ("optimal", "feasible"):
        return outcome, None
    blocks = range(g.year.blocks)
    return outcome, {
        r: [next(n for n in g.rotations if solver.boolean_value(g.x[r, b, n])) for b in blocks]
        for r in g.members
    }


def daily_need(year: ProgramYear, rotation: str, group: str) -> int:
    """Residents of ``group`` a rotation ties up every day: coverage plus post-call rest. A combined
    requirement (the ICU) is split by staffing share, rounded down: necessary for each group."""
    program, timing = year.program, year.timings
    names = program.rotation(rotation).shifts
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


def _leave_capacity(g: GroupModel) -> None:
    """Necessary conditions for phase 3: on each day, present residents cover the daily need;
    over the block, so do their present days less the days off they must take."""
    year = g.year
    for rotation in year.program.rotations:
        need = daily_need(year, rotation.name, g.group)
        staffed = staffed_count(year, rotation.name, g.group)
        if need == 0 or staffed == 0:
            continue
        for b in range(year.blocks):
            _present_every_day(g, rotation.name, b, staffed - need)
            if not any(year.leave_days(r, b) for r in g.members):
                continue  # a rule about leave: a block without any adds nothing
            usable = [
                (year.working_days(r, b) - year.working_days(r, b) // 7) * g.x[r, b, rotation.name]
                for r in g.members
            ]
            g.model.add(sum(usable) >= year.block_length(b) * need)


def _present_every_day(g: GroupModel, rotation: str, b: int, spare: int) -> None:
    """On no day of block ``b`` may more than ``spare`` of the rotation's residents be on leave."""
    for d in range(b * BLOCK_DAYS, b * BLOCK_DAYS + g.year.block_length(b)):
        away = [g.x[r, b, rotation] for r in g.members if g.year.on_leave(r, d)]
        if len(away) > spare:  # else it could never bind: leave it out of the model
            g.model.add(sum(away) <= spare)
