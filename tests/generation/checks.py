"""Independent checks of a generated year against the program (coverage, fairness, rotations)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from app.generation import GenerationResult, Program
from app.schedules.file_format import ShiftKind

BLOCK_DAYS = 28
_SHIFT_KIND = {"day": ShiftKind.DAY, "call": ShiftKind.CALL, "night": ShiftKind.NIGHT}


def coverage_gaps(program: Program, result: GenerationResult) -> list[str]:
    """Every day, every coverage requirement, counted from the schedule file itself."""
    assert result.schedule is not None and result.assignment is not None
    group = {r.id: program.group_of(r.pgy) for r in program.roster()}
    worked: dict[tuple[int, str], set[str]] = defaultdict(set)
    first = program.academic_year_start
    for shift in result.schedule.shifts:
        worked[(shift.start.date() - first).days, shift.kind].add(shift.resident)
    gaps = []
    for day in range(program.days):
        block = day // BLOCK_DAYS
        for req in program.coverage:
            on_rotation = [
                r for r, rots in result.assignment.items() if rots[block] == req.rotation
            ]
            scopes = [None] if req.scope == "combined" else program.groups
            for scope in scopes:
                members = {r for r in on_rotation if scope is None or group[r] == scope}
                n = len(members & worked[day, _SHIFT_KIND[req.shift]])
                ok = n == req.exactly if req.exactly is not None else n >= (req.at_least or 0)
                if not ok:
                    when = first + timedelta(days=day)
                    gaps.append(f"{when} {req.rotation} {req.shift} {scope}: {n}")
    return gaps


def call_spread(program: Program, result: GenerationResult) -> dict[int, int]:
    """Per class: max - min yearly in-house calls."""
    assert result.schedule is not None
    calls = Counter(s.resident for s in result.schedule.shifts if s.kind is ShiftKind.CALL)
    spread = {}
    for spec in program.classes:
        counts = [calls[r.id] for r in program.roster() if r.pgy == spec.pgy]
        spread[spec.pgy] = max(counts) - min(counts)
    return spread


def rotation_rule_breaks(program: Program, result: GenerationResult) -> list[str]:
    assert result.assignment is not None
    breaks = []
    for resident, rotations in result.assignment.items():
        for rotation in program.rotations:
            m = rotation.max_consecutive_blocks
            run = 0
            for name in rotations:
                run = run + 1 if name == rotation.name else 0
                if m is not None and run > m:
                    breaks.append(f"{resident}: {run} {rotation.name} in a row")
    pgy = {r.id: r.pgy for r in program.roster()}
    for spec in program.classes:  # "within one of the class average"
        members = [r for r in result.assignment if pgy[r] == spec.pgy]
        for rotation in program.rotations:
            counts = [result.assignment[r].count(rotation.name) for r in members]
            average = sum(counts) / len(counts)
            if any(abs(c - average) > 1 for c in counts):
                breaks.append(f"PGY-{spec.pgy} {rotation.name} counts {sorted(counts)}")
    return breaks
