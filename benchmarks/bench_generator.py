"""Time the schedule generator on the demo program (spec/benchmark-program.md) and scaled copies.

Run: ``.venv/bin/python benchmarks/bench_generator.py [--sizes small medium large 150 300 500]
[--runs 3]``. A number is the synthetic program of that many residents (the demo's teams times
k, ``app/generation/synthetic.py``), run once. Each size runs in its own process, so the peak
memory (max RSS) is that size's. Prints a markdown table: time to the final year (median, and
the best run: the machines are shared, so the minimum is the least noisy figure), status, phase
times, peak memory, validator findings (default / ``--strict``), coverage gaps, call spacing
and runs, the within-class spreads (calls, weekend calls, holiday calls, nights, hours), and
whether repeated runs gave byte-identical schedules.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from app.compliance import validate_schedule
from app.generation import GenerationResult, Program, demo_program, generate_schedule
from app.generation.quality import year_quality
from app.schedules.file_format import ShiftKind

REFERENCE = {"small": "-", "medium": "~1.4 s / ~11 s", "large": "- / ~14 s"}
DEMO = ("small", "medium", "large")
_KIND = {"day": ShiftKind.DAY, "call": ShiftKind.CALL, "night": ShiftKind.NIGHT}


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
        block = min(day // 28, program.blocks - 1)  # the last block takes the year's tail
        for req in program.coverage:
            on = {r for r, rots in result.assignment.items() if rots[block] == req.rotation}
            for scope in [None] if req.scope == "combined" else program.groups:
                members = {r for r in on if scope is None or group[r] == scope}
                n = len(members & worked.get((day, _KIND[req.shift]), set()))
                ok = n == req.exactly if req.exactly is not None else n >= (req.at_least or 0)
                gaps += 0 if ok else 1
    return gaps


def _program(size: str) -> Program:
    if size in DEMO:
        return demo_program(size)  # type: ignore[arg-type]
    from app.generation.synthetic import scaled_program

    return scaled_program(int(size))


def one(size: str, runs: int, seed: int) -> dict[str, object]:
    """Measure one size (in this process) and return the row's figures."""
    program = _program(size)
    results = [generate_schedule(program, seed=seed) for _ in range(runs)]
    last = results[-1]
    row: dict[str, object] = {
        "size": size,
        "residents": len(program.roster()),
        "status": last.status,
        "final": statistics.median(r.wall_time for r in results),
        "best": min(r.wall_time for r in results),
        "phases": " / ".join(f"{p.wall:.2f}" for p in last.phases),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "explanation": last.explanation,
    }
    if last.schedule is None:
        return row
    texts = {json.dumps(r.schedule.to_json_dict()) for r in results if r.schedule is not None}
    quality = year_quality(last.schedule, program.holiday_dates())
    row |= {
        "findings": len(validate_schedule(last.schedule).violations),
        "strict": len(validate_schedule(last.schedule, strict=True).violations),
        "gaps": coverage_gaps(program, last) if last.assignment is not None else "-",
        "call_gap": quality.min_call_gap,
        "runs": f"{quality.longest_working_run} / {quality.longest_night_run}",
        "spreads": " / ".join(
            f"{quality.worst_spread(m):g}"
            for m in ("calls", "weekend_calls", "holiday_calls", "nights", "hours")
        ),
        "deterministic": "yes" if len(texts) == 1 else "NO",
    }
    return row


def _line(row: dict[str, object]) -> str:
    def cell(key: str) -> str:
        return str(row.get(key, "-"))

    return (
        f"| {row['size']} | {row['residents']} | {float(row['final']):.2f} s ({row['status']}) "  # type: ignore[arg-type]
        f"| {float(row['best']):.2f} s | {row['phases']} | {float(row['peak_mb']):.0f} MB "  # type: ignore[arg-type]
        f"| {cell('findings')} / {cell('strict')} | {cell('gaps')} | {cell('call_gap')} "
        f"| {cell('runs')} | {cell('spreads')} | {cell('deterministic')} "
        f"| {REFERENCE.get(str(row['size']), '-')} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=[*DEMO, "150", "300", "500"])
    parser.add_argument("--runs", type=int, default=3, help="runs per demo size (scaled: 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child process: one size, JSON out
    args = parser.parse_args()
    if args.one is not None:
        sys.stdout.write(json.dumps(one(args.one, args.runs, args.seed)) + "\n")
        return
    sys.stdout.write(
        "| size | residents | final year (status) | best run | phases s (rot / calls / shifts) "
        "| peak memory | validator findings (default / strict) | coverage gaps "
        "| min call gap (days) | longest run (days / nights) "
        "| spreads (calls / weekend / holiday / nights / hours) | deterministic "
        "| reference (first / optimal) |\n" + "|---" * 13 + "|\n"
    )
    for size in args.sizes:
        runs = args.runs if size in DEMO else 1
        command = [sys.executable, __file__, "--one", size, "--runs", str(runs)]
        done = subprocess.run(
            [*command, "--seed", str(args.seed)], capture_output=True, text=True, check=True
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        sys.stdout.write(_line(row) + "\n")
        if row.get("explanation"):
            sys.stdout.write(f"<!-- {size}: {row['explanation']} -->\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
