"""Weekend and holiday calls: given the call plan's counts and hand-overs, how many of each
resident's calls in each block fall on weekends and on holidays (a small CP-SAT model per kind).

Each class's yearly counts within the smallest spread possible, 1 before the program's
``weekend_call_spread`` / ``holiday_call_spread``; each share near the resident's part of the
team's calls and within what the block lets them take (leave, days asked free, calls barred at
the block edges, q3). Also used after the teams are solved, to re-share around teams that could
not take their shares (``fixed``/``previous``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from app.generation.calls import call_shift, within_spread
from app.generation.solve import SolveLimits, solve
from app.generation.teams import Team
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

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
            within_spread(model, year, special, spread, skip=asked)
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
