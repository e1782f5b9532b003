"""Phase 3: the shifts of one team in one block (CP-SAT), given the call plan.

Hard: daily coverage, each resident's planned call count, the planned edge shifts on the last day,
rest after the previous block's edge shift, leave, one in-house shift a day (and at most one home
call beside it, not overlapping it), home calls spaced by the program's rule, and every ACGME
rule under per-block semantics — rest pairs (14 h after a 24 h+ period, 8 h otherwise, so
periods never merge and none exceeds its one shift's length), 80 h/week averaged over the block
(spill from the previous block included, the spill into the next one left out), q3 call, and one
free calendar day per 7 working days. A free calendar day is a 24 h free period, so the
validator's count of ⌊gap / 24 h⌋ is never lower than ours.
Home call counts no hours and is never a call, but keeps its day and the one it spills into from
being days off. Objective: balance of exact-coverage shifts (nights) and home calls first, then
preferences.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from app.generation.calls import WEEK_MINUTES, call_shift, max_calls
from app.generation.program import WEEKDAYS
from app.generation.seniority import CrewNeed
from app.generation.solve import Outcome, SolveLimits, Status, new_model, solve
from app.generation.special_calls import special_days
from app.generation.teams import Team
from app.generation.timing import clash_same_day, conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS
from app.schedules.file_format import ShiftKind

BALANCE_WEIGHT = 100  # one night off the even share outweighs any number of preference points
REPAIR_WEIGHT = 10_000  # when repairing, each call moved away from the plan costs this much
SPECIAL_WEIGHT = 1_000  # a weekend or holiday call away from the plan (below a repair's)
SPECIAL_SLACK = 1  # at most this many weekend (holiday) calls off the plan: keeps proofs short
HOURS_SLACK = 6  # hours off the aim that cost nothing (half a 12 h day shift either way)
BALANCE_SLACK = 2  # nights more or fewer than the even share (each one costs BALANCE_WEIGHT)


@dataclass(frozen=True, slots=True)
class TeamShifts:
    team: Team
    outcome: Outcome
    worked: list[tuple[str, int, str]]  # (resident, day of the year, shift name)

    def calls(self, call: str) -> dict[str, int]:
        counts = Counter(r for r, _, s in self.worked if s == call)
        return {r: counts[r] for r in self.team.members}


@dataclass(frozen=True, slots=True)
class TeamInputs:
    calls: dict[str, int]  # planned calls per member (members of call rotations)
    edge_out: dict[str, str]  # member -> edge shift on the last day; others work none
    edge_in: dict[str, str]  # member -> edge shift worked on the previous block's last day
    last_block: bool  # the year's last block: nothing to hand over
    # Call spacing across block edges (the call plan decides which side of the edge gives way):
    no_early_call: frozenset[str] = frozenset()  # no call on the block's first days
    no_late_call: frozenset[str] = frozenset()  # no call on the days before the last one
    special: tuple[tuple[str, str, int], ...] = ()  # (kind, member, weekend/holiday calls)
    linked_before: frozenset[str] = frozenset()  # members with call in the previous block too
    linked_after: frozenset[str] = frozenset()  # and in the next one
    crew: tuple[CrewNeed, ...] = ()  # minimum seniority the team provides every day
    head_limit: tuple[tuple[str, int], ...] = ()  # (member, most working days opening the block)
    tail_limit: tuple[tuple[str, int], ...] = ()  # (member, most working days ending the block)
    hours: tuple[tuple[str, int], ...] = ()  # (member, hours to aim for: workload.hours_targets)


Shifts = dict[tuple[int, str], cp_model.IntVar]  # (day of the block, shift) -> works it
Cost = list[cp_model.LinearExprT]  # objective terms


@dataclass(frozen=True, slots=True)
class TeamModel:
    """One team's block model, and what each of its rules reads."""

    model: cp_model.CpModel
    year: ProgramYear
    team: Team
    names: list[str]  # the shifts the residents may work
    x: dict[str, Shifts] = field(default_factory=dict)  # resident -> their shift variables

    @property
    def days(self) -> int:
        """Days of the team's block (the last block may take the year's extra day)."""
        return self.year.block_length(self.team.block)


def solve_team(
    year: ProgramYear,
    team: Team,
    inputs: TeamInputs,
    limits: SolveLimits,
    *,
    relax: Collection[str] = (),
) -> TeamShifts:
    rotation = year.program.rotation(team.rotation)
    if rotation.weekly_pattern is not None:
        return pattern_team(year, team, inputs)
    if inputs.special and "special" not in relax:
        # the planned weekend/holiday calls, exactly: a feasibility problem, fast to solve;
        # if the block cannot take them, as near as it can (soft)
        for extra in ((), ("special",)):
            result = _solve_team(year, team, inputs, limits, (*relax, *extra))
            if result.outcome.solutions:
                return result
        relax = (*relax, "special", "no_special")  # last resort: ignore the plan's shares
    return _solve_team(year, team, inputs, limits, relax)


def _solve_team(
    year: ProgramYear,
    team: Team,
    inputs: TeamInputs,
    limits: SolveLimits,
    relax: Collection[str],
) -> TeamShifts:
    tm = TeamModel(new_model(), year, team, _worked_shifts(year, team, inputs))
    # the order of variables and constraints is part of the model: it steers CP-SAT's search
    for r in team.members:
        tm.x[r] = own = _shift_vars(tm, r, inputs.edge_in.get(r))
        _one_shift_a_day(tm, own)
        _rest_between_days(tm, own)
        if not inputs.last_block and "edges" not in relax:
            _edge_shifts(tm, own, inputs.edge_out.get(r))
        if "spacing" not in relax:
            _call_spacing(tm, r, own, inputs)
        if "home_spacing" not in relax:
            _home_call_spacing(tm, r, own, inputs.edge_in.get(r))
        if "days_off" not in relax:
            head, tail = dict(inputs.head_limit).get(r), dict(inputs.tail_limit).get(r)
            edges = "edge_runs" not in relax
            _runs(tm, own, inputs.edge_in.get(r), edges=edges, opening=head, closing=tail)
    _coverage(tm)
    _seniority(tm, inputs.crew)
    cost = [c for r in team.members for c in _totals(tm, inputs, r, relax)]
    cost.extend(_balance(tm, call_shift(year, team.rotation)))
    cost.extend(_aimed_hours(tm, inputs))
    if cost:
        tm.model.minimize(sum(cost))
    return _solve_and_read(tm, limits)


def _worked_shifts(year: ProgramYear, team: Team, inputs: TeamInputs) -> list[str]:
    """The rotation's shifts, less home calls that nothing asks this team for: a home call is
    taken only to cover (a spare one would just spoil a day off)."""
    wanted = {d.shift for d in team.demands} | {need.shift for need in inputs.crew}
    shifts = year.program.rotation(team.rotation).shifts
    return [s for s in shifts if s in wanted or not year.timings[s].is_home_call]


def _shift_vars(tm: TeamModel, r: str, came: str | None) -> Shifts:
    """A variable per shift the resident may work: none on leave or running into it, none on
    day 0 too soon after ``came`` (the edge shift worked on the previous block's last day)."""
    first, timing = tm.team.block * BLOCK_DAYS, tm.year.timings
    own: Shifts = {}
    for d in range(tm.days):
        if tm.year.on_leave(r, first + d):
            continue
        for s in tm.names:
            into_leave = timing[s].spill and tm.year.on_leave(r, first + d + 1)
            too_soon = d == 0 and came is not None and conflicts(timing[came], timing[s], 1)
            if not (into_leave or too_soon):
                own[d, s] = tm.model.new_bool_var("")
    return own


def _one_shift_a_day(tm: TeamModel, own: Shifts) -> None:
    """Two in-house shifts on one day would merge into one over-long duty period. A home call
    may follow a day's work it does not overlap (day 07-17, home call 17-07): at most one of
    them a day, and none beside an in-house shift it overlaps (no call-ins are generated)."""
    timing = tm.year.timings
    homes = [s for s in tm.names if timing[s].is_home_call]
    in_house = [s for s in tm.names if s not in homes]
    clashes = [(s, h) for s in in_house for h in homes if clash_same_day(timing[s], timing[h])]
    for d in range(tm.days):
        for names in (in_house, homes):
            today = [v for s in names if (v := own.get((d, s))) is not None]
            if len(today) > 1:
                tm.model.add_at_most_one(today)
        for s, h in clashes:
            if (d, s) in own and (d, h) in own:
                tm.model.add_bool_or([own[d, s].Not(), own[d, h].Not()])


def _rest_between_days(tm: TeamModel, own: Shifts) -> None:
    """ACGME rest pairs: no shift on day d + 1 that starts too soon after day d's one ends."""
    timing = tm.year.timings
    pairs = [(s, t) for s in tm.names for t in tm.names if conflicts(timing[s], timing[t], 1)]
    for s, t in pairs:
        for d in range(tm.days - 1):
            if (d, s) in own and (d + 1, t) in own:
                tm.model.add_bool_or([own[d, s].Not(), own[d + 1, t].Not()])


def _edge_shifts(tm: TeamModel, own: Shifts, out: str | None) -> None:
    """On the last day, exactly the planned edge shift: the next block's plan counts on it."""
    for s in tm.names:
        if s in tm.year.edge_shifts and (tm.days - 1, s) in own:
            tm.model.add(own[tm.days - 1, s] == int(s == out))


def min_call_gap(year: ProgramYear) -> int:
    """Days from one in-house call's start to the next one's, at least (3: "q3")."""
    return year.program.rules.free_nights_between_calls + 1


def _home_call_spacing(tm: TeamModel, r: str, own: Shifts, came: str | None) -> None:
    """At most one home call in any ``gap`` consecutive days (program rule
    ``free_nights_between_home_calls``), block edges included: none in the first ``gap - 1``
    days after one on the previous block's last day, and on the side of the edge the team was
    told to keep free (:func:`app.generation.teams.home_call_sides`)."""
    homes = [s for s in tm.names if tm.year.timings[s].is_home_call]
    gap = tm.year.home_call_gap()
    if not homes or gap < 2:
        return
    days = [[v for s in homes if (v := own.get((d, s))) is not None] for d in range(tm.days)]
    for d in range(tm.days - 1):
        window = [v for today in days[d : d + gap] for v in today]
        if len(window) > 1:
            tm.model.add_at_most_one(window)
    barred: list[int] = []
    if came is not None and tm.year.timings[came].is_home_call:
        barred += range(gap - 1)
    if r in tm.team.home_early_free:
        barred += range(gap - 2)
    if r in tm.team.home_late_free:
        barred += range(tm.days - gap + 1, tm.days - 1)
    for d in barred:
        for v in days[d]:
            tm.model.add(v == 0)


def _call_spacing(tm: TeamModel, r: str, own: Shifts, inputs: TeamInputs) -> None:
    """At most one call in any ``gap`` consecutive days, the block edges included: after an
    edge call none in the first ``gap - 1`` days; the plan's side of the edge for the rest."""
    call = call_shift(tm.year, tm.team.rotation)
    gap = min_call_gap(tm.year)
    if call is None or gap < 2:
        return
    days = [own.get((d, call)) for d in range(tm.days)]
    for d in range(tm.days - 1):
        window = [v for v in days[d : d + gap] if v is not None]
        if len(window) > 1:
            tm.model.add_at_most_one(window)
    came = inputs.edge_in.get(r)
    barred: list[int] = []
    if came is not None and tm.year.timings[came].is_in_house_call:
        barred += range(gap - 1)
    if r in inputs.no_early_call:
        barred += range(gap - 2)
    if r in inputs.no_late_call:
        barred += range(tm.days - gap + 1, tm.days - 1)
    for d in barred:
        if (v := days[d]) is not None:
            tm.model.add(v == 0)
    if gap == Q3_GAP:
        _no_q3_chain_across_edges(tm, days, r in inputs.linked_before, r in inputs.linked_after)


Q3_GAP = 3
CHAIN = 4  # calls exactly 3 days apart that may touch a block edge (2 x 4 < 10)


def _no_q3_chain_across_edges(
    tm: TeamModel, days: list[cp_model.IntVar | None], before: bool, after: bool
) -> None:
    """Ten calls in 28 days (the rolling q3 limit is nine) means calls exactly 3 days apart all
    the way: keep such chains touching a block edge with call on its other side (``before``,
    ``after``) to ``CHAIN`` calls."""
    for start in range(Q3_GAP):
        chains = []
        if before:
            chains.append([start + Q3_GAP * i for i in range(CHAIN + 1)])
        if after:
            chains.append([tm.days - 1 - start - Q3_GAP * i for i in range(CHAIN + 1)])
        for chain in chains:
            calls = [v for d in chain if (v := days[d]) is not None]
            if len(calls) > CHAIN:
                tm.model.add(sum(calls) <= CHAIN)


def _runs(
    tm: TeamModel,
    own: Shifts,
    came: str | None,
    *,
    edges: bool,
    opening: int | None = None,
    closing: int | None = None,
) -> None:
    """At most the program's number of working days (and of nights) in a row. Runs across a
    block edge are bounded by splitting the limit: at most ``tail`` working days end a block
    and at most ``head`` begin one (see :func:`run_split`)."""
    year, rules = tm.year, tm.year.program.rules
    call = call_shift(year, tm.team.rotation)
    post_in = came is not None and year.timings[came].is_in_house_call
    homes = {s for s in tm.names if year.timings[s].is_home_call}
    working: list[cp_model.LinearExprT] = []
    for d in range(tm.days):
        starts = [v for s in tm.names if (v := own.get((d, s))) is not None]
        post = own.get((d - 1, call)) if call is not None and d > 0 else None
        # a home call day is a working day; it may share the day with an in-house shift
        shared = len(starts) > 1 and any((d, s) in own for s in homes)
        if d == 0 and post_in:
            working.append(1)
        elif post is not None or shared:
            w = tm.model.new_bool_var("")
            tm.model.add_max_equality(w, [*starts] if post is None else [*starts, post])
            working.append(w)
        else:
            working.append(sum(starts))
    head, tail = run_split(year, rules.max_consecutive_working_days)
    if not edges:  # a repair's last resort: runs across the block edges are checked afterwards
        head = tail = tm.days
    if opening is not None:  # the previous block as solved leaves this much of the limit
        head = min(head, opening)
    if closing is not None:  # the next block as solved leaves this much of the limit
        tail = min(tail, closing)
    _bounded_runs(tm, working, rules.max_consecutive_working_days, head, tail)
    nightly = [s for s in tm.names if year.timings[s].kind is ShiftKind.NIGHT]
    if nightly:
        nights = [
            sum(v for s in nightly if (v := own.get((d, s))) is not None) for d in range(tm.days)
        ]
        limit = rules.max_consecutive_nights
        _bounded_runs(tm, nights, limit, limit - limit // 2, limit // 2)


def _bounded_runs(
    tm: TeamModel, days: Sequence[cp_model.LinearExprT], limit: int, head: int, tail: int
) -> None:
    for d in range(tm.days - limit):
        tm.model.add(sum(days[d : d + limit + 1]) <= limit)
    if head < tm.days:
        tm.model.add(sum(days[: head + 1]) <= head)
    if tm.year.blocks - 1 != tm.team.block and tail < tm.days:
        tm.model.add(sum(days[tm.days - tail - 1 :]) <= tail)


def run_split(year: ProgramYear, limit: int) -> tuple[int, int]:
    """(head, tail): at most ``head`` working days in a row open a block, at most ``tail`` end
    one, ``head + tail = limit``; weekly-pattern rotations (clinic) fix theirs, so the split
    makes room for them."""
    tail = limit // 2
    head = limit - tail
    p_head = p_tail = 0
    for rotation in year.program.rotations:
        if rotation.weekly_pattern is None:
            continue
        weekdays = {WEEKDAYS.index(w) for w in rotation.weekly_pattern}
        first = year.weekday(0)
        run = 0
        while run < 7 and (first + run) % 7 in weekdays:
            run += 1
        p_head = max(p_head, run)
        last = year.weekday(BLOCK_DAYS - 1)
        run = 0
        while run < 7 and (last - run) % 7 in weekdays:
            run += 1
        p_tail = max(p_tail, run)
    if p_head > head:
        head, tail = p_head, limit - p_head
    elif p_tail > tail:
        head, tail = limit - p_tail, p_tail
    return head, tail


def _seniority(tm: TeamModel, crew: tuple[CrewNeed, ...]) -> None:
    """Every day, ``at_least`` of the eligible members on the rule's shift."""
    for need in crew:
        for d in range(tm.days):
            on = [v for r in need.eligible if (v := tm.x[r].get((d, need.shift))) is not None]
            tm.model.add(sum(on) >= need.at_least)


def _coverage(tm: TeamModel) -> None:
    """Every day each demand gets its count of residents on its shift (exactly or at least)."""
    for demand in tm.team.demands:
        for d in range(tm.days):
            on = [v for r in demand.members if (v := tm.x[r].get((d, demand.shift))) is not None]
            tm.model.add(sum(on) == demand.count if demand.exact else sum(on) >= demand.count)


def _totals(tm: TeamModel, inputs: TeamInputs, r: str, relax: Collection[str]) -> Cost:
    """The resident's per-block rules (calls, hours, days off); returns their objective terms."""
    own, working = tm.x[r], tm.year.working_days(r, tm.team.block)
    cost: Cost = []
    if (call := call_shift(tm.year, tm.team.rotation)) is not None:
        top = max_calls(tm.year, r, tm.team.block, call)
        planned = inputs.calls.get(r, 0)
        cost += _calls(tm, own, call, planned, working, repair="calls" in relax, top=top)
        for kind, who, planned in inputs.special:
            if who == r and "no_special" not in relax:
                hard = "special" not in relax
                cost += _special_calls(tm, own, call, kind, planned, hard=hard)
    came = tm.year.timings.get(inputs.edge_in.get(r, ""))
    if working >= 7 and "hours" not in relax:
        _weekly_hours(tm, own, came.counted_spill if came else 0, working)
    if "days_off" not in relax:
        _days_off(tm, r, own, bool(came and came.spill))
    return cost + _preferences(own, tm.team.block * BLOCK_DAYS, tm.year.avoided_days[r])


def _calls(
    tm: TeamModel,
    own: Shifts,
    call: str,
    planned: int,
    working: int,
    repair: bool,
    top: int | None = None,
) -> Cost:
    """The planned number of calls (repairing: as near as the block allows, at a cost), and q3."""
    calls = sum(v for (_, s), v in own.items() if s == call)
    cost: Cost = []
    if not repair:
        tm.model.add(calls == planned)
    else:
        off = tm.model.new_int_var(0, tm.days, "")
        tm.model.add_abs_equality(off, calls - planned)
        cost.append(REPAIR_WEIGHT * off)
    tm.model.add(calls <= (working // 3 if top is None else top))
    return cost


def _special_calls(
    tm: TeamModel, own: Shifts, call: str, kind: str, planned: int, *, hard: bool
) -> Cost:
    """The planned number of weekend (or holiday) calls; soft: each one off costs
    ``SPECIAL_WEIGHT``."""
    days = special_days(tm.year, kind, tm.team.block)
    calls = sum(v for d in days if (v := own.get((d, call))) is not None)
    if hard:
        tm.model.add(calls == planned)
        return []
    off = tm.model.new_int_var(0, min(len(days), SPECIAL_SLACK), "")
    tm.model.add_abs_equality(off, calls - planned)
    return [SPECIAL_WEIGHT * off]


def _weekly_hours(tm: TeamModel, own: Shifts, spill_in: int, working: int) -> None:
    """80 h a week averaged over the working days, the previous block's spill included."""
    minutes = [tm.year.timings[s].minutes_within(tm.days - d) * v for (d, s), v in own.items()]
    tm.model.add(7 * (sum(minutes) + spill_in) <= WEEK_MINUTES * working)


def _preferences(own: Shifts, first: int, avoided: dict[int, int]) -> Cost:
    """Soft: a shift on a day the resident asked to keep free costs that request's weight."""
    return [avoided[first + d] * v for (d, _), v in own.items() if first + d in avoided]


def _solve_and_read(tm: TeamModel, limits: SolveLimits) -> TeamShifts:
    outcome, solver = solve(tm.model, limits)
    if outcome.status not in ("optimal", "feasible"):
        return TeamShifts(tm.team, outcome, [])
    first, works = tm.team.block * BLOCK_DAYS, solver.boolean_value
    worked = [(r, first + d, s) for r, own in tm.x.items() for (d, s), v in own.items() if works(v)]
    return TeamShifts(tm.team, outcome, worked)


def _days_off(tm: TeamModel, r: str, own: Shifts, spill_in: bool) -> None:
    """At least one fully free calendar day per 7 working days in the block."""
    first = tm.team.block * BLOCK_DAYS
    spilling = [s for s in tm.names if tm.year.timings[s].spill]
    free: list[cp_model.LinearExprT] = []
    for d in range(tm.days):
        if tm.year.on_leave(r, first + d) or (d == 0 and spill_in):
            continue
        if not (busy := _busy(own, tm.names, spilling, d)):
            free.append(1)
            continue
        f = tm.model.new_bool_var("")
        tm.model.add_bool_and([v.Not() for v in busy]).only_enforce_if(f)
        free.append(f)
    tm.model.add(sum(free) >= tm.year.working_days(r, tm.team.block) // 7)


def _busy(own: Shifts, names: list[str], spilling: list[str], d: int) -> list[cp_model.IntVar]:
    """What would keep day ``d`` from being free: a shift on it, or one spilling into it."""
    busy = [v for s in names if (v := own.get((d, s))) is not None]
    return busy + [v for s in spilling if (v := own.get((d - 1, s))) is not None]


def _aimed_hours(tm: TeamModel, inputs: TeamInputs) -> Cost:
    """Soft, so that yearly hours come out even within each class: each member's count of the
    team's at-least shifts (day shifts beyond the minimum) within what the member's hours aim
    (``inputs.hours``, less the planned calls) allows, give or take ``HOURS_SLACK`` hours; the
    upper bounds are raised, lowest aim first, until the team can cover the demand, so that a
    cost of 0 is reachable and the proof stays short. Each hour beyond costs 1."""
    aims = dict(inputs.hours)
    call = call_shift(tm.year, tm.team.rotation)
    call_hours = tm.year.program.shift(call).hours if call is not None else 0.0
    cost: Cost = []
    for demand in tm.team.demands:
        # a home call counts no hours: covering it (even "at least") moves no one's total
        if demand.exact or demand.shift == call or tm.year.timings[demand.shift].is_home_call:
            continue
        members = [r for r in demand.members if r in aims]
        if not members:
            continue
        hours = tm.year.program.shift(demand.shift).hours
        rest = {r: aims[r] - call_hours * inputs.calls.get(r, 0) for r in members}
        hi = {r: max(0, math.floor((rest[r] + HOURS_SLACK) / hours)) for r in members}
        lo = {r: min(hi[r], max(0, math.ceil((rest[r] - HOURS_SLACK) / hours))) for r in members}
        while sum(hi.values()) < demand.count * tm.days:
            r = min(members, key=lambda q: (hi[q] * hours - rest[q], members.index(q)))
            hi[r] += 1
        for r in members:
            count = sum(v for (_, s), v in tm.x[r].items() if s == demand.shift)
            over = tm.model.new_int_var(0, tm.days, "")
            under = tm.model.new_int_var(0, tm.days, "")
            tm.model.add(count <= hi[r] + over)
            tm.model.add(count >= lo[r] - under)
            cost.extend([round(hours) * over, round(hours) * under])
    return cost


def _balance(tm: TeamModel, call: str | None) -> Cost:
    """Penalty for each exact-coverage shift (nights) and each home call beyond a resident's
    even share."""
    year, b, model = tm.year, tm.team.block, tm.model
    cost: Cost = []
    for demand in tm.team.demands:
        shared = demand.exact or year.timings[demand.shift].is_home_call
        if not shared or demand.shift == call or len(demand.members) < 2:
            continue
        available = sum(year.working_days(r, b) for r in demand.members)
        for r in demand.members:
            share = demand.count * tm.days * year.working_days(r, b) / max(available, 1)
            lo, hi = math.floor(share), math.ceil(share)
            count = sum(v for (_, s), v in tm.x[r].items() if s == demand.shift)
            over = model.new_int_var(0, BALANCE_SLACK, f"over[{r},{demand.shift}]")
            under = model.new_int_var(0, BALANCE_SLACK, f"under[{r},{demand.shift}]")
            model.add(over >= count - hi)
            model.add(under >= lo - count)
            cost.extend([BALANCE_WEIGHT * over, BALANCE_WEIGHT * under])
    return cost


def pattern_team(year: ProgramYear, team: Team, inputs: TeamInputs) -> TeamShifts:
    """A weekly-pattern rotation (clinic Mon-Fri) has nothing to decide: work the pattern where
    one may, then check the same rules the models enforce."""
    (name,) = year.program.rotation(team.rotation).shifts
    days = {r: _pattern_days(year, team, r, inputs.edge_in.get(r)) for r in team.members}
    ok = all(_pattern_fits(year, team, r, mine, inputs.edge_in.get(r)) for r, mine in days.items())
    status: Status = "optimal" if ok else "infeasible"
    outcome = Outcome(status, 0.0 if ok else math.nan, 0.0 if ok else math.nan, 0.0, 0.0, int(ok))
    worked = [(r, day, name) for r, mine in days.items() for day in mine]
    return TeamShifts(team, outcome, worked if ok else [])


def _pattern_days(year: ProgramYear, team: Team, r: str, came: str | None) -> list[int]:
    """The pattern's days in the block except leave, days asked free (no coverage hangs on them)
    and day 0 when ``came``, the edge shift worked the day before, needs rest."""
    rotation = year.program.rotation(team.rotation)
    assert rotation.weekly_pattern is not None
    weekdays = {WEEKDAYS.index(w) for w in rotation.weekly_pattern}
    block = range(team.block * BLOCK_DAYS, team.block * BLOCK_DAYS + year.block_length(team.block))
    rests = came is not None and conflicts(year.timings[came], year.timings[rotation.shifts[0]], 1)
    off = year.leave[r] | year.avoided_days[r].keys() | year.holidays
    off |= {block.start} if rests else set()
    return [day for day in block if year.weekday(day) in weekdays and day not in off]


def _pattern_fits(year: ProgramYear, team: Team, r: str, mine: list[int], came: str | None) -> bool:
    """Days off, q3 and the 80-hour week for a resident working the pattern on ``mine``."""
    shift = year.timings[year.program.rotation(team.rotation).shifts[0]]
    spill_in = year.timings[came].spill if came is not None else 0
    hours_in = year.timings[came].counted_spill if came is not None else 0
    working = year.working_days(r, team.block)
    block = range(team.block * BLOCK_DAYS, team.block * BLOCK_DAYS + year.block_length(team.block))
    minutes = hours_in + sum(shift.minutes_within(block.stop - day) for day in mine)
    calls = len(mine) if shift.is_in_house_call else 0
    hours_ok = working < 7 or 7 * minutes <= WEEK_MINUTES * working
    # a day off is neither worked, on leave nor spoiled by a spill in (the pattern never spills)
    free = set(block) - set(mine) - year.leave[r] - ({block.start} if spill_in else set())
    return len(free) >= working // 7 and calls <= working // 3 and hours_ok
