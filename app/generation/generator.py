"""``generate_schedule``: program in, ACGME-clean, call-fair schedule file out.

Three phases, each a CP-SAT model solved deterministically (fixed seed, fixed workers,
deterministic-time budgets):

1. rotations — one rotation per resident per block (staffing, program rules, leave);
2. call plan — in-house calls per resident per block (class fairness) and block-edge hand-overs;
3. shifts — one small model per team per block (WARDS interns of block 3, ICU of block 7, ...).

Everything that couples blocks lives in phase 2, so the phase-3 models are independent; they are
solved two at a time. Two passes follow: teams that could not take their weekend/holiday shares
are made up for by re-sharing (and re-solving) the other blocks' shares, and runs of working days
across block edges are mended (:mod:`app.generation.edge_runs`). "optimal" means every phase
model was solved to proven optimality.
The objective adds up the phases': leave days on covered rotations, call-count unevenness across
blocks, night imbalance (x100) and preference points.
Pure: no I/O, no logging.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

from app.generation.assemble import to_schedule_file
from app.generation.callplan import CallPlan, Pins, plan_calls
from app.generation.calls import call_shift
from app.generation.diagnose import explain_calls, explain_rotations, explain_team
from app.generation.edge_runs import mend_edge_runs
from app.generation.precheck import grant_leave, precheck
from app.generation.program import Program
from app.generation.rotations import plan_rotations
from app.generation.seniority import CrewNeed, crew_needs
from app.generation.shifts import REPAIR_WEIGHT, TeamInputs, TeamShifts, solve_team
from app.generation.solve import Outcome, SolveLimits, Status, merge_outcomes
from app.generation.special_calls import SPECIAL, share_special, special_days
from app.generation.teams import Team, block_teams
from app.generation.workload import hours_targets
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS
from app.schedules.file_format import ScheduleFile

Phase = Literal["checks", "rotations", "calls", "shifts", "done"]
MAX_REPAIRS = 5  # rounds of: plan calls, solve teams, let failed teams re-share their calls
SPECIAL_ROUNDS = 2  # rounds of re-sharing weekend/holiday calls around teams that moved some
PARALLEL_TEAMS = 2  # single-worker team models run side by side; the machine has 2 cores
# Deterministic-time budgets in CP-SAT work units; one unit took 2-4 s of wall time here. The
# demo program needs a fraction of each; hitting one ends that phase "feasible", not "optimal".
ROTATION_WORK = 5.0
CALL_WORK = 5.0
TEAM_WORK = 1.0
# Effort grows with the program: every budget above is for up to this many residents and is
# multiplied by residents / EFFORT_RESIDENTS beyond it (a 500-resident program gets ~7x).
EFFORT_RESIDENTS = 72
# The call plan's objective (per-block unevenness of call counts) within 2% of its bound is
# optimal enough: an odd-length last block can leave a proof of the last point running long.
CALL_GAP = 0.02


@dataclass(frozen=True, slots=True)
class Progress:
    phase: Phase
    solutions: int  # solutions found so far, all phases
    objective: float | None  # current phase's best objective
    bound: float | None
    elapsed: float  # seconds since the start
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PhaseStats:
    phase: Phase
    status: Status
    objective: float
    bound: float
    wall: float


@dataclass(frozen=True, slots=True)
class GenerationResult:
    status: Status
    schedule: ScheduleFile | None
    objective: float | None
    bound: float | None
    wall_time: float
    time_to_first_feasible: float | None
    explanation: str | None = None
    phases: tuple[PhaseStats, ...] = ()
    assignment: dict[str, list[str]] | None = None  # resident -> rotation per block
    # leave requests refused before solving, one plain sentence each (program ``leave_requests``)
    refused_leave: list[str] = field(default_factory=list)


class _Run:
    """Bookkeeping for one generation: clock, progress reports, phase statistics."""

    def __init__(self, on_progress: Callable[[Progress], None] | None) -> None:
        self.started = time.perf_counter()
        self.on_progress = on_progress
        self.solutions = 0
        self.phases: list[PhaseStats] = []
        self.keep_partial = False
        self.refused_leave: list[str] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def report(
        self, phase: Phase, objective: float | None, bound: float | None, detail: str = ""
    ) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(phase, self.solutions, objective, bound, self.elapsed(), detail)
            )

    def hook(self, phase: Phase) -> Callable[[int, float, float], None]:
        base = self.solutions

        def on_solution(count: int, objective: float, bound: float) -> None:
            self.solutions = base + count
            self.report(phase, objective, bound)

        return on_solution

    def record(self, phase: Phase, outcome: Outcome) -> None:
        self.phases.append(
            PhaseStats(phase, outcome.status, outcome.objective, outcome.bound, outcome.wall)
        )

    def fail(self, status: Status, explanation: str) -> GenerationResult:
        self.report("done", None, None, explanation)
        return GenerationResult(
            status=status,
            schedule=None,
            objective=None,
            bound=None,
            wall_time=self.elapsed(),
            time_to_first_feasible=None,
            explanation=explanation,
            phases=tuple(self.phases),
            refused_leave=list(self.refused_leave),
        )


def generate_schedule(
    program: Program,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    keep_partial: bool = False,
) -> GenerationResult:
    """``keep_partial``: when the time limit runs out while placing shifts, return the year so
    far (status ``timeout``, some team-blocks unstaffed) instead of no schedule."""
    run = _Run(on_progress)
    run.keep_partial = keep_partial
    deadline = None if time_limit is None else time.monotonic() + time_limit
    program, run.refused_leave = grant_leave(program)
    year = ProgramYear(program)

    run.report("checks", None, None)
    problems = precheck(year)
    if problems:
        return run.fail("infeasible", "; ".join(problems))

    work = ROTATION_WORK * effort(year)
    limits = SolveLimits(seed=seed, deadline=deadline, deterministic_time=work, lean=True)
    rotations = plan_rotations(year, limits, hook=run.hook("rotations"))
    run.record("rotations", rotations.outcome)
    if rotations.assignment is None:
        if rotations.outcome.status == "timeout":
            return run.fail("timeout", _ran_out(deadline, time_limit, "assigning rotations"))
        group = rotations.failed_group or ""
        return run.fail("infeasible", explain_rotations(year, group, _diagnosis(limits)))
    assignment = rotations.assignment

    placed = _plan_and_place(year, assignment, seed, (deadline, time_limit), run)
    if isinstance(placed, GenerationResult):
        return placed
    results = placed

    statuses = {p.status for p in run.phases}
    status: Status = "optimal" if statuses == {"optimal"} else "feasible"
    objective = sum(p.objective for p in run.phases)
    bound = sum(p.bound for p in run.phases)
    schedule = to_schedule_file(year, [w for r in results for w in r.worked])
    wall = run.elapsed()
    run.report("done", objective, bound)
    return GenerationResult(
        status=status,
        schedule=schedule,
        objective=objective,
        bound=bound,
        wall_time=wall,
        time_to_first_feasible=wall,  # phases run in sequence: the first full year is the last
        phases=tuple(run.phases),
        assignment=assignment,
        refused_leave=list(run.refused_leave),
    )


def _plan_and_place(
    year: ProgramYear,
    assignment: dict[str, list[str]],
    seed: int,
    limit: tuple[float | None, float | None],
    run: _Run,
) -> list[TeamShifts] | GenerationResult:
    """Phases 2 and 3: plan calls, place every team's shifts; if a team cannot use its share of
    the plan, let it re-share its calls (repair), pin that, and plan again."""
    deadline, time_limit = limit
    scale = effort(year)
    call_limits = SolveLimits(
        seed=seed, deadline=deadline, deterministic_time=CALL_WORK * scale, gap=CALL_GAP
    )
    team_limits = SolveLimits(
        seed=seed, deadline=deadline, deterministic_time=TEAM_WORK * scale, quick_first=True
    )
    pins = Pins()
    aims = hours_targets(year, assignment)  # yearly hours even within each class
    solved: dict[_Key, TeamShifts] = {}  # a team whose inputs did not change is not redone
    started = time.perf_counter()
    plan_wall = 0.0
    first_failed: tuple[Team, TeamInputs] | None = None
    for repairs in range(MAX_REPAIRS + 1):
        plan = plan_calls(year, assignment, call_limits, hook=run.hook("calls"), pins=pins)
        plan_wall += plan.outcome.wall
        if plan.outcome.status == "timeout":
            return run.fail("timeout", _ran_out(deadline, time_limit, "planning in-house calls"))
        if plan.outcome.status == "infeasible":
            if first_failed is not None:  # the repairs, not the program's call rules, failed
                team, inputs = first_failed
                why = explain_team(year, team, inputs, _diagnosis(team_limits))
                return run.fail("infeasible", f"{why} (re-sharing its calls broke call fairness)")
            why = explain_calls(year, assignment, _diagnosis(call_limits))
            return run.fail("infeasible", why)
        jobs = [
            (team, replace(_inputs(year, team, plan, aims), crew=tuple(needs.get(team.label, []))))
            for b in range(year.blocks)
            for needs, teams in [_crews(year, b, assignment)]
            for team in teams
        ]
        todo = [job for job in jobs if _key(*job) not in solved]
        for job, result in zip(todo, _solve_teams(year, todo, team_limits, run), strict=True):
            solved[_key(*job)] = result
        failed = [(t, i) for t, i in jobs if solved[_key(t, i)].outcome.solutions == 0]
        if not failed:
            # a repaired plan is the best plan given its pins, not a proven optimum
            status: Status = "feasible" if repairs else plan.outcome.status
            run.record("calls", replace(plan.outcome, status=status, wall=plan_wall))
            results = [solved[_key(t, i)] for t, i in jobs]
            if deadline is None or time.monotonic() < deadline:
                jobs, results = _even_out_special(
                    year, plan, jobs, results, (team_limits, call_limits), solved, run
                )
            jobs, results = mend_edge_runs(
                year,
                _as_taken(year, jobs, results),
                results,
                lambda team, inputs, relax: solve_team(
                    year, team, inputs, team_limits, relax=relax
                ),
            )
            merged = merge_outcomes([r.outcome for r in results])
            wall = time.perf_counter() - started - plan_wall
            run.record("shifts", replace(merged, wall=wall))
            return results
        if deadline is not None and time.monotonic() >= deadline:
            return _best_so_far(year, run, [solved[_key(t, i)] for t, i in jobs], time_limit)
        if first_failed is None:
            first_failed = failed[0]
        for team, inputs in failed:
            repaired = _repair(year, team, inputs, team_limits, pins, plan.late_free)
            if repaired is None:
                label = f"placing the shifts of {team.label} in {year.block_label(team.block)}"
                if solved[_key(team, inputs)].outcome.status == "timeout":
                    # not proven impossible: the budget (or the time limit) ran out first
                    return run.fail("timeout", _ran_out(deadline, time_limit, label))
                why = explain_team(year, team, inputs, _diagnosis(team_limits))
                return run.fail("infeasible", why)
            solved[_key(team, _pinned(team, inputs, pins))] = repaired
    return run.fail(
        "infeasible",
        f"the call plan could not be repaired to fit every team in {MAX_REPAIRS} rounds",
    )


def _even_out_special(
    year: ProgramYear,
    plan: CallPlan,
    jobs: list[tuple[Team, TeamInputs]],
    results: list[TeamShifts],
    limits: tuple[SolveLimits, SolveLimits],
    solved: dict[_Key, TeamShifts],
    run: _Run,
) -> tuple[list[tuple[Team, TeamInputs]], list[TeamShifts]]:
    """Teams that could not take their planned weekend/holiday calls exactly moved one here and
    there; over a year that adds up. Keep what those teams did, share the other teams' weekend
    and holiday calls again so each class's yearly counts come back within the smallest spread
    possible, moving as few calls as it can, and re-solve only the teams whose shares changed.
    A re-solved team that cannot take its new shares is kept as it is in the next round."""
    team_limits, call_limits = limits
    jobs, results = list(jobs), list(results)
    teams = [[t for t, _ in jobs if t.block == b] for b in range(year.blocks)]
    for _ in range(SPECIAL_ROUNDS):
        realized: dict[tuple[str, str, int], int] = {}
        fixed: dict[tuple[str, str, int], int] = {}
        for (team, inputs), result in zip(jobs, results, strict=True):
            done = _special_counts(year, team, inputs, result)
            realized |= done
            if any(done[kind, r, team.block] != n for kind, r, n in inputs.special):
                fixed |= done
        if not fixed:
            break
        counts = {
            (r, team.block): n
            for (team, _), result in zip(jobs, results, strict=True)
            if (call := call_shift(year, team.rotation)) is not None
            for r, n in result.calls(call).items()
        }
        shares = realized | share_special(
            year,
            teams,
            counts,
            call_limits,
            plan.edge,
            plan.late_free,
            fixed=fixed,
            previous=realized,
        )
        changed: dict[int, tuple[Team, TeamInputs]] = {}
        for i, (team, inputs) in enumerate(jobs):
            special = tuple((kind, r, shares[kind, r, team.block]) for kind, r, _ in inputs.special)
            if special != inputs.special:
                changed[i] = (team, replace(inputs, special=special))
        if not changed:
            break
        fresh = [job for job in changed.values() if _key(*job) not in solved]
        for job, result in zip(fresh, _solve_teams(year, fresh, team_limits, run), strict=True):
            solved[_key(*job)] = result
        for i, job in changed.items():
            if solved[_key(*job)].outcome.solutions:  # else the team stays as it was
                jobs[i], results[i] = job, solved[_key(*job)]
    return jobs, results


def _as_taken(
    year: ProgramYear, jobs: list[tuple[Team, TeamInputs]], results: list[TeamShifts]
) -> list[tuple[Team, TeamInputs]]:
    """The jobs with the weekend/holiday calls each team took as its shares: a team re-solved
    later (edge runs) keeps the year's counts if it can."""
    taken = []
    for (team, inputs), result in zip(jobs, results, strict=True):
        done = _special_counts(year, team, inputs, result)
        special = tuple((kind, r, done[kind, r, team.block]) for kind, r, _ in inputs.special)
        taken.append((team, replace(inputs, special=special)))
    return taken


def _special_counts(
    year: ProgramYear, team: Team, inputs: TeamInputs, result: TeamShifts
) -> dict[tuple[str, str, int], int]:
    """The weekend/holiday calls each member took, for the shares the team was given."""
    call = call_shift(year, team.rotation)
    b = team.block
    first = b * BLOCK_DAYS
    days = {kind: {first + d for d in special_days(year, kind, b)} for kind in SPECIAL}
    taken = [(r, day) for r, day, name in result.worked if name == call]
    return {
        (kind, r, b): sum(1 for who, day in taken if who == r and day in days[kind])
        for kind, r, _ in inputs.special
    }


def _crews(
    year: ProgramYear, b: int, assignment: dict[str, list[str]]
) -> tuple[dict[str, list[CrewNeed]], list[Team]]:
    teams = block_teams(year, b, assignment)
    return crew_needs(year, teams), teams


def effort(year: ProgramYear) -> float:
    """How many times the base budgets this program gets: they grow with its size."""
    return max(1.0, len(year.ids) / EFFORT_RESIDENTS)


def _ran_out(deadline: float | None, time_limit: float | None, what: str) -> str:
    """The true cause: the caller's time limit, or (no limit, or time left) the search budget."""
    if deadline is not None and time.monotonic() >= deadline:
        return (
            f"the time limit ({time_limit:g} s) ran out while {what}, before a complete "
            "schedule was found; allow more time"
        )
    return (
        f"the search budget for {what} (scaled to the program's size) ran out before a "
        "solution was found; the program may be infeasible or just hard to solve"
    )


def _best_so_far(
    year: ProgramYear, run: _Run, results: list[TeamShifts], time_limit: float | None
) -> GenerationResult:
    """The time limit ran out with some teams unplaced: keep every team placed so far (if the
    caller asked for a partial year)."""
    missing = [r.team for r in results if r.outcome.solutions == 0]
    placed = [w for r in results for w in r.worked]
    first = missing[0]
    if not run.keep_partial:
        return run.fail(
            "timeout",
            f"the time limit ({time_limit:g} s) ran out while placing the shifts of {first.label} "
            f"in {year.block_label(first.block)}, before a complete schedule was found; "
            "allow more time",
        )
    gaps = sum(year.block_length(t.block) * sum(d.count for d in t.demands) for t in missing)
    explanation = (
        f"the time limit ({time_limit:g} s) ran out while placing the shifts of {first.label} in "
        f"{year.block_label(first.block)} and {len(missing) - 1} other team-block(s), before a "
        f"complete schedule was found; the best schedule so far is kept, with those "
        f"{len(missing)} team-block(s) unstaffed (about {gaps} shifts missing); allow more time"
    )
    run.report("done", None, None, explanation)
    wall = run.elapsed()
    return GenerationResult(
        status="timeout",
        schedule=to_schedule_file(year, placed),
        objective=None,
        bound=None,
        wall_time=wall,
        time_to_first_feasible=None,
        explanation=explanation,
        phases=tuple(run.phases),
        refused_leave=list(run.refused_leave),
    )


_Key = tuple[object, ...]


def _key(team: Team, inputs: TeamInputs) -> _Key:
    """Identifies a team model: same key, same model, same answer."""
    return (
        team.block,
        team.label,
        tuple(sorted(inputs.calls.items())),
        tuple(sorted(inputs.edge_out.items())),
        tuple(sorted(inputs.edge_in.items())),
        tuple(sorted(inputs.no_early_call)),
        tuple(sorted(inputs.no_late_call)),
        inputs.special,
        tuple(sorted(inputs.linked_before)),
        tuple(sorted(inputs.linked_after)),
        inputs.head_limit,
        inputs.tail_limit,
        inputs.hours,
    )


def _repair(
    year: ProgramYear,
    team: Team,
    inputs: TeamInputs,
    limits: SolveLimits,
    pins: Pins,
    plan_sides: dict[tuple[str, int], bool],
) -> TeamShifts | None:
    """Let the team move calls between its members; pin what it found for the next plan.

    Returns the team's solution under the new call counts, or None if even that fails.
    """
    result = solve_team(year, team, inputs, limits, relax=("calls",))
    if result.outcome.solutions == 0:
        # the block-edge share of the run limit is ours, not the program's: give it up here
        result = solve_team(year, team, inputs, limits, relax=("calls", "edge_runs"))
    if result.outcome.solutions == 0:
        return None
    call = call_shift(year, team.rotation)
    counts = result.calls(call) if call is not None else {}
    b = team.block
    for r in team.members:
        if r in inputs.calls:
            pins.calls[r, b] = counts[r]
        pins.edges[r, b] = inputs.edge_out.get(r)
        if b > 0:
            pins.edges[r, b - 1] = inputs.edge_in.get(r)
        if (r, b) in plan_sides:
            pins.sides[r, b] = r in inputs.no_late_call
        if (r, b - 1) in plan_sides:
            pins.sides[r, b - 1] = r not in inputs.no_early_call
    pins.special.update(_special_counts(year, team, inputs, result))
    moved = sum(abs(counts[r] - inputs.calls[r]) for r in inputs.calls)
    outcome = replace(
        result.outcome,
        objective=result.outcome.objective - REPAIR_WEIGHT * moved,
        bound=result.outcome.bound - REPAIR_WEIGHT * moved,
    )
    return replace(result, outcome=outcome)


def _pinned(team: Team, inputs: TeamInputs, pins: Pins) -> TeamInputs:
    """The team's inputs once the next plan honours its pins."""
    b = team.block
    return replace(
        inputs,
        calls={r: pins.calls[r, b] for r in inputs.calls},
        special=tuple((kind, r, pins.special[kind, r, b]) for kind, r, _ in inputs.special),
    )


def _diagnosis(limits: SolveLimits) -> SolveLimits:
    return SolveLimits(seed=limits.seed, deadline=None, deterministic_time=2.0)


def _inputs(
    year: ProgramYear, team: Team, plan: CallPlan, aims: dict[tuple[str, int], int]
) -> TeamInputs:
    b = team.block
    return TeamInputs(
        calls={r: plan.calls[r, b] for r in team.members if (r, b) in plan.calls},
        edge_out={r: s for r in team.members if (s := plan.edge.get((r, b))) is not None},
        edge_in={r: s for r in team.members if (s := plan.edge.get((r, b - 1))) is not None},
        last_block=b == year.blocks - 1,
        no_early_call=frozenset(r for r in team.members if plan.late_free.get((r, b - 1)) is False),
        no_late_call=frozenset(r for r in team.members if plan.late_free.get((r, b))),
        linked_before=frozenset(r for r in team.members if (r, b - 1) in plan.late_free),
        linked_after=frozenset(r for r in team.members if (r, b) in plan.late_free),
        special=tuple(
            (kind, r, plan.special[kind, r, b])
            for kind in SPECIAL
            for r in team.members
            if (kind, r, b) in plan.special
        ),
        hours=tuple((r, aims[r, b]) for r in team.members if (r, b) in aims),
    )


def _solve_teams(
    year: ProgramYear, jobs: list[tuple[Team, TeamInputs]], limits: SolveLimits, run: _Run
) -> list[TeamShifts]:
    results: list[TeamShifts] = []
    objective = 0.0
    with ThreadPoolExecutor(max_workers=PARALLEL_TEAMS) as pool:
        # CP-SAT releases the GIL while solving; results are consumed in job order.
        for i, result in enumerate(
            pool.map(lambda job: _solve_job(year, job[0], job[1], limits), jobs), start=1
        ):
            results.append(result)
            run.solutions += result.outcome.solutions
            objective += result.outcome.objective if result.outcome.solutions else 0.0
            run.report("shifts", objective, None, f"{i}/{len(jobs)} teams")
    return results


def _solve_job(
    year: ProgramYear, team: Team, inputs: TeamInputs, limits: SolveLimits
) -> TeamShifts:
    """The team's shifts under its plan. A day a member asked to keep free outranks the exact
    weekend/holiday shares: if the plan's shares make the team work more such days than it
    would without them, the team shares its weekend and holiday calls itself (the year's other
    blocks make up for it, :func:`_even_out_special`)."""
    result = solve_team(year, team, inputs, limits)
    if not inputs.special or not result.outcome.solutions or not _asked_off(year, result):
        return result
    free = solve_team(year, team, inputs, limits, relax=("special", "no_special"))
    if free.outcome.solutions and _asked_off(year, free) < _asked_off(year, result):
        return free
    return result


def _asked_off(year: ProgramYear, result: TeamShifts) -> int:
    """Preference points of the days worked that their residents asked to keep free."""
    return sum(year.avoided_days[r].get(day, 0) for r, day, _ in result.worked)
