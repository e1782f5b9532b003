"""``generate_schedule``: program in, ACGME-clean, call-fair schedule file out.

Three phases, each a CP-SAT model solved deterministically (fixed seed, fixed workers,
deterministic-time budgets):

1. rotations — one rotation per resident per block (staffing, program rules, leave);
2. call plan — in-house calls per resident per block (class fairness) and block-edge hand-overs;
3. shifts — one small model per team per block (WARDS interns of block 3, ICU of block 7, ...).

Everything that couples blocks lives in phase 2, so the phase-3 models are independent; they are
solved two at a time. "optimal" means every phase model was solved to proven optimality.
The objective is phase 2's call-evenness cost plus phase 3's balance and preference penalties.
Pure: no I/O, no logging.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Literal

from app.generation.callplan import CallPlan, plan_calls
from app.generation.diagnose import explain_calls, explain_rotations, explain_team
from app.generation.precheck import precheck
from app.generation.program import Program
from app.generation.rotations import plan_rotations
from app.generation.shifts import TeamInputs, TeamShifts, solve_team
from app.generation.solve import Outcome, SolveLimits, Status
from app.generation.teams import Team, block_teams
from app.generation.year import ProgramYear
from app.schedules.file_format import (
    LeaveEntry,
    Period,
    ResidentEntry,
    ScheduleFile,
    ShiftEntry,
)

Phase = Literal["checks", "rotations", "calls", "shifts", "done"]
PARALLEL_TEAMS = 2  # single-worker team models run side by side; the machine has 2 cores
ROTATION_WORK = 30.0  # deterministic-time budgets (CP-SAT work units, roughly seconds)
CALL_WORK = 30.0
TEAM_WORK = 10.0


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


class _Run:
    """Bookkeeping for one generation: clock, progress reports, phase statistics."""

    def __init__(self, on_progress: Callable[[Progress], None] | None) -> None:
        self.started = time.perf_counter()
        self.on_progress = on_progress
        self.solutions = 0
        self.phases: list[PhaseStats] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def report(self, phase: Phase, objective: float | None, bound: float | None, detail: str = "") -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(phase, self.solutions, objective, bound, self.elapsed(), detail))

    def hook(self, phase: Phase) -> Callable[[int, float, float], None]:
        base = self.solutions

        def on_solution(count: int, objective: float, bound: float) -> None:
            self.solutions = base + count
            self.report(phase, objective, bound)

        return on_solution

    def record(self, phase: Phase, outcome: Outcome) -> None:
        self.phases.append(PhaseStats(phase, outcome.status, outcome.objective, outcome.bound, outcome.wall))

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
        )


def generate_schedule(
    program: Program,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> GenerationResult:
    run = _Run(on_progress)
    deadline = None if time_limit is None else time.monotonic() + time_limit
    year = ProgramYear(program)

    run.report("checks", None, None)
    problems = precheck(year)
    if problems:
        return run.fail("infeasible", "; ".join(problems))

    limits = SolveLimits(seed=seed, deadline=deadline, deterministic_time=ROTATION_WORK)
    rotations = plan_rotations(year, limits, hook=run.hook("rotations"))
    run.record("rotations", rotations.outcome)
    if rotations.assignment is None:
        if rotations.outcome.status == "timeout":
            return run.fail("timeout", "the time limit ran out while assigning rotations")
        return run.fail("infeasible", explain_rotations(year, _diagnosis(limits)))
    assignment = rotations.assignment

    limits = SolveLimits(seed=seed, deadline=deadline, deterministic_time=CALL_WORK)
    calls = plan_calls(year, assignment, limits, hook=run.hook("calls"))
    run.record("calls", calls.outcome)
    if calls.outcome.status not in ("optimal", "feasible"):
        if calls.outcome.status == "timeout":
            return run.fail("timeout", "the time limit ran out while planning in-house calls")
        return run.fail("infeasible", explain_calls(year, assignment, _diagnosis(limits)))

    limits = SolveLimits(seed=seed, deadline=deadline, deterministic_time=TEAM_WORK)
    jobs = [
        (team, _inputs(year, team, calls))
        for b in range(year.blocks)
        for team in block_teams(year, b, assignment)
    ]
    phase_started = time.perf_counter()
    results = _solve_teams(year, jobs, limits, run)
    phase_wall = time.perf_counter() - phase_started
    for (team, inputs), result in zip(jobs, results, strict=True):
        if result.outcome.status == "timeout":
            return run.fail("timeout", f"the time limit ran out while placing the shifts of {team.label}")
        if result.outcome.status == "infeasible":
            return run.fail("infeasible", explain_team(year, team, inputs, _diagnosis(limits)))
    run.record("shifts", _merge([r.outcome for r in results], phase_wall))

    statuses = {p.status for p in run.phases}
    status: Status = "optimal" if statuses == {"optimal"} else "feasible"
    objective = sum(p.objective for p in run.phases if p.phase != "rotations")
    bound = sum(p.bound for p in run.phases if p.phase != "rotations")
    schedule = _assemble(year, results)
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
    )


def _diagnosis(limits: SolveLimits) -> SolveLimits:
    return SolveLimits(seed=limits.seed, deadline=None, deterministic_time=10.0)


def _inputs(year: ProgramYear, team: Team, plan: CallPlan) -> TeamInputs:
    b = team.block
    return TeamInputs(
        calls={r: plan.calls[r, b] for r in team.members if (r, b) in plan.calls},
        edge_out={r: s for r in team.members if (s := plan.edge.get((r, b))) is not None},
        edge_in={r: s for r in team.members if (s := plan.edge.get((r, b - 1))) is not None},
        last_block=b == year.blocks - 1,
    )


def _solve_teams(
    year: ProgramYear, jobs: list[tuple[Team, TeamInputs]], limits: SolveLimits, run: _Run
) -> list[TeamShifts]:
    results: list[TeamShifts] = []
    objective = 0.0
    with ThreadPoolExecutor(max_workers=PARALLEL_TEAMS) as pool:
        # CP-SAT releases the GIL while solving; results are consumed in job order.
        for i, result in enumerate(
            pool.map(lambda job: solve_team(year, job[0], job[1], limits), jobs), start=1
        ):
            results.append(result)
            run.solutions += result.outcome.solutions
            objective += result.outcome.objective if result.outcome.solutions else 0.0
            run.report("shifts", objective, None, f"{i}/{len(jobs)} teams")
    return results


def _merge(outcomes: list[Outcome], wall: float) -> Outcome:
    statuses = {o.status for o in outcomes}
    status: Status = "optimal" if statuses <= {"optimal"} else "feasible"
    return Outcome(
        status=status,
        objective=sum(o.objective for o in outcomes),
        bound=sum(o.bound for o in outcomes),
        wall=wall,
        first_solution=None,
        solutions=sum(o.solutions for o in outcomes),
    )


def _assemble(year: ProgramYear, results: list[TeamShifts]) -> ScheduleFile:
    program = year.program
    entries: list[ShiftEntry] = []
    for result in results:
        for resident, day, name in result.worked:
            timing = year.timings[name]
            start = datetime.combine(year.day_date(day), clock()) + timedelta(minutes=timing.start)
            entries.append(
                ShiftEntry(
                    resident=resident,
                    start=start,
                    end=start + timedelta(minutes=timing.length),
                    kind=timing.kind,
                )
            )
    order = {r: i for i, r in enumerate(year.ids)}
    entries.sort(key=lambda e: (e.start, order[e.resident]))
    return ScheduleFile(
        program=program.name,
        period=Period(start=program.academic_year_start, end=program.year_end),
        residents=[ResidentEntry(id=r.id, pgy=r.pgy, name=r.name) for r in year.residents],
        shifts=entries,
        leave=[LeaveEntry(resident=e.resident, start=e.start, end=e.end) for e in program.leave],
    )

