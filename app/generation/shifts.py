"""Phase 3: the shifts of one team in one block (CP-SAT), given the call plan.

Hard: daily coverage, each resident's planned call count, the planned edge shifts on the last day,
rest after the previous block's edge shift, leave, one shift a day, and every ACGME rule under
per-block semantics — rest pairs (14 h after a 24 h+ period, 8 h otherwise, so periods never
merge and none exceeds its one shift's length), 80 h/week averaged over the block (spill from the
previous block included, the spill into the next one left out), q3 call, and one free calendar day
per 7 working days. A free calendar day is a 24 h free period, so the validator's count of
⌊gap / 24 h⌋ is never lower than ours.
Objective: balance of exact-coverage shifts (nights) first, then preferences.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from ortools.sat.python import cp_model

from app.generation.callplan import WEEK_MINUTES, call_shift
from app.generation.program import WEEKDAYS
from app.generation.solve import Outcome, SolveLimits, Status, new_model, solve
from app.generation.teams import Team
from app.generation.timing import conflicts
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS
from app.schedules.file_format import ShiftKind

BALANCE_WEIGHT = 100  # one night off the even share outweighs any number of preference points
REPAIR_WEIGHT = 10_000  # when repairing, each call moved away from the plan costs this much


@dataclass(frozen=True, slots=True)
class TeamShifts:
    team: Team
    outcome: Outcome
    worked: list[tuple[str, int, str]]  # (resident, day of the year, shift name)

    def calls(self, call: str) -> dict[str, int]:
        counts = dict.fromkeys(self.team.members, 0)
        for r, _, s in self.worked:
            if s == call:
                counts[r] += 1
        return counts


@dataclass(frozen=True, slots=True)
class TeamInputs:
    calls: dict[str, int]  # planned calls per member (members of call rotations)
    edge_out: dict[str, str]  # member -> edge shift on the last day; others work none
    edge_in: dict[str, str]  # member -> edge shift worked on the previous block's last day
    last_block: bool  # the year's last block: nothing to hand over


Shifts = dict[tuple[int, str], cp_model.IntVar]  # (day of the block, shift) -> works it


def solve_team(
    year: ProgramYear,
    team: Team,
    inputs: TeamInputs,
    limits: SolveLimits,
    *,
    relax: Collection[str] = (),
) -> TeamShifts:
    if year.program.rotation(team.rotation).weekly_pattern is not None:
        return pattern_team(year, team, inputs)
    model = new_model()
    # the order of variables and constraints is part of the model: it steers CP-SAT's search
    names = year.program.rotation(team.rotation).shifts
    x: dict[str, Shifts] = {}
    for r in team.members:
        x[r] = own = _shift_vars(model, year, team.block, names, r, inputs.edge_in.get(r))
        _one_shift_a_day(model, own, names)
        _rest_between_days(model, year, own, names)
        if not inputs.last_block and "edges" not in relax:
            _edge_shifts(model, year, own, names, inputs.edge_out.get(r))
    _coverage(model, team, x)
    cost = [c for r in team.members for c in _totals(model, year, team, inputs, r, x[r], relax)]
    cost.extend(_balance(model, year, team, call_shift(year, team.rotation), x))
    if cost:
        model.minimize(sum(cost))
    return _solve_and_read(model, team, x, limits)


def _shift_vars(
    model: cp_model.CpModel, year: ProgramYear, b: int, names: list[str], r: str, came: str | None
) -> Shifts:
    """A variable per shift the resident may work: none on leave, none running into a leave day,
    none on day 0 too soon after ``came`` (the edge shift worked on the previous block's last
    day)."""
    first = b * BLOCK_DAYS
    timing = year.timings
    own: Shifts = {}
    for d in range(BLOCK_DAYS):
        if year.on_leave(r, first + d):
            continue
        for s in names:
            if timing[s].spill and year.on_leave(r, first + d + 1):
                continue
            if d == 0 and came is not None and conflicts(timing[came], timing[s], 1):
                continue
            own[d, s] = model.new_bool_var("")
    return own


def _one_shift_a_day(model: cp_model.CpModel, own: Shifts, names: list[str]) -> None:
    """Two shifts on one day would merge into one over-long duty period."""
    for d in range(BLOCK_DAYS):
        today = [v for s in names if (v := own.get((d, s))) is not None]
        if len(today) > 1:
            model.add_at_most_one(today)


def _rest_between_days(
    model: cp_model.CpModel, year: ProgramYear, own: Shifts, names: list[str]
) -> None:
    """ACGME rest pairs: no shift on day d + 1 that starts too soon after day d's one ends."""
    timing = year.timings
    pairs = [(s, t) for s in names for t in names if conflicts(timing[s], timing[t], 1)]
    for s, t in pairs:
        for d in range(BLOCK_DAYS - 1):
            if (d, s) in own and (d + 1, t) in own:
                model.add_bool_or([own[d, s].Not(), own[d + 1, t].Not()])


def _edge_shifts(
    model: cp_model.CpModel, year: ProgramYear, own: Shifts, names: list[str], out: str | None
) -> None:
    """On the last day, exactly the planned edge shift: the next block's plan counts on it."""
    for s in names:
        if s in year.edge_shifts and (BLOCK_DAYS - 1, s) in own:
            model.add(own[BLOCK_DAYS - 1, s] == int(s == out))


def _coverage(model: cp_model.CpModel, team: Team, x: dict[str, Shifts]) -> None:
    """Every day each demand gets its count of residents on its shift (exactly or at least)."""
    for demand in team.demands:
        for d in range(BLOCK_DAYS):
            total = [v for r in demand.members if (v := x[r].get((d, demand.shift))) is not None]
            if demand.exact:
                model.add(sum(total) == demand.count)
            else:
                model.add(sum(total) >= demand.count)


def _totals(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    inputs: TeamInputs,
    r: str,
    own: Shifts,
    relax: Collection[str],
) -> list[cp_model.LinearExprT]:
    """The resident's per-block rules (calls, hours, days off); returns their objective terms."""
    cost: list[cp_model.LinearExprT] = []
    working = year.working_days(r, team.block)
    names = year.program.rotation(team.rotation).shifts
    call = call_shift(year, team.rotation)
    if call is not None:
        planned = inputs.calls.get(r, 0)
        cost.extend(_calls(model, own, call, planned, working, repair="calls" in relax))
    came = inputs.edge_in.get(r)
    spill_in = year.timings[came].spill if came is not None else 0
    if working >= 7 and "hours" not in relax:
        _weekly_hours(model, year, own, spill_in, working)
    if "days_off" not in relax:
        _days_off(model, year, r, team.block, names, own, spill_in > 0)
    cost.extend(_preferences(own, team.block * BLOCK_DAYS, year.avoided_days[r]))
    return cost


def _calls(
    model: cp_model.CpModel, own: Shifts, call: str, planned: int, working: int, *, repair: bool
) -> list[cp_model.LinearExprT]:
    """The planned number of calls (repairing: as close to it as the block allows, at a cost),
    and q3: at most one call per three working days."""
    calls = [v for (_, s), v in own.items() if s == call]
    cost: list[cp_model.LinearExprT] = []
    if not repair:
        model.add(sum(calls) == planned)
    else:
        off = model.new_int_var(0, BLOCK_DAYS, "")
        model.add_abs_equality(off, sum(calls) - planned)
        cost.append(REPAIR_WEIGHT * off)
    model.add(sum(calls) <= working // 3)
    return cost


def _weekly_hours(
    model: cp_model.CpModel, year: ProgramYear, own: Shifts, spill_in: int, working: int
) -> None:
    """80 h a week averaged over the working days: the minutes inside the block plus the spill
    of the previous block's edge shift (the spill into the next block counts there)."""
    timing = year.timings
    minutes = [timing[s].minutes_within(BLOCK_DAYS - d) * v for (d, s), v in own.items()]
    model.add(7 * (sum(minutes) + spill_in) <= WEEK_MINUTES * working)


def _preferences(own: Shifts, first: int, avoided: dict[int, int]) -> list[cp_model.LinearExprT]:
    """Soft: a shift on a day the resident asked to keep free costs that request's weight."""
    if not avoided:
        return []
    return [avoided[first + d] * v for (d, _), v in own.items() if first + d in avoided]


def _solve_and_read(
    model: cp_model.CpModel, team: Team, x: dict[str, Shifts], limits: SolveLimits
) -> TeamShifts:
    outcome, solver = solve(model, limits)
    if outcome.status not in ("optimal", "feasible"):
        return TeamShifts(team, outcome, [])
    first = team.block * BLOCK_DAYS
    worked = [
        (r, first + d, s)
        for r in team.members
        for (d, s), v in x[r].items()
        if solver.boolean_value(v)
    ]
    return TeamShifts(team, outcome, worked)


def _days_off(
    model: cp_model.CpModel,
    year: ProgramYear,
    r: str,
    b: int,
    names: list[str],
    own: Shifts,
    spill_in: bool,
) -> None:
    """At least one fully free calendar day per 7 working days in the block."""
    first = b * BLOCK_DAYS
    spilling = [s for s in names if year.timings[s].spill]
    free: list[cp_model.LinearExprT] = []
    for d in range(BLOCK_DAYS):
        if year.on_leave(r, first + d) or (d == 0 and spill_in):
            continue
        busy = _busy(own, names, spilling, d)
        if not busy:
            free.append(1)
            continue
        f = model.new_bool_var("")
        model.add_bool_and([v.Not() for v in busy]).only_enforce_if(f)
        free.append(f)
    model.add(sum(free) >= year.working_days(r, b) // 7)


def _busy(own: Shifts, names: list[str], spilling: list[str], d: int) -> list[cp_model.IntVar]:
    """What would keep day ``d`` from being free: a shift on it, or one spilling into it."""
    busy = [v for s in names if (v := own.get((d, s))) is not None]
    return busy + [v for s in spilling if (v := own.get((d - 1, s))) is not None]


def _balance(
    model: cp_model.CpModel,
    year: ProgramYear,
    team: Team,
    call: str | None,
    x: dict[str, dict[tuple[int, str], cp_model.IntVar]],
) -> list[cp_model.LinearExprT]:
    """Penalty for each exact-coverage shift (nights) beyond a resident's even share."""
    cost: list[cp_model.LinearExprT] = []
    b = team.block
    for demand in team.demands:
        if not demand.exact or demand.shift == call or len(demand.members) < 2:
            continue
        available = sum(year.working_days(r, b) for r in demand.members)
        for r in demand.members:
            share = demand.count * BLOCK_DAYS * year.working_days(r, b) / max(available, 1)
            lo, hi = math.floor(share), math.ceil(share)
            count = sum(v for (_, s), v in x[r].items() if s == demand.shift)
            over = model.new_int_var(0, BLOCK_DAYS, f"over[{r},{demand.shift}]")
            under = model.new_int_var(0, BLOCK_DAYS, f"under[{r},{demand.shift}]")
            model.add(over >= count - hi)
            model.add(under >= lo - count)
            cost.extend([BALANCE_WEIGHT * over, BALANCE_WEIGHT * under])
    return cost


def pattern_team(year: ProgramYear, team: Team, inputs: TeamInputs) -> TeamShifts:
    """A weekly-pattern rotation (clinic Mon-Fri) has nothing to decide: work the pattern except
    on leave, on days the resident asked to keep free (no coverage hangs on them) and after an
    edge shift that needs rest. Then check the same rules the models enforce."""
    rotation = year.program.rotation(team.rotation)
    assert rotation.weekly_pattern is not None
    (name,) = rotation.shifts
    weekdays = {WEEKDAYS.index(w) for w in rotation.weekly_pattern}
    worked: list[tuple[str, int, str]] = []
    ok = True
    for r in team.members:
        came = inputs.edge_in.get(r)
        mine = _pattern_days(year, team.block, r, name, weekdays, came)
        ok &= _pattern_fits(year, team.block, r, name, mine, came)
        worked.extend((r, day, name) for day in mine)
    status: Status = "optimal" if ok else "infeasible"
    outcome = Outcome(status, 0.0 if ok else math.nan, 0.0 if ok else math.nan, 0.0, 0.0, int(ok))
    return TeamShifts(team, outcome, worked if ok else [])


def _pattern_days(
    year: ProgramYear, b: int, r: str, name: str, weekdays: set[int], came: str | None
) -> list[int]:
    """The days of the year the resident works the pattern shift ``name`` in block ``b``."""
    first = b * BLOCK_DAYS
    shift = year.timings[name]
    rests = came is not None and conflicts(year.timings[came], shift, 1)  # only day 0 is hit
    return [
        first + d
        for d in range(BLOCK_DAYS)
        if year.weekday(first + d) in weekdays
        and not year.on_leave(r, first + d)
        and first + d not in year.avoided_days[r]
        and not (d == 0 and rests)
    ]


def _pattern_fits(
    year: ProgramYear, b: int, r: str, name: str, mine: list[int], came: str | None
) -> bool:
    """Days off, q3 and the 80-hour week for a resident working the pattern on ``mine``."""
    shift = year.timings[name]
    spill_in = year.timings[came].spill if came is not None else 0
    working = year.working_days(r, b)
    end = (b + 1) * BLOCK_DAYS
    minutes = spill_in + sum(shift.minutes_within(end - day) for day in mine)
    calls = len(mine) if shift.kind is ShiftKind.CALL else 0
    hours_ok = working < 7 or 7 * minutes <= WEEK_MINUTES * working
    free = _free_days(year, b, r, mine, spill_in > 0)
    return free >= working // 7 and calls <= working // 3 and hours_ok


def _free_days(year: ProgramYear, b: int, r: str, mine: list[int], spill_in: bool) -> int:
    """Days of the block neither worked nor on leave (nor spoiled by the last block's spill);
    the pattern shift itself never spills (checked when the program is loaded)."""
    first = b * BLOCK_DAYS
    return sum(
        1
        for d in range(BLOCK_DAYS)
        if first + d not in mine and not year.on_leave(r, first + d) and not (d == 0 and spill_in)
    )
