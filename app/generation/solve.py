"""Running one CP-SAT model deterministically and reporting its outcome without solver jargon.

Every phase model is solved with a fixed seed and a fixed number of workers. A wall-clock limit is
only applied when the caller asked for one (it can change results if it is hit); otherwise each
model gets a deterministic-time budget, which CP-SAT counts in work units, not seconds, so the same
input and seed always give the same answer.
"""

from __future__ import annotations

import math
import threading
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
    quick_first: bool = False  # easy models: try without presolve/LP first (see ``solve``)
    lean: bool = False  # skip symmetry detection and probing (they rarely pay off here)
    gap: float = 0.0  # relative optimality gap accepted as "optimal" (0: proven optimum)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    objective: float
    bound: float
    wall: float
    first_solution: float | None  # seconds from start to first solution
    solutions: int


class _LeanModel(cp_model.CpModel):
    """A CpModel without the per-instance camelCase aliases, which cost more to set up (~1.6 ms)
    than solving a small team model; the generator only uses the snake_case API."""

    def _add_pre_pep8_methods(self) -> None:
        pass


def new_model() -> cp_model.CpModel:
    return _LeanModel()


_local = threading.local()


def _solver() -> cp_model.CpSolver:
    """One solver object per thread: building one costs more than solving a tiny model."""
    solver: cp_model.CpSolver | None = getattr(_local, "solver", None)
    if solver is None:
        solver = _local.solver = cp_model.CpSolver()
    return solver


class _Hook(cp_model.CpSolverSolutionCallback):
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


FAST_WORK = 0.1  # budget of the quick first try


def solve(
    model: cp_model.CpModel,
    limits: SolveLimits,
    *,
    hook: SolutionHook | None = None,
) -> tuple[Outcome, cp_model.CpSolver]:
    """Solve and translate the status.

    With ``quick_first`` the model first gets a short try without presolve, LP relaxation,
    symmetry or probing: 3-10x faster on the demo's team and rotation models, which are mostly
    feasibility problems. Only an inconclusive try (no proof either way) is redone in full.
    """
    if limits.quick_first:
        quick = _solve(model, limits, hook, fast=True)
        if quick[0].status in ("optimal", "infeasible"):
            return quick
    return _solve(model, limits, hook, fast=False)


def _solve(
    model: cp_model.CpModel, limits: SolveLimits, hook: SolutionHook | None, *, fast: bool
) -> tuple[Outcome, cp_model.CpSolver]:
    solver = _solver()
    params = solver.parameters  # the solver is reused: set every parameter, every time
    params.random_seed = limits.seed
    params.num_workers = limits.workers
    params.interleave_search = limits.workers > 1  # deterministic multi-worker search
    params.max_deterministic_time = (
        min(FAST_WORK, limits.deterministic_time) if fast else (limits.deterministic_time)
    )
    lean = limits.lean or limits.quick_first
    params.symmetry_level = 0 if lean else 2
    params.cp_model_probing_level = 0 if lean else 2
    params.cp_model_presolve = not fast
    params.linearization_level = 0 if fast else 1
    params.relative_gap_limit = limits.gap
    params.max_time_in_seconds = (
        math.inf if limits.deadline is None else max(0.0, limits.deadline - time.monotonic())
    )
    started = time.perf_counter()
    callback = _Hook(started, hook) if hook is not None else None  # callbacks cost GIL time
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
    first = callback.first if callback is not None else None
    if has_solution and first is None:
        first = wall  # solved in presolve (no callback fired), or no callback asked for
    solutions = max(callback.count if callback is not None else 0, 1 if has_solution else 0)
    return Outcome(status, objective, bound, wall, first, solutions), solver


def merge_outcomes(outcomes: list[Outcome]) -> Outcome:
    """One outcome for independent models solved together (wall: the slowest one)."""
    statuses = {o.status for o in outcomes}
    status: Status
    if "infeasible" in statuses:
        status = "infeasible"
    elif "timeout" in statuses:
        status = "timeout"
    elif statuses <= {"optimal"}:
        status = "optimal"
    else:
        status = "feasible"
    firsts = [o.first_solution for o in outcomes if o.first_solution is not None]
    return Outcome(
        status=status,
        objective=sum(o.objective for o in outcomes),
        bound=sum(o.bound for o in outcomes),
        wall=max((o.wall for o in outcomes), default=0.0),
        first_solution=max(firsts) if len(firsts) == len(outcomes) and firsts else None,
        solutions=sum(o.solutions for o in outcomes),
    )
