"""Runs of working days across block edges, after every team is solved.

Each team model bounds the runs that cross its block's edges by a split of the limit (at most
``tail`` working days end a block, ``head`` begin the next). A team that could only be solved
without that split (a repair's last resort), or a weekly-pattern rotation whose days are fixed,
can leave a resident a run across an edge longer than the limit. This pass finds such runs and
re-solves one of the two teams around the edge, whichever can, bounding every member's runs
against both neighbouring blocks as solved: the team keeps its calls, hand-overs and shares,
only its days move. Each accepted re-solve removes runs and adds none, so the pass ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import replace

from app.generation.shifts import TeamInputs, TeamShifts
from app.generation.teams import Team
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS

# re-solves a team under its inputs, relaxing the named rules
Solver = Callable[[Team, TeamInputs, Collection[str]], TeamShifts]
MEND_ROUNDS = 2  # passes over the year: a re-solve can make room for one that failed before


def mend_edge_runs(
    year: ProgramYear,
    jobs: list[tuple[Team, TeamInputs]],
    results: list[TeamShifts],
    solve: Solver,
) -> tuple[list[tuple[Team, TeamInputs]], list[TeamShifts]]:
    """Jobs and results with runs across block edges within the limit where a team allows it.
    A team re-solved here gets per-member bounds (``head_limit``, ``tail_limit``) in its
    inputs."""
    jobs, results = list(jobs), list(results)
    days = _worked(year, results)
    for _ in range(MEND_ROUNDS):
        mended = False
        for edge in range(1, year.blocks):
            tried: set[int] = set()
            while todo := [i for i in _teams_to_try(year, jobs, days, edge) if i not in tried]:
                i = todo[0]
                tried.add(i)
                team = jobs[i][0]
                limited = _limits(year, i, jobs, results)
                # the split of the limit first (the team's usual model), then without it
                for relax in ((), ("edge_runs",)):
                    result = solve(team, limited, relax)
                    if result.outcome.solutions:
                        jobs[i], results[i] = (team, limited), result
                        days = _worked(year, results)
                        mended = True
                        break
        if not mended:
            break
    return jobs, results


def _teams_to_try(
    year: ProgramYear,
    jobs: list[tuple[Team, TeamInputs]],
    days: dict[str, set[int]],
    edge: int,
) -> list[int]:
    """Indices of the teams around the edge before block ``edge`` whose members' runs across it
    are too long: the later teams first (they read the earlier ones as solved), then the
    earlier; weekly-pattern rotations (nothing to move) left out."""
    most = year.program.rules.max_consecutive_working_days
    start = edge * BLOCK_DAYS
    long = {r for r, own in days.items() if _run(own, start - 1, -1) + _run(own, start, 1) > most}
    if not long:
        return []
    later, earlier = [], []
    for i, (team, _) in enumerate(jobs):
        if not long.intersection(team.members):
            continue
        if year.program.rotation(team.rotation).weekly_pattern is not None:
            continue
        if team.block == edge:
            later.append(i)
        elif team.block == edge - 1:
            earlier.append(i)
    return later + earlier


def _limits(
    year: ProgramYear, i: int, jobs: list[tuple[Team, TeamInputs]], results: list[TeamShifts]
) -> TeamInputs:
    """Team ``i``'s inputs with every member's opening and closing runs bounded so that, with
    the neighbouring blocks as solved, no run across either edge exceeds the limit."""
    most = year.program.rules.max_consecutive_working_days
    team, inputs = jobs[i]
    days = _worked(year, results[:i] + results[i + 1 :])
    b = team.block
    first = b * BLOCK_DAYS
    end = first + year.block_length(b)
    for r, shift in inputs.edge_out.items():  # on call on the last day: the next day is worked
        if year.timings[shift].is_in_house_call:
            days[r].add(end)
    head = {r: max(0, most - _run(days[r], first - 1, -1)) for r in team.members}
    tail = {r: max(0, most - _run(days[r], end, 1)) for r in team.members}
    return replace(
        inputs,
        head_limit=tuple(sorted(head.items())) if b > 0 else (),
        tail_limit=tuple(sorted(tail.items())) if b < year.blocks - 1 else (),
    )


def _worked(year: ProgramYear, results: list[TeamShifts]) -> dict[str, set[int]]:
    """Working days of each resident: days a shift starts, and the day after an in-house call."""
    days: dict[str, set[int]] = defaultdict(set)
    for result in results:
        for r, day, name in result.worked:
            days[r].add(day)
            if year.timings[name].is_in_house_call:
                days[r].add(day + 1)
    return days


def _run(days: set[int], start: int, step: int) -> int:
    """Working days in a row from ``start`` on, going by ``step`` (1: forward, -1: back)."""
    n = 0
    while start + n * step in days:
        n += 1
    return n


def longest_edge_run(year: ProgramYear, results: list[TeamShifts]) -> int:
    """The longest run of working days across any block edge (0 if none)."""
    days = _worked(year, results)
    return max(
        (
            _run(own, b * BLOCK_DAYS - 1, -1) + _run(own, b * BLOCK_DAYS, 1)
            for own in days.values()
            for b in range(1, year.blocks)
        ),
        default=0,
    )
