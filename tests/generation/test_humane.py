"""Years a coordinator would publish (DESIGN principle 10): spaced calls, bounded runs of work,
holidays, the whole academic year, fair weekends; checked from the schedule file itself."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from app.compliance import validate_schedule
from app.generation import GenerationResult, Program, generate_schedule, generator, parse_program
from app.generation.quality import is_in_house_call, longest_run, working_days, year_quality
from app.generation.shifts import TeamShifts
from app.generation.synthetic import scaled_program
from app.schedules.file_format import ScheduleFile, ShiftEntry, ShiftKind


def _variant(program: Program, **changes: Any) -> Program:
    data = program.model_dump(mode="json")
    data.update(changes)
    return parse_program(data)


def _own(schedule: ScheduleFile) -> dict[str, list[ShiftEntry]]:
    own: dict[str, list[ShiftEntry]] = defaultdict(list)
    for shift in schedule.shifts:
        own[shift.resident].append(shift)
    return own


def _runs_ok(schedule: ScheduleFile, most_days: int, most_nights: int) -> None:
    for resident, shifts in _own(schedule).items():
        worked = {d for d in working_days(shifts) if d <= schedule.period.end}
        assert longest_run(worked) <= most_days, resident
        nights = [s.start.date() for s in shifts if s.kind is ShiftKind.NIGHT]
        assert longest_run(nights) <= most_nights, resident


def test_no_two_calls_of_a_resident_less_than_72_hours_apart(
    small_result: GenerationResult,
) -> None:
    """Two free nights between in-house calls: start to start at least 72 h (never q2)."""
    assert small_result.schedule is not None
    for resident, shifts in _own(small_result.schedule).items():
        starts = sorted(s.start for s in shifts if is_in_house_call(s))
        assert starts, resident
        for a, b in itertools.pairwise(starts):
            assert b - a >= timedelta(hours=72), (resident, a, b)


def test_runs_of_working_days_and_nights_stay_within_the_rules(
    small_program: Program, small_result: GenerationResult
) -> None:
    assert small_result.schedule is not None
    rules = small_program.rules
    assert rules.max_consecutive_working_days == 6 and rules.max_consecutive_nights == 6
    _runs_ok(small_result.schedule, 6, 6)


def test_demo_year_is_clean_under_strict_validation(small_result: GenerationResult) -> None:
    assert small_result.schedule is not None
    report = validate_schedule(small_result.schedule, strict=True)
    assert report.violations == ()  # no rolling-window warning either


def test_the_whole_academic_year_is_staffed(small_result: GenerationResult) -> None:
    """13 blocks from 1 July; the 365th day (30 June) joins block 13 and is covered."""
    schedule = small_result.schedule
    assert schedule is not None
    assert schedule.period.end == date(2027, 6, 30)
    last_day = [s for s in schedule.shifts if s.start.date() == date(2027, 6, 30)]
    kinds = [s.kind for s in last_day]
    assert kinds.count(ShiftKind.CALL) == 2  # WARDS interns and seniors
    assert kinds.count(ShiftKind.NIGHT) == 2  # NF interns and seniors (a Wednesday: clinic too)
    assert ShiftKind.CLINIC in kinds


def test_clinics_are_closed_on_holidays(
    small_program: Program, small_result: GenerationResult
) -> None:
    assert small_result.schedule is not None
    holidays = small_program.holiday_dates()
    for day in (date(2026, 9, 7), date(2026, 11, 26), date(2026, 12, 25), date(2027, 1, 1)):
        assert day in holidays
    clinics = {s.start.date() for s in small_result.schedule.shifts if s.kind is ShiftKind.CLINIC}
    assert not clinics & set(holidays)
    assert date(2026, 12, 24) in clinics  # a Thursday that is not a holiday


def test_calls_are_fair_within_each_class(
    small_program: Program, small_result: GenerationResult
) -> None:
    """Call counts within the program's spread; weekend and holiday calls within theirs, and
    as evenly as the program allows: within one (the plan aims at 1; teams that cannot take
    their shares are made up for by the other blocks)."""
    assert small_result.schedule is not None
    quality = year_quality(small_result.schedule, small_program.holiday_dates())
    assert quality.worst_spread("calls") <= small_program.rules.call_spread
    assert quality.worst_spread("weekend_calls") <= 1 < small_program.rules.weekend_call_spread
    assert quality.worst_spread("holiday_calls") <= 1 < small_program.rules.holiday_call_spread
    assert quality.q2_pairs == 0 and quality.min_call_gap == 3
    assert quality.clinic_on_holidays == 0


def test_stricter_program_rules_are_honoured(small_program: Program) -> None:
    rules = small_program.rules.model_dump() | {"max_consecutive_nights": 4}
    program = _variant(small_program, rules=rules, holidays=["2026-12-25", "2027-01-01"])
    result = generate_schedule(program, seed=0)
    assert result.schedule is not None, result.explanation
    assert validate_schedule(result.schedule, strict=True).violations == ()
    _runs_ok(result.schedule, 6, 4)
    clinics = {s.start.date() for s in result.schedule.shifts if s.kind is ShiftKind.CLINIC}
    assert date(2026, 12, 25) not in clinics and date(2026, 11, 26) in clinics


def test_spacing_that_cannot_be_met_is_explained(small_program: Program) -> None:
    """Four interns taking one call a night cannot leave three free nights between calls."""
    rules = small_program.rules.model_dump() | {"free_nights_between_calls": 3}
    result = generate_schedule(_variant(small_program, rules=rules), seed=0)
    assert result.status == "infeasible" and result.schedule is None
    assert result.explanation is not None
    assert result.explanation.startswith("WARDS (interns) in block ")
    assert "3 free nights between one resident's calls" in result.explanation


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_consecutive_working_days", 13, "rules.max_consecutive_working_days"),
        ("max_consecutive_nights", 1, "rules.max_consecutive_nights"),
    ],
)
def test_run_limits_are_bounded(
    small_program: Program, field: str, value: int, message: str
) -> None:
    rules = small_program.rules.model_dump() | {field: value}
    with pytest.raises(ValueError, match=message):
        _variant(small_program, rules=rules)


def test_unknown_holiday_calendar_is_named(small_program: Program) -> None:
    with pytest.raises(ValueError, match="holidays: no holiday calendar for country 'XX'"):
        _variant(small_program, holidays="XX")


def test_a_time_limit_in_the_shift_phase_keeps_the_best_schedule(
    small_program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last team-block's model 'runs out of time' with nothing: the year so far is kept,
    and the message names the cause (the time limit) and what is missing."""
    real_solve = generator._solve_teams
    real_monotonic = time.monotonic
    late: list[bool] = []

    def solve_then_run_out(*args: Any) -> list[TeamShifts]:
        results = real_solve(*args)
        late.append(True)
        last = results[-1]
        lost = replace(last.outcome, status="timeout", solutions=0)
        return [*results[:-1], replace(last, outcome=lost, worked=[])]

    monkeypatch.setattr(generator, "_solve_teams", solve_then_run_out)
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + (1e6 if late else 0.0))
    result = generate_schedule(small_program, time_limit=600, keep_partial=True)
    assert result.status == "timeout" and result.schedule is not None
    assert result.explanation is not None
    assert result.explanation.startswith("the time limit (600 s) ran out while placing the shifts")
    assert "the best schedule so far is kept" in result.explanation
    assert len(result.schedule.shifts) > 1000
    assert validate_schedule(result.schedule).valid
    late.clear()  # without keep_partial (the job queue's default): no incomplete year
    result = generate_schedule(small_program, time_limit=600)
    assert result.status == "timeout" and result.schedule is None
    assert result.explanation is not None and "allow more time" in result.explanation


def test_a_scaled_program_generates_clean() -> None:
    """The synthetic program (the demo's teams times k) at 150 residents: WARDS works as firms;
    300 and 500 residents are in the benchmark (benchmarks/bench_generator.py)."""
    program = scaled_program(150)
    assert len(program.roster()) == 150
    assert program.staffing["WARDS"] == {"interns": 16, "seniors": 16}
    assert scaled_program(500).staffing["NF"] == {"interns": 26, "seniors": 26}
    result = generate_schedule(program, seed=0)
    assert result.schedule is not None, result.explanation
    assert validate_schedule(result.schedule, strict=True).violations == ()
    assert coverage_ok(program, result)
    quality = year_quality(result.schedule, program.holiday_dates())
    assert quality.q2_pairs == 0 and quality.clinic_on_holidays == 0


def coverage_ok(program: Program, result: GenerationResult) -> bool:
    """Every coverage requirement of the program met on every day (counted from the file)."""
    assert result.schedule is not None and result.assignment is not None
    group = {r.id: program.group_of(r.pgy) for r in program.roster()}
    worked: dict[tuple[int, ShiftKind], set[str]] = defaultdict(set)
    for shift in result.schedule.shifts:
        worked[(shift.start.date() - program.academic_year_start).days, shift.kind].add(
            shift.resident
        )
    kinds = {s.name: s.kind for s in program.shifts}
    for day in range(program.days):
        block = min(day // 28, program.blocks - 1)
        for req in program.coverage:
            on = {r for r, rots in result.assignment.items() if rots[block] == req.rotation}
            for scope in [None] if req.scope == "combined" else program.groups:
                members = {r for r in on if scope is None or group[r] == scope}
                n = len(members & worked[day, kinds[req.shift]])
                if n < req.count or (req.exactly is not None and n != req.exactly):
                    return False
    return True


def _one_group_program(small_program: Program, seniority: list[dict[str, Any]]) -> Program:
    """Interns and seniors staffed together (one group), so a crew could be all interns."""
    data = small_program.model_dump(mode="json")
    for spec in data["classes"]:
        spec["group"] = "residents"
    data["blocks"] = 6
    data["staffing"] = {
        "WARDS": {"residents": 8},
        "ICU": {"residents": 0},
        "NF": {"residents": 4},
        "AMB": {"residents": "rest"},
    }
    data["coverage"] = [
        {"rotation": "WARDS", "shift": "call", "scope": "group", "exactly": 2},
        {"rotation": "WARDS", "shift": "day", "scope": "group", "at_least": 2},
        {"rotation": "NF", "shift": "night", "scope": "group", "exactly": 2},
    ]
    data["seniority"] = seniority
    return parse_program(data)


def test_minimum_seniority_on_every_call_and_night(small_program: Program) -> None:
    rules = [
        {"rotation": "WARDS", "shift": "call", "min_pgy": 2},
        {"rotation": "NF", "shift": "night", "min_pgy": 2},
    ]
    program = _one_group_program(small_program, rules)
    result = generate_schedule(program, seed=0)
    assert result.schedule is not None and result.assignment is not None, result.explanation
    assert validate_schedule(result.schedule, strict=True).violations == ()
    pgy = {r.id: r.pgy for r in result.schedule.residents}
    crews: dict[tuple[date, ShiftKind], list[int]] = defaultdict(list)
    for shift in result.schedule.shifts:
        if shift.kind in (ShiftKind.CALL, ShiftKind.NIGHT):
            crews[shift.start.date(), shift.kind].append(pgy[shift.resident])
    assert len(crews) == 2 * program.days
    assert all(max(levels) >= 2 for levels in crews.values())


def test_impossible_seniority_is_explained(small_program: Program) -> None:
    """Medium demo ICU: the two seniors among four cannot take every call, spaced."""
    from app.generation import demo_program

    program = _variant(
        demo_program("medium"), seniority=[{"rotation": "ICU", "shift": "call", "min_pgy": 2}]
    )
    result = generate_schedule(program, seed=0)
    assert result.status == "infeasible"
    assert result.explanation == (
        "the seniors: every ICU call needs 1 PGY-2+ resident(s), so 4 of them must be on ICU in "
        "every block (calls are spaced, people rest), which the staffing and the class sizes do "
        "not allow"
    )
