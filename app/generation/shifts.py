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
    b = team.block
    first = b * BLOCK_DAYS
    rotation = year.program.rotation(team.rotation)
    names = rotation.shifts
    timing = year.timings
    pairs = [(s, t) for s in names for t in names if conflicts(timing[s], timing[t], 1)]
    spilling = [s for s in names if timing[s].spill]
    call = call_shift(year, team.rotation)
    avoided = year.avoided_days

    # x[r][d, s]: resident r works shift s on day d of the block
    x: dict[str, dict[tuple[int, str], cp_model.IntVar]] = {}
    for r in team.members:
        came = inputs.edge_in.get(r)
        own: dict[tuple[int, str], cp_model.IntVar] = {}
        x[r] = own
        for d in range(BLOCK_DAYS):
            day = first + d
            if year.on_leave(r, day):
                continue
            for s in names:
                if timing[s].spill and year.on_leave(r, day + 1):
                    continue  # would run into a leave day
                if d == 0 and came is not None and conflicts(timing[came], timing[s], 1):
                    continue
                own[d, s] = model.new_bool_var("")
        for d in range(BLOCK_DAYS):
            today = [v for s in names if (v := own.get((d, s))) is not None]
            if len(today) > 1:
                model.add_at_most_one(today)
        for s, t in pairs:
            for d in range(BLOCK_DAYS - 1):
                if (d, s) in own and (d + 1, t) in own:
                    model.add_bool_or([own[d, s].Not(), own[d + 1, t].Not()])
        if not inputs.last_block and "edges" not in relax:
            out = inputs.edge_out.get(r)
            for s in names:
                if s in year.edge_shifts and (BLOCK_DAYS - 1, s) in own:
                    model.add(own[BLOCK_DAYS - 1, s] == int(s == out))

    for demand in team.demands:
        for d in range(BLOCK_DAYS):
            total = [v for r in demand.members if (v := x[r].get((d, demand.shift))) is not None]
            if demand.exact:
                model.add(sum(total) == demand.count)
            else:
                model.add(sum(total) >= demand.count)

    cost: list[cp_model.LinearExprT] = []
    for r in team.members:
        own = x[r]
        working = year.working_days(r, b)
        if call is not None:
            calls = [v for (_, s), v in own.items() if s == call]
            planned = inputs.calls.get(r, 0)
            if "calls" not in relax:
                model.add(sum(calls) == planned)
            else:  # repair: stay as close to the plan as the block allows
                off = model.new_int_var(0, BLOCK_DAYS, "")
                model.add_abs_equality(off, sum(calls) - planned)
                cost.append(REPAIR_WEIGHT * off)
            model.add(sum(calls) <= working // 3)
        came = inputs.edge_in.get(r)
        spill_in = timing[came].spill if came is not None else 0
        if working >= 7 and "hours" not in relax:
            minutes = [timing[s].minutes_within(BLOCK_DAYS - d) * v for (d, s), v in own.items()]
            model.add(7 * (sum(minutes) + spill_in) <= WEEK_MINUTES * working)
        if "days_off" not in relax:
            _days_off(model, year, r, b, names, spilling, own, spill_in > 0)
        if avoided[r]:
            cost.extend(
                avoided[r][first + d] * v for (d, _), v in own.items() if first + d in avoided[r]
            )

    cost.extend(_balance(model, year, team, call, x))
    if cost:
        model.minimize(sum(cost))
    outcome, solver = solve(model, limits)
    worked: list[tuple[str, int, str]] = []
    if outcome.status in ("optimal", "feasible"):
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
    spilling: list[str],
    own: dict[tuple[int, str], cp_model.IntVar],
    spill_in: bool,
) -> None:
    """At least one fully free calendar day per 7 working days in the block."""
    first = b * BLOCK_DAYS
    free: list[cp_model.LinearExprT] = []
    for d in range(BLOCK_DAYS):
        if year.on_leave(r, first + d) or (d == 0 and spill_in):
            continue
        busy = [v for s in names if (v := own.get((d, s))) is not None]
        busy += [v for s in spilling if (v := own.get((d - 1, s))) is not None]
        if not busy:
            free.append(1)
            continue
        f = model.new_bool_var("")
        model.add_bool_and([v.Not() for v in busy]).only_enforce_if(f)
        free.append(f)
    model.add(sum(free) >= year.working_days(r, b) // 7)


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
    shift = year.timings[name]
    days = {WEEKDAYS.index(w) for w in rotation.weekly_pattern}
    first = team.block * BLOCK_DAYS
    worked: list[tuple[str, int, str]] = []
    ok = True
    for r in team.members:
        came = inputs.edge_in.get(r)
        spill_in = year.timings[came].spill if came is not None else 0
        mine = [
            first + d
            for d in range(BLOCK_DAYS)
            if year.weekday(first + d) in days
            and not year.on_leave(r, first + d)
            and first + d not in year.avoided_days[r]
            and not (d == 0 and came is not None and conflicts(year.timings[came], shift, 1))
        ]
        working = year.working_days(r, team.block)
        minutes = spill_in + sum(shift.minutes_within(first + BLOCK_DAYS - day) for day in mine)
        free = sum(
            1
            for d in range(BLOCK_DAYS)
            if first + d not in mine
            and not year.on_leave(r, first + d)
            and not (d == 0 and spill_in)
        )  # the pattern shift never spills (checked when the program is loaded)
        calls = len(mine) if shift.kind is ShiftKind.CALL else 0
        ok &= free >= working // 7 and calls <= working // 3
        ok &= working < 7 or 7 * minutes <= WEEK_MINUTES * working
        worked.extend((r, day, name) for day in mine)
    status: Status = "optimal" if ok else "infeasible"
    outcome = Outcome(status, 0.0 if ok else math.nan, 0.0 if ok else math.nan, 0.0, 0.0, int(ok))
    return TeamShifts(team, outcome, worked if ok else [])
