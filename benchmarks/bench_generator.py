"""Time the schedule generator on the demo program (spec/benchmark-program.md), all three sizes.

Run: ``.venv/bin/python benchmarks/bench_generator.py [--sizes small medium large] [--runs 3]``.
Prints a markdown table: time to the first full feasible year, time to the final status (proven
optimal in every phase, or not), objective, validator findings, call-fairness spread, coverage
gaps, and whether repeated runs gave byte-identical schedules. Times are medians over the runs
(plus the best run: the machines are shared, so the minimum is the least noisy figure).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from app.compliance import validate_schedule
from app.generation import GenerationResult, Program, demo_program, generate_schedule
from app.schedules.file_format import ShiftKind

REFERENCE = {"small": "-", "medium": "~1.4 s / ~11 s", "large": "- / ~14 s"}
_KIND = {"day": ShiftKind.DAY, "call": ShiftKind.CALL, "night": ShiftKind.NIGHT}


def call_spread(program: Program, result: GenerationResult) -> int:
    """Largest within-class difference of yearly in-house call counts."""
    assert result.schedule is not None
    calls = Counter(s.resident for s in result.schedule.shifts if s.kind is ShiftKind.CALL)
    spreads = []
    for spec in program.classes:
        counts = [calls[r.id] for r in program.roster() if r.pgy == spec.pgy]
        spreads.append(max(counts) - min(counts))
    return max(spreads)


def coverage_gaps(program: Program, result: GenerationResult) -> int:
    """Resident-days short of (or over an exact) coverage requirement, counted from the file."""
    assert result.schedule is not None and result.assignment is not None
    group = {r.id: program.group_of(r.pgy) for r in program.roster()}
    worked: dict[tuple[int, ShiftKind], set[str]] = {}
    for shift in result.schedule.shifts:
        day = (shift.start.date() - program.academic_year_start).days
        worked.setdefault((day, shift.kind), set()).add(shift.resident)
    gaps = 0
    for day in range(program.days):
        for req in program.coverage:
            on = {r for r, rots in result.assignment.items() if rots[min(day // 28, program.blocks - 1)] == req.rotation}
            for scope in [None] if req.scope == "combined" else program.groups:
                members = {r for r in on if scope is None or group[r] == scope}
                n = len(members & worked.get((day, _KIND[req.shift]), set()))
                ok = n == req.exactly if req.exactly is not None else n >= (req.at_least or 0)
                gaps += 0 if ok else 1
    return gaps


def bench(size: str, runs: int, seed: int) -> str:
    program = demo_program(size)  # type: ignore[arg-type]
    results = [generate_schedule(program, seed=seed) for _ in range(runs)]
    last = results[-1]
    if last.schedule is None:
        return f"| {size} | - | - | {last.status} | - | - | - | - | - | - | - | {REFERENCE[size]} |"
    texts = {json.dumps(r.schedule.to_json_dict()) for r in results if r.schedule is not None}
    report = validate_schedule(last.schedule)
    first = statistics.median(r.time_to_first_feasible or r.wall_time for r in results)
    final = statistics.median(r.wall_time for r in results)
    best = min(r.wall_time for r in results)
    phases = " / ".join(f"{p.wall:.2f}" for p in last.phases)
    return (
        f"| {size} | {len(program.roster())} | {first:.2f} s | {final:.2f} s ({last.status}) | "
        f"{best:.2f} s | "
        f"{phases} | {last.objective:g} | {len(report.violations)} | "
        f"{call_spread(program, last)} | {coverage_gaps(program, last)} | "
        f"{'yes' if len(texts) == 1 else 'NO'} | {REFERENCE[size]} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["small", "medium", "large"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.stdout.write(
        "| size | residents | first feasible year | final (status) | best run | "
        "phases s (rot / calls / shifts) | objective | validator findings | call spread | "
        "coverage gaps | deterministic | reference (first / optimal) |\n" + "|---" * 12 + "|\n"
    )
    for size in args.sizes:
        sys.stdout.write(bench(size, args.runs, args.seed) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
