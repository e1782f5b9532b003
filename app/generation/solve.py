"""Running one CP-SAT model deterministically and reporting its outcome without solver jargon.

Every phase model is solved with a fixed seed and a fixed number of workers. A wall-clock limit is
only applied when the caller asked for one (it can change results if it is hit); otherwise each
model gets a deterministic-time budget, which CP-SAT counts in work units, not seconds, so the same
input and seed always give the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ortools.sat.python import cp_model

Status = Literal["optimal", "feasible", "infeasible", "timeout"]
SolutionHook = Callable[[int, float, float], None]  # solutions so far, objective, bound


@dataclass(frozen=True, slots=True)
class SolveLimits:
    seed: int = 0
    workers: int = 1
    deadline: float | None = None  # time.monotonic() value; None = no wall-clock limit
    deterministic_time: float = 60.0  # per model, in CP-SAT work units (~seconds)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    objective: float
    bound: float
    wall: float
    first_solution: float | None  # seconds from start to first solution
    solutions: int


class _Hook(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    def __init__(self, started: float, hook: SolutionHook | None) -> None:
        super().__init__()
        self._started = started
        self._hook = hook
        self.count = 0
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.first is None:
            self.first = time.perf_counter() - self._started
        if self._hook is not None:
            self._hook(self.count, self.objective_value, self.best_objective_bound)


def solve(
    model: cp_model.CpModel,
    limits: SolveLimits,
    *,
    hook: SolutionHook | None = None,
) -> tuple[Outcome, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = limits.seed
    params.num_workers = limits.workers
    if limits.workers > 1:
        params.interleave_search = True  # deterministic multi-worker search
    params.max_deterministic_time = limits.deterministic_time
    if limits.deadline is not None:
        params.max_time_in_seconds = max(0.0, limits.deadline - time.monotonic())
    started = time.perf_counter()
    callback = _Hook(started, hook)
    code = solver.solve(model, callback)
    wall = time.perf_counter() - started
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"internal error: invalid model ({model.validate()})")
    status: Status
    if code == cp_model.OPTIMAL:
        status = "optimal"
    elif code == cp_model.FEASIBLE:
        status = "feasible"
    elif code == cp_model.INFEASIBLE:
        status = "infeasible"
    else:
        status = "timeout"
    has_solution = status in ("optimal", "feasible")
    objective = solver.objective_value if has_solution else float("nan")
    bound = solver.best_objective_bound if has_solution else float("nan")
    first = callback.first
    if has_solution and first is None:
        first = wall  # solved in presolve: no callback fired
    solutions = max(callback.count, 1 if has_solution else 0)
    return Outcome(status, objective, bound, wall, first, solutions), solver
