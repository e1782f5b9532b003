"""Phase 3 piece by piece: each rule family of a team's shift model, on the tiny program.

Shifts: day 07-19 h, call 07 h + 26 h, night 19-07 h, clinic 08-17 h (Mon-Fri on AMB).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ortools.sat.python import cp_model

from app.generation.program import WEEKDAYS, parse_program
from app.generation.shifts import (
    REPAIR_WEIGHT,
    Shifts,
    TeamInputs,
    TeamModel,
    _balance,
    _busy,
    _calls,
    _coverage,
    _days_off,
    _edge_shifts,
    _home_call_spacing,
    _one_shift_a_day,
    _pattern_days,
    _pattern_fits,
    _preferences,
    _rest_between_days,
    _runs,
    _shift_vars,
    _solve_and_read,
    _weekly_hours,
    pattern_team,
    solve_team,
)
from app.generation.solve import SolveLimits, solve
from app.generation.teams import Demand, Team
from app.generation.year import ProgramYear
from tests.support.programs import leave, tiny_data, tiny_year

LIMITS = SolveLimits(deterministic_time=5.0)
WARDS = ["day", "call"]
INTERNS = tuple(f"pgy1-0{i}" for i in range(1, 5))
AMB = Team(0, "AMB", "AMB (interns)", INTERNS, ())


def _own(
    year: ProgramYear, names: list[str], *, b: int = 0, came: str | None = None
) -> tuple[TeamModel, Shifts]:
    """One resident's shift variables in a fresh model of block ``b``."""
    tm = TeamModel(cp_model.CpModel(), year, _wards_team(b), names)
    return tm, _shift_vars(tm, "pgy1-01", came)


def _all_members(year: ProgramYear, team: Team, names: list[str]) -> TeamModel:
    """A fresh model of the team with every member's shift variables."""
    tm = TeamModel(cp_model.CpModel(), year, team, names)
    for r in team.members:
        tm.x[r] = _shift_vars(tm, r, None)
    return tm


def _feasible(model: cp_model.CpModel, *pinned: cp_model.IntVar) -> bool:
    for v in pinned:
        model.add(v == 1)
    return solve(model, LIMITS)[0].status in ("optimal", "feasible")


def _best(model: cp_model.CpModel, own: Shifts, *, most: bool) -> int:
    """The most (or fewest) shifts the resident can work under the rules added so far."""
    worked = sum(own.values())
    model.maximize(worked) if most else model.minimize(worked)
    outcome, _ = solve(model, LIMITS)
    assert outcome.status == "optimal"
    return round(outcome.objective)


def _every_day_clinic() -> ProgramYear:
    """The tiny program with AMB's clinic on every day of the week."""
    data = tiny_data()
    data["rotations"][2]["weekly_pattern"] = list(WEEKDAYS)
    return tiny_year(rotations=data["rotations"])


def _wards_team(block: int = 0) -> Team:
    demands = (
        Demand("call", 1, True, INTERNS, "WARDS call (interns)"),
        Demand("day", 1, False, INTERNS, "WARDS day (interns)"),
    )
    return Team(block, "WARDS", "WARDS (interns)", INTERNS, demands)


def test_no_shift_on_leave_nor_one_running_into_it() -> None:
    year = tiny_year(leave=[leave("pgy1-01", "2026-07-05", "2026-07-05")])  # day 4 of block 1
    _, own = _own(year, WARDS)
    assert not [key for key in own if key[0] == 4]
    assert (3, "day") in own and (3, "call") not in own  # a call would end on the leave day
    assert len(own) == 27 * 2 - 1


def test_no_shift_on_the_first_day_too_soon_after_the_handover() -> None:
    year = tiny_year()
    _, own = _own(year, WARDS, came="call")  # the last block ended on call: 09:00 + 14 h rest
    assert (0, "day") not in own and (0, "call") not in own and (1, "call") in own
    _, own = _own(year, ["night"], came="night")  # 07:00 + 8 h: the next night is fine
    assert (0, "night") in own


def test_at_most_one_shift_a_day() -> None:
    year = tiny_year()
    tm, own = _own(year, WARDS)
    _one_shift_a_day(tm, own)
    assert not _feasible(tm.model, own[5, "day"], own[5, "call"])
    tm, own = _own(year, WARDS)
    _one_shift_a_day(tm, own)
    assert _feasible(tm.model, own[5, "day"], own[6, "call"])


def test_rest_after_a_shift_before_the_next_day_one() -> None:
    year = tiny_year()
    for first, then, allowed in [
        ((5, "call"), (6, "day"), False),  # 14 h rest after a 26 h call
        ((5, "call"), (6, "call"), False),
        ((5, "day"), (6, "call"), True),
        ((5, "call"), (7, "call"), True),
    ]:
        tm, own = _own(year, WARDS)
        _rest_between_days(tm, own)
        assert _feasible(tm.model, own[first], own[then]) is allowed
    tm, own = _own(year, ["day", "night"])
    _rest_between_days(tm, own)
    assert not _feasible(tm.model, own[5, "night"], own[6, "day"])  # 07:00 to 07:00: no rest


def test_the_last_day_works_exactly_the_planned_edge_shift() -> None:
    year = tiny_year()
    tm, own = _own(year, WARDS)
    _edge_shifts(tm, own, "call")
    tm.model.add(own[27, "call"] == 0)
    assert not _feasible(tm.model)
    tm, own = _own(year, WARDS)
    _edge_shifts(tm, own, None)
    assert not _feasible(tm.model, own[27, "call"])
    tm, own = _own(year, WARDS)
    _edge_shifts(tm, own, None)
    assert _feasible(tm.model, own[27, "day"])  # ends at 19:00: nothing to hand over


def test_coverage_exactly_one_call_and_at_least_one_day() -> None:
    tm = _all_members(tiny_year(), _wards_team(), WARDS)
    _coverage(tm)
    outcome, solver = solve(tm.model, LIMITS)
    assert outcome.status == "optimal"
    for d in range(28):
        on = [s for r in INTERNS for s in WARDS if solver.boolean_value(tm.x[r][d, s])]
        assert on.count("call") == 1 and on.count("day") >= 1
    tm.model.add(tm.x["pgy1-01"][3, "call"] + tm.x["pgy1-02"][3, "call"] == 2)
    assert solve(tm.model, LIMITS)[0].status == "infeasible"


def test_planned_calls_and_q3() -> None:
    year = tiny_year()
    tm, own = _own(year, ["call"])
    _calls(tm, own, "call", 7, 28, repair=False)
    assert _best(tm.model, own, most=True) == 7
    tm, own = _own(year, ["call"])
    _calls(tm, own, "call", 10, 28, repair=False)  # 10 > 28 // 3
    assert solve(tm.model, LIMITS)[0].status == "infeasible"


def test_repair_stays_as_close_to_the_plan_as_q3_allows() -> None:
    year = tiny_year()
    tm, own = _own(year, ["call"])
    cost = _calls(tm, own, "call", 12, 28, repair=True)
    tm.model.minimize(sum(cost))
    outcome, solver = solve(tm.model, LIMITS)
    assert outcome.status == "optimal" and outcome.objective == 3 * REPAIR_WEIGHT
    assert sum(solver.boolean_value(v) for v in own.values()) == 9


def test_eighty_hours_a_week_averaged_over_working_days() -> None:
    year = tiny_year()
    for working, spill_in, most in [(28, 0, 26), (14, 0, 13), (14, 10 * 60, 12)]:
        tm, own = _own(year, ["day"])  # 12 h days; 80 h x 4 weeks = 320 h
        _weekly_hours(tm, own, spill_in, working)
        assert _best(tm.model, own, most=True) == most


def test_one_free_day_per_seven_working_days() -> None:
    year = tiny_year(leave=[leave("pgy1-01", "2026-07-01", "2026-07-07")])  # 21 working days
    tm, own = _own(year, ["day"])
    _days_off(tm, "pgy1-01", own, False)
    assert _best(tm.model, own, most=True) == 21 - 3
    no_leave = tiny_year()
    for shift, allowed in [("day", True), ("night", False)]:
        tm, own = _own(no_leave, [shift])
        _days_off(tm, "pgy1-01", own, False)
        off = {10, 12, 14, 16}  # four days without a shift, but a night spills into each
        assert _feasible(tm.model, *(v for (d, _), v in own.items() if d not in off)) is allowed
    for spill_in, allowed in [(False, True), (True, False)]:  # a spill in takes day 0
        tm, own = _own(no_leave, ["day"])
        _days_off(tm, "pgy1-01", own, spill_in)
        free = {0, 7, 14, 21}
        assert _feasible(tm.model, *(v for (d, _), v in own.items() if d not in free)) is allowed


def test_a_day_is_busy_with_its_shift_or_the_one_spilling_into_it() -> None:
    year = tiny_year()
    _, own = _own(year, ["day", "night"])
    assert _busy(own, ["day", "night"], ["night"], 5) == [
        own[5, "day"],
        own[5, "night"],
        own[4, "night"],
    ]
    assert _busy(own, ["day", "night"], ["night"], 0) == [own[0, "day"], own[0, "night"]]


def test_avoided_days_cost_their_weight() -> None:
    year = tiny_year()
    tm, own = _own(year, ["day"], b=1)
    assert _preferences(own, 28, {}) == []
    cost = _preferences(own, 28, {28 + 3: 5, 0: 7})  # day 0 is in another block
    assert len(cost) == 1
    tm.model.add(sum(own.values()) == 27)
    tm.model.minimize(sum(cost))
    outcome, solver = solve(tm.model, LIMITS)
    assert outcome.objective == 0 and not solver.boolean_value(own[3, "day"])
    tm.model.add(own[3, "day"] == 1)
    assert solve(tm.model, LIMITS)[0].objective == 5


def test_nights_are_shared_evenly() -> None:
    year = tiny_year()
    pair = INTERNS[:2]
    team = Team(0, "NF", "NF (interns)", pair, (Demand("night", 1, True, pair, "NF night"),))
    tm = _all_members(year, team, ["night"])
    _coverage(tm)
    tm.model.minimize(sum(_balance(tm, None)))
    outcome, solver = solve(tm.model, LIMITS)
    assert outcome.objective == 0
    assert [sum(solver.boolean_value(v) for v in tm.x[r].values()) for r in pair] == [14, 14]


def test_solved_shifts_are_read_as_days_of_the_year() -> None:
    tm = _all_members(tiny_year(), _wards_team(block=1), WARDS)
    for r in INTERNS:
        for (d, s), v in tm.x[r].items():
            tm.model.add(v == int(r == "pgy1-02" and d == 3 and s == "call"))
    result = _solve_and_read(tm, LIMITS)
    assert result.outcome.status == "optimal" and result.worked == [("pgy1-02", 31, "call")]
    tm.model.add(tm.x["pgy1-01"][0, "day"] == 1)
    assert _solve_and_read(tm, LIMITS).worked == []


def test_team_meets_its_plan_coverage_and_rest() -> None:
    year = tiny_year()
    inputs = TeamInputs(
        calls=dict.fromkeys(INTERNS, 7), edge_out={"pgy1-04": "call"}, edge_in={}, last_block=False
    )
    result = solve_team(year, _wards_team(), inputs, LIMITS)
    assert result.outcome.status == "optimal"
    assert result.calls("call") == dict.fromkeys(INTERNS, 7)
    assert ("pgy1-04", 27, "call") in result.worked
    worked = {(r, d): s for r, d, s in result.worked}
    assert len(worked) == len(result.worked)  # one shift a day
    for (r, d), s in worked.items():
        assert s != "call" or (r, d + 1) not in worked  # nothing the day after a call


def test_a_spoiled_call_plan_is_reshared_when_repairing() -> None:
    year = tiny_year()
    calls = {"pgy1-01": 10, "pgy1-02": 4, "pgy1-03": 7, "pgy1-04": 7}  # 10 breaks q3
    inputs = TeamInputs(calls=calls, edge_out={}, edge_in={}, last_block=True)
    assert solve_team(year, _wards_team(), inputs, LIMITS).outcome.status == "infeasible"
    result = solve_team(year, _wards_team(), inputs, LIMITS, relax=("calls",))
    counts = result.calls("call")
    assert max(counts.values()) <= 9 and sum(counts.values()) == 28
    moved = sum(abs(counts[r] - calls[r]) for r in INTERNS)
    assert moved == 2 and result.outcome.objective >= moved * REPAIR_WEIGHT


def test_weekly_pattern_days_skip_leave_wishes_and_post_call_rest() -> None:
    year = tiny_year(
        leave=[leave("pgy1-01", "2026-07-02", "2026-07-02")],
        preferences=[{"resident": "pgy1-01", "avoid_dates": ["2026-07-03"]}],
    )
    days = _pattern_days(year, AMB, "pgy1-01", None)
    assert days[:3] == [0, 5, 6]  # from Wed 1 July: Thu on leave, Fri avoided, then Mon, Tue
    assert len(days) == 20 - 2
    assert _pattern_days(year, AMB, "pgy1-02", "call")[0] == 1
    assert _pattern_days(year, AMB, "pgy1-02", "night")[0] == 1
    assert _pattern_days(year, replace(AMB, block=1), "pgy1-02", None)[:2] == [28, 29]


def test_weekly_pattern_rules() -> None:
    year = _every_day_clinic()
    every_day = _pattern_days(year, AMB, "pgy1-01", None)
    assert len(every_day) == 28
    assert not _pattern_fits(year, AMB, "pgy1-01", every_day, None)
    four_off = every_day[4:]
    assert _pattern_fits(year, AMB, "pgy1-01", four_off, None)
    assert not _pattern_fits(year, AMB, "pgy1-01", four_off, "call")  # day 0 spoiled by a spill
    assert _pattern_fits(year, AMB, "pgy1-01", four_off[1:], "call")


def test_a_weekly_pattern_without_days_off_cannot_be_worked() -> None:
    inputs = TeamInputs(calls={}, edge_out={}, edge_in={}, last_block=False)
    result = pattern_team(_every_day_clinic(), AMB, inputs)
    assert result.outcome.status == "infeasible" and result.worked == []
    fine = pattern_team(tiny_year(), AMB, inputs)
    assert fine.outcome.status == "optimal" and len(fine.worked) == 4 * 20


# --- home call: surg_day 07-17 h, home 17-07 h (day 12 h runs to 19:00 and overlaps it) ---------

SURG = ["surg_day", "home", "day"]


def _home_year(**rules: Any) -> ProgramYear:
    """The tiny program with a home-call service (unstaffed: only its timings are used)."""
    data = tiny_data()
    data["shifts"] += [
        {"name": "surg_day", "kind": "day", "start": "07:00", "hours": 10},
        {"name": "home", "kind": "home_call", "start": "17:00", "hours": 14},
    ]
    data["rotations"].append({"name": "SURG", "shifts": ["surg_day", "home"]})
    data["staffing"]["SURG"] = {"interns": 0}
    data["rules"] = rules
    return ProgramYear(parse_program(data))


def test_a_home_call_may_follow_a_day_it_does_not_overlap() -> None:
    year = _home_year()
    for pinned, allowed in [
        (((5, "surg_day"), (5, "home")), True),  # 07-17 then the pager 17-07
        (((5, "day"), (5, "home")), False),  # 07-19 overlaps the home call from 17:00
        (((5, "day"), (5, "surg_day")), False),  # still one in-house shift a day
    ]:
        tm, own = _own(year, SURG)
        _one_shift_a_day(tm, own)
        _rest_between_days(tm, own)
        assert _feasible(tm.model, *(own[key] for key in pinned)) is allowed
    tm, own = _own(year, SURG)
    _rest_between_days(tm, own)
    assert _feasible(tm.model, own[5, "home"], own[6, "surg_day"], own[6, "home"])


def test_no_home_call_within_14_hours_of_a_call() -> None:
    year = _home_year()
    tm, own = _own(year, ["call", "home"])
    _rest_between_days(tm, own)
    assert not _feasible(tm.model, own[5, "call"], own[6, "home"])
    _, own = _own(year, ["call", "home"], came="call")
    assert (0, "home") not in own and (1, "home") in own


def test_home_calls_are_spaced_by_the_rule() -> None:
    for rules, first, then, came, allowed in [
        ({}, 5, 7, None, False),  # default: two free nights between home calls
        ({}, 5, 8, None, True),
        ({"free_nights_between_home_calls": 0}, 5, 6, None, True),
        ({"free_nights_between_home_calls": 1}, 5, 6, None, False),
        ({}, 1, 10, "home", False),  # a home call on the previous block's last day, then day 1
        ({}, 2, 10, "home", True),
    ]:
        tm, own = _own(_home_year(**rules), ["home"], came=came)
        _home_call_spacing(tm, "pgy1-01", own, came)
        assert _feasible(tm.model, own[first, "home"], own[then, "home"]) is allowed


def test_home_call_spacing_across_the_block_edge_keeps_one_side_free() -> None:
    year = _home_year()
    for late, early, day, allowed in [
        (True, False, 26, False),  # the day before the last: given up
        (True, False, 27, True),  # the last day itself is the planned hand-over
        (False, True, 0, False),
        (False, True, 1, True),
    ]:
        team = replace(
            _wards_team(),
            home_late_free=frozenset({"pgy1-01"} if late else ()),
            home_early_free=frozenset({"pgy1-01"} if early else ()),
        )
        tm = TeamModel(cp_model.CpModel(), year, team, ["home"])
        own = _shift_vars(tm, "pgy1-01", None)
        _home_call_spacing(tm, "pgy1-01", own, None)
        assert _feasible(tm.model, own[day, "home"]) is allowed


def test_home_call_counts_no_hours_but_spoils_days_off() -> None:
    year = _home_year(free_nights_between_home_calls=0)
    tm, own = _own(year, ["home"])
    _weekly_hours(tm, own, 0, 28)
    assert _best(tm.model, own, most=True) == 28  # the pager every night: 0 hours
    for every, allowed in [(2, False), (4, True)]:
        tm, own = _own(year, ["home"])
        _days_off(tm, "pgy1-01", own, False)
        # every other night: each day is a home call or the morning after one
        assert _feasible(tm.model, *(v for (d, _), v in own.items() if d % every == 0)) is allowed


def test_a_day_with_work_and_home_call_is_one_working_day() -> None:
    year = _home_year(max_consecutive_working_days=2)
    tm, own = _own(year, SURG)
    _one_shift_a_day(tm, own)
    _runs(tm, own, None, edges=False)
    both = [own[d, s] for d in (5, 6) for s in ("surg_day", "home")]
    assert _feasible(tm.model, *both)
    tm, own = _own(year, SURG)
    _runs(tm, own, None, edges=False)
    assert not _feasible(tm.model, own[5, "surg_day"], own[6, "home"], own[7, "surg_day"])


def test_home_calls_are_shared_evenly() -> None:
    year = _home_year()
    team = Team(0, "SURG", "SURG (interns)", INTERNS, (Demand("home", 1, False, INTERNS, "home"),))
    tm = _all_members(year, team, ["home"])
    _coverage(tm)
    tm.model.minimize(sum(_balance(tm, None)))
    outcome, solver = solve(tm.model, LIMITS)
    assert outcome.objective == 0
    assert [sum(solver.boolean_value(v) for v in tm.x[r].values()) for r in INTERNS] == [7] * 4


def test_a_home_call_nobody_asks_for_is_not_taken() -> None:
    year = _home_year()
    day = Demand("surg_day", 1, False, INTERNS, "SURG surg_day (interns)")
    inputs = TeamInputs(calls={}, edge_out={}, edge_in={}, last_block=True)
    for demands, homes in [((day,), 0), ((day, Demand("home", 1, True, INTERNS, "h")), 28)]:
        team = Team(0, "SURG", "SURG (interns)", INTERNS, demands)
        result = solve_team(year, team, inputs, LIMITS)
        assert sum(s == "home" for _, _, s in result.worked) == homes
