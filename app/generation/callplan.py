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
and block (:func:`share_special`, a small model per kind): each class's yearly counts within
the smallest spread possible, 1 before the program's ``weekend_call_spread`` /
``holiday_call_spread``, each share near the resident's part of the team's calls and within
what the block lets them take (leave, days asked free, calls barred at the edges, q3).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from app.generation.seniority import CrewNeed, crew_needs
from app.generation.solve import Outcome, SolutionHook, SolveLimits, solve
from app.generation.teams import Team, block_teams
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

SLACK = 2  # per-block call counts stay within this many of the resident's share
STEEP = 2  # extra cost per call beyond one away from the share: spreads deviations out
WEEK_MINUTES = 80 * 60


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


SPECIAL = ("weekend", "holiday")  # calls shared on their own, besides the call count


def special_days(year: ProgramYear, kind: str, block: int) -> list[int]:
    """Days of ``block`` (as days of the block) whose calls count as weekend/holiday calls."""
    first = block * BLOCK_DAYS
    days = range(first, first + year.block_length(block))
    if kind == "weekend":
        return [d - first for d in days if year.is_weekend(d)]
    return [d - first for d in days if d in year.holidays]


def _asked_free(year: ProgramYear, kind: str, resident: str) -> bool:
    avoided = year.avoided_days[resident]
    days = year.holidays if kind == "holiday" else range(year.program.days)
    return any(d in avoided for d in days if kind == "holiday" or year.is_weekend(d))


def _spread(year: ProgramYear, kind: str) -> int:
    rules = year.program.rules
    return rules.weekend_call_spread if kind == "weekend" else rules.holiday_call_spread


def call_shift(year: ProgramYear, rotation: str) -> str | None:
    shifts = year.program.rotation(rotation).shifts
    return next((s for s in shifts if year.timings[s].is_in_house_call), None)


def max_calls(year: ProgramYear, resident: str, block: int, shift: str) -> int:
    """q3 and the 80-hour average, whichever allows fewer calls."""
    working = year.working_days(resident, block)
    by_hours = (WEEK_MINUTES * working) // (7 * year.timings[shift].length)
    return max(0, min(working // 3, by_hours))


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
        _fairness(model, year, calls, year.program.rules.call_spread)
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
        _plan_special(year, teams, counts, limits, edges_out, late_free, pins.special),
    )


SPECIAL_WIDEN = 3  # if a class cannot be within the spread, try up to this much more
SPECIAL_WORK = 1.0  # deterministic-time budget of each weekend/holiday sharing model
CHANGE_WEIGHT = 10  # re-sharing: each call moved away from the previous shares (vs 1 per call
# away from a member's proportional share)


def special_spreads(year: ProgramYear, kind: str) -> range:
    """The yearly spreads to try, smallest first: 1 (or 0 if the rule says so) up to the rule's
    value widened by ``SPECIAL_WIDEN``. The rule is a cap the plan meets when it can; the plan
    aims lower, so that a team moving a call or two still leaves the year within it."""
    rule = _spread(year, kind)
    return range(min(1, rule), rule + SPECIAL_WIDEN + 1)


def _plan_special(
    year: ProgramYear,
    teams: list[list[Team]],
    counts: dict[tuple[str, int], int],
    limits: SolveLimits,
    edge: dict[tuple[str, int], str],
    late_free: dict[tuple[str, int], bool],
    pinned: dict[tuple[str, str, int], int],
) -> dict[tuple[str, str, int], int]:
    """Given the call counts, share each team's weekend and holiday calls so that each class's
    yearly counts are within the smallest spread possible (see :func:`special_spreads`), each
    member's share near their part of the team's calls; repaired teams keep what they took
    (``pinned``). A separate small model per kind: the call plan's optimality proof does not
    pay for it."""
    return share_special(year, teams, counts, limits, edge, late_free, fixed=pinned)


def share_special(
    year: ProgramYear,
    teams: list[list[Team]],
    counts: dict[tuple[str, int], int],
    limits: SolveLimits,
    edge: dict[tuple[str, int], str],
    late_free: dict[tuple[str, int], bool],
    *,
    fixed: dict[tuple[str, str, int], int] | None = None,
    previous: dict[tuple[str, str, int], int] | None = None,
) -> dict[tuple[str, str, int], int]:
    """Weekend and holiday calls per (kind, resident, block). ``fixed`` shares are kept as they
    are (teams already solved that could not take their plan); with ``previous`` the model
    moves as few calls away from it as it can (re-sharing after such teams).

    Without ``previous``, a quick first try keeps every member's share within their part of
    the team's calls rounded down or up (a feasibility problem); if the smallest spread is out
    of reach that way, the shares may leave that band at a cost."""
    context = _SpecialContext(year, counts, edge, late_free, fixed or {}, previous)
    limits = replace(limits, deterministic_time=SPECIAL_WORK, lean=True)
    shares: dict[tuple[str, str, int], int] = {}
    for kind in SPECIAL:
        spreads = special_spreads(year, kind)
        asked = {r for r in year.ids if _asked_free(year, kind, r)}
        tries = [(spread, False) for spread in spreads]
        if previous is None:
            tries.insert(0, (spreads[0], True))
        for spread, band in tries:
            model = cp_model.CpModel()
            special: dict[tuple[str, int], cp_model.IntVar] = {}
            cost: list[cp_model.LinearExprT] = []
            for block_teams_ in teams:
                for team in block_teams_:
                    context.team(model, team, kind, special, cost, band=band)
            # a resident who asked to keep such days free is left out of the even share
            _fairness(model, year, special, spread, skip=asked)
            if cost:
                model.minimize(sum(cost))
            outcome, solver = solve(model, limits)
            if outcome.status in ("optimal", "feasible"):
                shares |= {(kind, r, b): solver.value(v) for (r, b), v in special.items()}
                break
    return shares


def _parts(
    need: int, calls: dict[str, int], bounds: dict[str, tuple[int, int]]
) -> dict[str, float]:
    """Each member's part of ``need`` in proportion to their calls, kept within their bounds:
    a member who can take fewer (or must take more) gets that, the rest is shared again."""
    parts: dict[str, float] = {}
    open_ = dict(calls)
    while open_:
        left = need - sum(parts.values())
        total = sum(open_.values())
        share = {r: left * n / total if total else left / len(open_) for r, n in open_.items()}
        capped = {
            r: min(max(p, bounds[r][0]), bounds[r][1])
            for r, p in share.items()
            if not bounds[r][0] <= p <= bounds[r][1]
        }
        if not capped:
            return parts | share
        parts |= capped
        for r in capped:
            del open_[r]
    return parts


@dataclass(frozen=True, slots=True)
class _SpecialContext:
    year: ProgramYear
    counts: dict[tuple[str, int], int]
    edge: dict[tuple[str, int], str]
    late_free: dict[tuple[str, int], bool]
    fixed: dict[tuple[str, str, int], int]
    previous: dict[tuple[str, str, int], int] | None

    def team(
        self,
        model: cp_model.CpModel,
        team: Team,
        kind: str,
        special: dict[tuple[str, int], cp_model.IntVar],
        cost: list[cp_model.LinearExprT],
        *,
        band: bool,
    ) -> None:
        """How many of each member's calls fall on ``kind`` days: the team's calls on those
        days, shared out so that each class's yearly counts can be even. ``band``: each share
        within the member's part of the team's calls, rounded down or up (else at a cost)."""
        year = self.year
        shift = call_shift(year, team.rotation)
        b = team.block
        days = special_days(year, kind, b)
        if shift is None or not days:
            return
        for demand in (d for d in team.demands if d.shift == shift):
            members = [r for r in demand.members if (r, b) in self.counts]
            need = demand.count * len(days)
            bounds = {}
            for r in members:
                fewest, most = self._bounds(team, shift, r, days)
                most = min(most, self.counts[r, b])
                bounds[r] = (min(fewest, most), most)
            parts = _parts(need, {r: self.counts[r, b] for r in members}, bounds)
            for r in members:
                if (kind, r, b) in self.fixed:
                    special[r, b] = model.new_constant(self.fixed[kind, r, b])
                    continue
                fewest, most = bounds[r]
                if self.previous is not None and (kind, r, b) in self.previous:
                    lo = hi = self.previous[kind, r, b]
                    weight = CHANGE_WEIGHT
                else:  # the member's part of the team's calls, rounded either way
                    lo, hi, weight = math.floor(parts[r]), math.ceil(parts[r]), 1
                if band:  # within the part, or as near as the member's bounds allow
                    top = min(max(hi, fewest), most)
                    special[r, b] = model.new_int_var(max(min(lo, top), fewest), top, "")
                    continue
                special[r, b] = var = model.new_int_var(fewest, most, f"{kind}[{r},{b}]")
                # over and under as bounds, not equalities: the LP relaxation stays a flow
                over = model.new_int_var(0, len(days), "")
                under = model.new_int_var(0, len(days), "")
                model.add(over >= var - hi)
                model.add(under >= lo - var)
                cost.extend([weight * over, weight * under])
            total = sum(special[r, b] for r in members)
            model.add(total == need) if demand.exact else model.add(total >= need)

    def _bounds(self, team: Team, shift: str, r: str, days: list[int]) -> tuple[int, int]:
        """The fewest and most ``days`` the member's calls can fall on, alone: not on leave,
        not where the block edges bar calls (the plan's hand-overs and sides), spaced."""
        year, b = self.year, team.block
        first, length = b * BLOCK_DAYS, year.block_length(b)
        gap = year.program.rules.free_nights_between_calls + 1
        timing = year.timings[shift]
        barred: set[int] = set()
        came = self.edge.get((r, b - 1))
        if came is not None and year.timings[came].is_in_house_call:
            barred |= set(range(gap - 1))
        if self.late_free.get((r, b - 1)) is False:
            barred |= set(range(gap - 2))
        if self.late_free.get((r, b)):
            barred |= set(range(length - gap + 1, length - 1))
        forced = 0
        if b < year.blocks - 1 and shift in year.edge_shifts:
            if self.edge.get((r, b)) == shift:  # the plan puts them on call on the last day
                barred |= set(range(length - gap + 1, length - 1))
                forced = int(length - 1 in days)
            else:
                barred.add(length - 1)
        avoided = year.avoided_days[r]
        most, last = 0, -gap  # spaced calls: greedy is the most such days can hold
        for d in days:
            day = first + d
            if d in barred or day in avoided or year.on_leave(r, day):
                continue
            if timing.spill and year.on_leave(r, day + 1):
                continue
            if d - last >= gap:
                most, last = most + 1, d
        return forced, max(most, forced)


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


def _fairness(
    model: cp_model.CpModel,
    year: ProgramYear,
    calls: dict[tuple[str, int], cp_model.IntVar],
    spread: int,
    *,
    skip: Collection[str] = (),
) -> None:
    """Yearly calls of every resident of a class (but ``skip``) within [level, level + spread].

    A free integer level with linear bounds keeps the LP relaxation close to a flow; a
    max - min formulation made the optimality proof take tens of seconds.
    """
    most = year.program.days
    for c in year.program.classes:
        members = [r for r in year.of_class(c.pgy) if r not in skip]
        if len(members) < 2:
            continue
        level = model.new_int_var(0, most, f"level[{c.pgy}]")
        for r in members:
            total = sum(calls.get((r, b), 0) for b in range(year.blocks))
            model.add_linear_constraint(total - level, 0, spread)


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
