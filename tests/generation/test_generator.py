"""generate_schedule on the small demo program: valid, covered, fair, deterministic, explained."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest

from app.compliance import validate_schedule
from app.generation import (
    GenerationResult,
    Program,
    Progress,
    generate_schedule,
    parse_program,
)
from app.generation.callplan import CallPlan, plan_calls
from app.schedules.file_format import ShiftKind, parse_schedule

# --- independent checks of a generated year against the program (coverage, fairness, rotations)

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
        block = min(day // BLOCK_DAYS, program.blocks - 1)  # the last block takes the tail
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


def _variant(program: Program, **changes: Any) -> Program:
    data = program.model_dump(mode="json")
    data.update(changes)
    return parse_program(data)


def test_small_demo_year_is_valid_with_no_findings(small_result: GenerationResult) -> None:
    assert small_result.status == "optimal"
    assert small_result.schedule is not None
    report = validate_schedule(small_result.schedule)
    assert report.valid
    assert report.violations == ()  # not even the 8-hour rest warning
    assert report.compliance_score == 100.0


def test_schedule_file_round_trips(small_result: GenerationResult) -> None:
    assert small_result.schedule is not None
    data = small_result.schedule.to_json_dict()
    assert parse_schedule(json.loads(json.dumps(data))) == small_result.schedule
    assert data["period"] == {"start": "2026-07-01", "end": "2027-06-30"}  # the whole year
    assert len(data["residents"]) == 24


def test_small_demo_meets_coverage_every_day(
    small_program: Program, small_result: GenerationResult
) -> None:
    assert coverage_gaps(small_program, small_result) == []


def test_small_demo_call_fairness_per_class(
    small_program: Program, small_result: GenerationResult
) -> None:
    assert all(spread <= 1 for spread in call_spread(small_program, small_result).values())


def test_small_demo_rotation_rules(small_program: Program, small_result: GenerationResult) -> None:
    assert rotation_rule_breaks(small_program, small_result) == []


def test_result_reports_objective_and_timings(small_result: GenerationResult) -> None:
    assert small_result.objective is not None and small_result.bound is not None
    assert small_result.objective == small_result.bound  # optimal in every phase
    assert small_result.time_to_first_feasible is not None
    assert 0 < small_result.time_to_first_feasible <= small_result.wall_time
    assert [p.phase for p in small_result.phases] == ["rotations", "calls", "shifts"]
    assert small_result.explanation is None


def test_same_seed_same_schedule(small_program: Program, small_result: GenerationResult) -> None:
    again = generate_schedule(small_program, seed=0)
    assert again.schedule is not None and small_result.schedule is not None
    first = json.dumps(small_result.schedule.to_json_dict())
    assert json.dumps(again.schedule.to_json_dict()) == first


def test_progress_reports_each_phase_then_done(small_program: Program) -> None:
    seen: list[Progress] = []
    result = generate_schedule(small_program, seed=1, on_progress=seen.append)
    assert result.status == "optimal"
    phases = [p.phase for p in seen]
    assert phases[0] == "checks" and phases[-1] == "done"
    assert {"rotations", "calls", "shifts"} <= set(phases)
    assert seen[-1].solutions >= 3
    assert all(a.elapsed <= b.elapsed for a, b in pairwise(seen))


def test_leave_and_preferences_are_honoured(small_program: Program) -> None:
    program = _variant(
        small_program,
        leave=[
            {"resident": "pgy1-01", "start": "2026-07-06", "end": "2026-07-19"},
            {"resident": "pgy2-03", "start": "2026-12-20", "end": "2027-01-02"},
        ],
        preferences=[
            {"resident": "pgy1-02", "days_off": ["sat", "sun"]},
            {"resident": "pgy3-01", "avoid_dates": ["2026-12-25"], "weight": 5},
        ],
    )
    result = generate_schedule(program, seed=0)
    assert result.status == "optimal" and result.schedule is not None
    assert validate_schedule(result.schedule).violations == ()
    assert coverage_gaps(program, result) == []
    assert all(spread <= 1 for spread in call_spread(program, result).values())
    mine = [s for s in result.schedule.shifts if s.resident == "pgy1-01"]
    on_leave = [s for s in mine if date(2026, 7, 6) <= s.start.date() <= date(2026, 7, 19)]
    assert on_leave == []
    assert not [s for s in mine if s.start.date() == date(2026, 7, 5) and s.end.day == 6]
    weekend = [
        s for s in result.schedule.shifts if s.resident == "pgy1-02" and s.start.weekday() >= 5
    ]
    assert weekend == []
    assert result.schedule.leave[0].resident == "pgy1-01"


def test_too_few_interns_is_explained(small_program: Program) -> None:
    data = small_program.model_dump(mode="json")
    data["classes"][0]["residents"] = 5
    result = generate_schedule(parse_program(data))
    assert result.status == "infeasible" and result.schedule is None
    assert result.explanation is not None
    assert "WARDS, NF together need 6 interns per block but there are only 5 interns" in (
        result.explanation
    )


def test_night_float_pool_too_small_is_explained(small_program: Program) -> None:
    data = small_program.model_dump(mode="json")
    data["staffing"]["NF"]["interns"] = 1
    result = generate_schedule(parse_program(data))
    assert result.status == "infeasible"
    assert result.explanation == (
        "the NF (interns) pool of 1 is too small to cover 1 night shift(s) every day "
        "with 1 day off in 7"
    )


def test_infeasible_leave_names_group_and_date(small_program: Program) -> None:
    # every intern away on the same day: nobody can work the intern night float that night
    leave = [
        {"resident": f"pgy1-{i:02d}", "start": "2026-09-02", "end": "2026-09-02"}
        for i in range(1, 9)
    ]
    result = generate_schedule(_variant(small_program, leave=leave))
    assert result.status == "infeasible"
    assert result.explanation is not None
    assert result.explanation.startswith(
        "the interns: on 2026-09-02 only 0 of the 8 interns are not on leave, but WARDS, NF need "
    )
    assert "solver" not in result.explanation.lower()


def test_zero_time_limit_is_a_timeout_with_explanation(small_program: Program) -> None:
    result = generate_schedule(small_program, time_limit=0.0)
    assert result.status == "timeout"
    assert result.schedule is None
    assert result.explanation is not None and "time limit" in result.explanation
    assert result.explanation.endswith("before a complete schedule was found; allow more time")


def test_a_team_that_cannot_use_its_call_plan_is_repaired(
    small_program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spoil the first call plan (10 calls for one intern in block 1, over q3); the team finds
    another split, the plan is redone around it, and the year stays valid and fair."""
    spoiled: list[str] = []

    def spoil_first(*args: Any, **kwargs: Any) -> CallPlan:
        plan = plan_calls(*args, **kwargs)
        if spoiled or plan.outcome.status != "optimal":
            return plan
        calls = dict(plan.calls)
        interns = sorted(r for (r, b) in calls if b == 0 and r.startswith("pgy1"))
        give, take = interns[0], interns[1]
        calls[give, 0] += 10 - calls[give, 0]
        calls[take, 0] -= 10 - plan.calls[give, 0]
        spoiled.append(give)
        return replace(plan, calls=calls)

    monkeypatch.setattr("app.generation.generator.plan_calls", spoil_first)
    result = generate_schedule(small_program, seed=0)
    assert spoiled and result.schedule is not None
    assert result.status == "feasible"  # the repaired plan is not a proven optimum
    assert validate_schedule(result.schedule).violations == ()
    assert coverage_gaps(small_program, result) == []
    assert all(spread <= 1 for spread in call_spread(small_program, result).values())
