"""Phase 2: the call plan (CP-SAT) — how many in-house calls each resident takes in each block,
and who works the shifts that cross each block edge.

This small model carries everything that links blocks together, so phase 3 can solve every team
of every block on its own:

* call fairness: within each class, yearly in-house call counts differ by at most
  ``rules.call_spread`` (hard); per-block counts stay near the resident's share of the team's
  calls (objective), within the q3 limit;
* block edges: exactly the required number of residents of each team work each edge shift
  (call, night) on a block's last day; the next block's teams keep enough residents free of
  rest conflicts on their first day to cover it; no edge shift spills into leave.

Then, given the call counts and hand-overs, weekend and holiday calls are shared per resident
and block (:mod:`app.generation.special_calls`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from app.generation.calls import call_shift, max_calls, within_spread
from app.generation.seniority import CrewNeed, crew_needs
from app.generation.solve import Outcome, SolutionHook, SolveLimits, solve
from app.generation.special_calls import share_special
from app.generation.teams import Team, block_teams
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

SLACK = 2  # per-block call counts stay within this many of the resident's share
STEEP = 2  # extra cost per call beyond one away from the share: spreads deviations out


@dataclass(frozen=True, slots=True)
class Pins:
    """Choices fixed by repairs: a team that could not use the plan found these instead."""

    calls: dict[tuple[str, int], int] = field(default_factory=dict)
    # (kind, resident, block) -> the weekend/holiday calls the repaired team took
    special: dict[tuple[str, str, int], int] = field(default_factory=dict)
    edges: dict[tuple[str, int], str | None] = field(default_factory=dict)
    sides: dict[tuple[str, int], bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallPlan:
    outcome: Outcome
    calls: dict[tuple[str, int], int]  # (resident, block) -> in-house calls in that block
    edge: dict[tuple[str, int], str]  # (resident, block) -> edge shift worked on its last day
    # (resident, block) -> True: no call just before block's edge; False: none just after it
    late_free: dict[tuple[str, int], bool] = field(default_factory=dict)
    # (kind, resident, block) -> weekend / holiday calls in that block (kind in SPECIAL)
    special: dict[tuple[str, str, int], int] = field(default_factory=dict)


def plan_calls(
    year: ProgramYear,
    assignment: dict[str, list[str]],
    limits: SolveLimits,
    *,
    hook: SolutionHook | None = None,
    relax: Collection[str] = (),
    pins: Pins | None = None,
) -> CallPlan:
    pins = pins or Pins()
    model = cp_model.CpModel()
    teams = [block_teams(year, b, assignment) for b in range(year.blocks)]
    calls: dict[tuple[str, int], cp_model.IntVar] = {}
    cost: list[cp_model.LinearExprT] = []
    for block_teams_ in teams:
        needs = crew_needs(year, block_teams_)
        for team in block_teams_:
            _team_calls(model, year, team, calls, cost, pins)
            _senior_calls(model, year, team, calls, needs.get(team.label, []))
    if "fairness" not in relax:
        within_spread(model, year, calls, year.program.rules.call_spread)
    edge: dict[tuple[str, int, str], cp_model.IntVar] = {}
    if "edges" not in relax:
        for b in range(year.blocks - 1):
            needs = crew_needs(year, teams[b])
            for team in teams[b]:
                _edge_out(model, year, team, calls, edge, pins)
                for need in needs.get(team.label, []):
                    senior = [
                        v for r in need.eligible if (v := edge.get((r, b, need.shift))) is not None
                    ]
                    if need.shift in year.edge_shifts:
                        model.add(sum(senior) >= need.at_least)
            for team in teams[b + 1]:
                _edge_in(model, year, team, edge)
    sides: dict[tuple[str, int], cp_model.IntVar] = {}
    if "edges" not in relax and year.program.rules.free_nights_between_calls >= 2:
        _call_sides(model, year, assignment, teams, edge, sides, pins)
    if cost:
        model.minimize(sum(cost))
    outcome, solver = solve(model, limits, hook=hook)
    if outcome.status not in ("optimal", "feasible"):
        return CallPlan(outcome, {}, {})
    counts = {key: solver.value(var) for key, var in calls.items()}
    edges_out = {(r, b): s for (r, b, s), var in edge.items() if solver.boolean_value(var)}
    late_free = {key: solver.boolean_value(var) for key, var in sides.items()}
    return CallPlan(
        outcome,
        counts,
        edges_out,
        late_free,
        share_special(year, teams, counts, limits, edges_out, late_free, fixed=pins.special),
    )


def _senior_calls(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    calls: dict[tuple[str, int], cp_model.IntVar],
    needs: list[CrewNeed],
) -> None:
    """The team's senior residents take at least one call a day between them per rule."""
    b = team.block
    for need in needs:
        if need.shift != call_shift(year, team.rotation):
            continue
        senior = [calls[r, b] for r in need.eligible if (r, b) in calls]
        model.add(sum(senior) >= need.at_least * year.block_length(b))


def _call_sides(
    model: cp_model.CpModel,
    year: ProgramYear,
    assignment: dict[str, list[str]],
    teams: list[list[Team]],
    edge: dict[tuple[str, int, str], cp_model.IntVar],
    sides: dict[tuple[str, int], cp_model.IntVar],
    pins: Pins,
) -> None:
    """Call spacing across a block edge: a resident with call rotations on both sides either
    takes no call on the days just before the edge (side true) or none just after it. Each
    team keeps enough residents free for its call on those days."""
    for b in range(year.blocks - 1):
        for r in year.ids:
            if call_shift(year, assignment[r][b]) and call_shift(year, assignment[r][b + 1]):
                var = sides[r, b] = model.new_bool_var(f"late_free[{r},{b}]")
                if (r, b) in pins.sides:
                    model.add(var == int(pins.sides[r, b]))
    for b in range(year.blocks):
        for team in teams[b]:
            call = call_shift(year, team.rotation)
            if call is None:
                continue
            timing = year.timings[call]
            for demand in (d for d in team.demands if d.shift == call):
                late: list[cp_model.LinearExprT] = []
                early: list[cp_model.LinearExprT] = []
                for r in demand.members:
                    if b < year.blocks - 1:  # free for call on the day before the last one
                        ok = model.new_bool_var("")
                        if (r, b) in sides:
                            model.add_implication(ok, sides[r, b].Not())
                        for s in year.edge_shifts:
                            if (r, b, s) in edge and conflicts(timing, year.timings[s], 1):
                                model.add_implication(ok, edge[r, b, s].Not())
                        late.append(ok)
                    if b > 0:  # free for call on the first day
                        ok = model.new_bool_var("")
                        if (r, b - 1) in sides:
                            model.add_implication(ok, sides[r, b - 1])
                        for s in year.edge_shifts:
                            if (r, b - 1, s) in edge and conflicts(year.timings[s], timing, 1):
                                model.add_implication(ok, edge[r, b - 1, s].Not())
                        early.append(ok)
                if late:
                    model.add(sum(late) >= demand.count)
                if early:
                    model.add(sum(early) >= demand.count)


def _team_calls(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    calls: dict[tuple[str, int], cp_model.IntVar],
    cost: list[cp_model.LinearExprT],
    pins: Pins,
) -> None:
    shift = call_shift(year, team.rotation)
    if shift is None:
        return
    b = team.block
    length = year.block_length(b)
    share: dict[str, float] = {}
    for demand in (d for d in team.demands if d.shift == shift):
        available = sum(year.working_days(r, b) for r in demand.members)
        for r in demand.members:
            share[r] = demand.count * length * year.working_days(r, b) / max(available, 1)
    for r in team.members:
        top = max_calls(year, r, b, shift)
        target = min(round(share.get(r, 0.0)), top)
        lo, hi = max(0, target - SLACK), min(top, target + SLACK)
        if (r, b) in pins.calls:
            calls[r, b] = model.new_constant(pins.calls[r, b])
            continue
        var = model.new_int_var(lo, hi, f"calls[{r},{b}]")
        calls[r, b] = var
        if r in share:
            # convex cost of the deviation in unit steps (1, then 1 + STEEP, ...), kept linear
            # so the LP relaxation stays a flow and optimality is proved quickly
            steps = [model.new_bool_var("") for _ in range(2 * SLACK)]
            up, down = steps[:SLACK], steps[SLACK:]
            model.add(var - target == sum(up) - sum(down))
            cost.extend(
                w * v
                for i in range(SLACK)
                for w, v in ((1 + STEEP * i, up[i]), (1 + STEEP * i, down[i]))
            )
    for demand in (d for d in team.demands if d.shift == shift):
        total = sum(calls[r, b] for r in demand.members)
        need = demand.count * length
        model.add(total == need) if demand.exact else model.add(total >= need)


def _edge_out(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    calls: dict[tuple[str, int], cp_model.IntVar],
    edge: dict[tuple[str, int, str], cp_model.IntVar],
    pins: Pins,
) -> None:
    """Who works each edge shift on the team's last day."""
    b = team.block
    last = b * BLOCK_DAYS + year.block_length(b) - 1
    shifts = [s for s in year.program.rotation(team.rotation).shifts if s in year.edge_shifts]
    for r in team.members:
        own = []
        for s in shifts:
            var = model.new_bool_var(f"edge[{r},{b},{s}]")
            edge[r, b, s] = var
            own.append(var)
            spills = year.timings[s].spill > 0
            if year.on_leave(r, last) or (spills and year.on_leave(r, last + 1)):
                model.add(var == 0)
            if (r, b) in pins.edges:
                model.add(var == int(pins.edges[r, b] == s))
            if (r, b) in calls and year.timings[s].is_in_house_call:
                model.add(calls[r, b] >= 1).only_enforce_if(var)
        if own:
            model.add_at_most_one(own)
    for demand in team.demands:
        if demand.shift not in shifts:
            continue
        total = sum(edge[r, b, demand.shift] for r in demand.members)
        model.add(total == demand.count) if demand.exact else model.add(total >= demand.count)


def _edge_in(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    edge: dict[tuple[str, int, str], cp_model.IntVar],
) -> None:
    """Enough of the team must be free of edge-shift rest conflicts on its first day."""
    b = team.block
    first = b * BLOCK_DAYS
    present = [r for r in team.members if not year.on_leave(r, first)]
    incoming = {
        r: [
            (year.timings[s], var)
            for (who, blk, s), var in edge.items()
            if blk == b - 1 and who == r
        ]
        for r in present
    }

    def blocking(r: str, shifts: list[str]) -> list[cp_model.IntVar]:
        """Edge vars of ``r`` that rule out every one of ``shifts`` on the first day."""
        return [
            var
            for timing, var in incoming[r]
            if all(conflicts(timing, year.timings[s], 1) for s in shifts)
        ]

    for demand in team.demands:
        usable = [r for r in demand.members if r in present]
        lost = [v for r in usable for v in blocking(r, [demand.shift])]
        model.add(len(usable) - sum(lost) >= demand.count)
    shifts = [d.shift for d in team.demands]
    if len(set(shifts)) == len(shifts) and shifts:
        # one shift per resident per day: distinct shifts need distinct residents
        lost = [v for r in present for v in blocking(r, shifts)]
        model.add(len(present) - sum(lost) >= sum(d.count for d in team.demands))
