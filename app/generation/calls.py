"""In-house call basics shared by the call plan, the weekend/holiday sharing and the team
models: which shift of a rotation is its call, how many calls a block allows, and the yearly
spread within a class."""

from __future__ import annotations

from collections.abc import Collection

from ortools.sat.python import cp_model

from app.generation.year import ProgramYear

WEEK_MINUTES = 80 * 60


def call_shift(year: ProgramYear, rotation: str) -> str | None:
    shifts = year.program.rotation(rotation).shifts
    return next((s for s in shifts if year.timings[s].is_in_house_call), None)


def max_calls(year: ProgramYear, resident: str, block: int, shift: str) -> int:
    """q3 and the 80-hour average, whichever allows fewer calls."""
    working = year.working_days(resident, block)
    by_hours = (WEEK_MINUTES * working) // (7 * year.timings[shift].length)
    return max(0, min(working // 3, by_hours))


def within_spread(
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
