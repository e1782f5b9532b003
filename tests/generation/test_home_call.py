"""Home call generation (spec revision 2): a surgical service covers its nights from home.

The test program is the small demo plus SURG: a day shift 07-17 h and a home call 17-07 h, each
staffing group on it covering at least one day shift and exactly one home call every day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import pytest

from app.compliance import validate_schedule
from app.generation import (
    GenerationResult,
    Program,
    ProgramFileError,
    demo_program,
    generate_schedule,
    parse_program,
)
from app.generation.teams import home_call_sides
from app.generation.workload import daily_hours
from app.generation.year import ProgramYear
from app.schedules.calendar import BLOCK_DAYS
from app.schedules.file_format import ScheduleFile, ShiftEntry, ShiftKind

HOME = ShiftKind.HOME_CALL


def home_call_data(**rules: Any) -> dict[str, Any]:
    """The small demo with a home-call service SURG (4 interns and 4 seniors per block) and
    four more interns to staff it."""
    data = demo_program("small").model_dump(mode="json")
    data["classes"] = [
        {"pgy": 1, "group": "interns", "residents": 12},
        {"pgy": 2, "group": "seniors", "residents": 8},
        {"pgy": 3, "group": "seniors", "residents": 8},
    ]
    data["shifts"] += [
        {"name": "surg_day", "kind": "day", "start": "07:00", "hours": 10},
        {"name": "home", "kind": "home_call", "start": "17:00", "hours": 14},
    ]
    data["rotations"].append({"name": "SURG", "shifts": ["surg_day", "home"]})
    data["staffing"]["SURG"] = {"interns": 4, "seniors": 4}
    data["coverage"] += [
        {"rotation": "SURG", "shift": "surg_day", "at_least": 1},
        {"rotation": "SURG", "shift": "home", "exactly": 1},
    ]
    data["rules"].update(rules)
    return data


@pytest.fixture(scope="module")
def program() -> Program:
    return parse_program(home_call_data())


@pytest.fixture(scope="module")
def result(program: Program) -> GenerationResult:
    return generate_schedule(program, seed=0)


@pytest.fixture(scope="module")
def schedule(result: GenerationResult) -> ScheduleFile:
    assert result.status in ("optimal", "feasible"), result.explanation
    assert result.schedule is not None
    return result.schedule


def _day(program: Program, when: datetime) -> int:
    return (when.date() - program.academic_year_start).days


def _block(program: Program, day: int) -> int:
    return min(day // BLOCK_DAYS, program.blocks - 1)


def _home_calls(schedule: ScheduleFile) -> list[ShiftEntry]:
    return [s for s in schedule.shifts if s.kind is HOME]


def test_home_calls_are_written_as_home_call_without_worked_minutes(
    schedule: ScheduleFile,
) -> None:
    homes = _home_calls(schedule)
    assert homes
    for s in homes:
        assert s.start.time() == time(17) and s.end == s.start + timedelta(hours=14)
        assert s.worked_minutes == 0
    dumped = schedule.model_dump(mode="json")["shifts"]
    assert {"kind": "home_call", "worked_minutes": 0}.items() <= next(
        s for s in dumped if s["kind"] == "home_call"
    ).items()


def test_every_day_each_group_has_one_home_call_and_a_day_shift_on_surg(
    program: Program, result: GenerationResult, schedule: ScheduleFile
) -> None:
    assert result.assignment is not None
    group = {r.id: program.group_of(r.pgy) for r in program.roster()}
    homes: Counter[tuple[int, str]] = Counter()
    days: Counter[tuple[int, str]] = Counter()
    for s in schedule.shifts:
        day = _day(program, s.start)
        if s.kind is HOME or s.end - s.start == timedelta(hours=10):
            assert result.assignment[s.resident][_block(program, day)] == "SURG"
            (homes if s.kind is HOME else days)[day, group[s.resident]] += 1
    for day in range(program.days):
        for g in program.groups:
            assert homes[day, g] == 1, (day, g)
            assert days[day, g] >= 1, (day, g)


def test_the_year_validates_clean_default_and_strict(schedule: ScheduleFile) -> None:
    for strict in (False, True):
        report = validate_schedule(schedule, strict=strict)
        assert report.valid and not report.violations, report.violations[:3]


def test_a_day_shift_then_home_call_is_used_and_nothing_overlaps_a_home_call(
    schedule: ScheduleFile,
) -> None:
    by_resident: dict[str, list[ShiftEntry]] = defaultdict(list)
    for s in schedule.shifts:
        by_resident[s.resident].append(s)
    beside = 0
    for shifts in by_resident.values():
        homes = [s for s in shifts if s.kind is HOME]
        for h in homes:
            for s in shifts:
                if s is not h:
                    assert not (s.start < h.end and h.start < s.end), (s, h)
                    beside += s.kind is not HOME and s.start.date() == h.start.date()
    assert beside > 0  # day 07-17, pager 17-07: the service's usual day


def test_home_calls_are_spaced_by_the_rule_across_block_edges(
    program: Program, schedule: ScheduleFile
) -> None:
    gap = program.rules.free_nights_between_home_calls + 1
    starts: dict[str, list[date]] = defaultdict(list)
    for s in _home_calls(schedule):
        starts[s.resident].append(s.start.date())
    crossing = 0
    for dates in starts.values():
        for one, other in pairwise(dates):
            assert (other - one).days >= gap
        crossing += any((d - program.academic_year_start).days % BLOCK_DAYS == 27 for d in dates)
    assert crossing  # home calls on a block's last day spill into the next block


def test_days_off_are_free_of_home_call(program: Program, schedule: ScheduleFile) -> None:
    """Per block, each resident has 1 day in 7 that no shift touches, home calls and the
    mornings they spill into included."""
    year = ProgramYear(program)
    busy: dict[str, set[int]] = defaultdict(set)
    for s in schedule.shifts:
        first, last = _day(program, s.start), _day(program, s.end - timedelta(minutes=1))
        busy[s.resident].update(range(first, last + 1))
    for r in year.ids:
        for b in range(year.blocks):
            days = range(b * BLOCK_DAYS, b * BLOCK_DAYS + year.block_length(b))
            free = [d for d in days if d not in busy[r] and not year.on_leave(r, d)]
            assert len(free) >= year.working_days(r, b) // 7, (r, b)


def test_home_calls_are_shared_evenly_within_each_team(
    program: Program, result: GenerationResult, schedule: ScheduleFile
) -> None:
    assert result.assignment is not None
    group = {r.id: program.group_of(r.pgy) for r in program.roster()}
    counts: Counter[tuple[str, int]] = Counter()
    for s in _home_calls(schedule):
        counts[s.resident, _block(program, _day(program, s.start))] += 1
    for b in range(program.blocks):
        for g in program.groups:
            team = [r for r, rots in result.assignment.items() if rots[b] == "SURG"]
            mine = [counts[r, b] for r in team if group[r] == g]
            assert max(mine) - min(mine) <= 1, (b, g, mine)


def test_home_call_is_not_in_house_call(schedule: ScheduleFile) -> None:
    """Home calls leave the call plan alone: in-house calls stay q3 within each block."""
    report = validate_schedule(schedule)
    assert not [v for v in report.violations if v.rule == "in_house_call_q3"]
    assert {s.kind for s in schedule.shifts} >= {ShiftKind.CALL, HOME}


def test_home_call_adds_no_expected_hours(program: Program) -> None:
    """The hours aims count what a home call counts toward the 80 hours: nothing. SURG's
    expected hours are its day shift alone (one 10 h day shared by the 4 interns on it)."""
    assert daily_hours(ProgramYear(program), "SURG", "interns") == 10 / 4


def test_same_program_and_seed_give_the_same_file(program: Program, schedule: ScheduleFile) -> None:
    again = generate_schedule(program, seed=0).schedule
    assert again is not None
    assert again.model_dump(mode="json") == schedule.model_dump(mode="json")


def test_fewer_free_nights_are_honoured() -> None:
    program = parse_program(home_call_data(free_nights_between_home_calls=0))
    assert program.rules.free_nights_between_home_calls == 0
    result = generate_schedule(program, seed=0)
    assert result.schedule is not None
    report = validate_schedule(result.schedule, strict=True)
    assert report.valid and not report.violations, report.violations[:3]


def test_the_rule_defaults_to_two_free_nights() -> None:
    assert demo_program("small").rules.free_nights_between_home_calls == 2


@pytest.mark.parametrize("value", [-1, 6, "often", 1.5])
def test_bad_rule_values_are_rejected_with_their_path(value: object) -> None:
    with pytest.raises(ProgramFileError) as info:
        parse_program(home_call_data(free_nights_between_home_calls=value))
    assert str(info.value).startswith("rules.free_nights_between_home_calls: Input should be")


def test_too_few_residents_for_the_spacing_are_explained_before_solving() -> None:
    program = parse_program(home_call_data(free_nights_between_home_calls=4))
    result = generate_schedule(program, seed=0)
    assert result.status == "infeasible" and result.schedule is None
    assert result.explanation is not None
    assert (
        "SURG (interns): 1 home call(s) every day need at least 5 residents with 4 free "
        "night(s) between one resident's home calls (rules.free_nights_between_home_calls), but "
        "only 4 are staffed"
    ) in result.explanation


def test_a_team_that_cannot_space_its_home_calls_is_explained() -> None:
    """Four residents with three free nights between home calls: every fourth night exactly,
    which the hand-overs at some block edge cannot keep."""
    result = generate_schedule(parse_program(home_call_data(free_nights_between_home_calls=3)))
    assert result.status == "infeasible" and result.explanation is not None
    assert result.explanation.startswith("SURG (")
    assert result.explanation.endswith(
        "the pool of 4 resident(s) cannot cover at least 1 surg_day, exactly 1 home every day "
        "with 3 free nights between one resident's home calls"
    )


def test_a_home_call_nobody_free_can_take_is_explained_before_solving() -> None:
    """Everyone on SURG works the 07-19 day, which the 17:00 home call overlaps."""
    data = home_call_data()
    data["rotations"][-1]["shifts"] = ["day", "home"]
    data["coverage"][-2].update(shift="day", at_least=4)
    result = generate_schedule(parse_program(data), seed=0)
    assert result.status == "infeasible" and result.explanation is not None
    assert (
        "SURG (interns): the home call 'home' overlaps the 'day' shift, so whoever takes it "
        "cannot work that shift the same day; 4 on day and 1 on home every day need 5 "
        "residents, but only 4 are staffed"
    ) in result.explanation


def test_edge_sides_split_residents_staying_on_home_call() -> None:
    """Residents on home call on both sides of an edge give way on alternate sides."""
    year = ProgramYear(parse_program(home_call_data()))
    stay = {r: ["SURG", "SURG"] + ["AMB"] * (year.blocks - 2) for r in year.ids[:4]}
    others = {r: ["AMB"] * year.blocks for r in year.ids[4:]}
    sides = home_call_sides(year, 0, stay | others)
    assert sides == {r: i % 2 == 0 for i, r in enumerate(year.ids[:4])}
    q2 = ProgramYear(parse_program(home_call_data(free_nights_between_home_calls=1)))
    assert home_call_sides(q2, 0, stay | others) == {}  # no spacing reaches across the edge
