"""Phase 1 piece by piece: each rule family of the rotation model holds on a tiny group."""

from __future__ import annotations

from ortools.sat.python import cp_model

from app.generation.rotations import (
    GroupModel,
    _call_blocks,
    _consecutive_blocks,
    _leave_capacity,
    _leave_on_covered_rotations,
    _one_rotation_per_block,
    _plan_group,
    _staffing,
    _within_one_of_average,
    daily_need,
    plan_rotations,
    staffed_count,
)
from app.generation.solve import SolveLimits, solve
from app.generation.year import ProgramYear
from tests.support.programs import leave, tiny_year

LIMITS = SolveLimits(deterministic_time=5.0)


def _staffed_model(year: ProgramYear) -> GroupModel:
    """One rotation per resident and block, with the program's staffing counts."""
    g = _one_rotation_per_block(year, "interns")
    for rotation in year.program.rotations:
        _staffing(g, rotation.name, staffed_count(year, rotation.name, "interns"))
    return g


def _feasible(model: cp_model.CpModel, *pinned: cp_model.IntVar) -> bool:
    for v in pinned:
        model.add(v == 1)
    return solve(model, LIMITS)[0].status in ("optimal", "feasible")


def test_staffed_count_resolves_rest_and_daily_need_counts_post_call_rest() -> None:
    year = tiny_year()
    assert [staffed_count(year, n, "interns") for n in ("WARDS", "NF", "AMB")] == [4, 2, 2]
    # WARDS: one on call, one resting after it (26 h call), one on days; NF: one a night
    assert [daily_need(year, n, "interns") for n in ("WARDS", "NF", "AMB")] == [3, 1, 0]


def test_each_resident_is_on_exactly_one_rotation_per_block() -> None:
    year = tiny_year()
    g = _one_rotation_per_block(year, "interns")
    assert len(g.x) == 8 * 4 * 3 and g.rotations == ["WARDS", "NF", "AMB"]
    assert not _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-01", 0, "NF"])
    g = _one_rotation_per_block(year, "interns")
    for n in ("WARDS", "NF", "AMB"):
        g.model.add(g.x["pgy1-01", 2, n] == 0)
    assert not _feasible(g.model)


def test_staffing_counts_hold_in_every_block() -> None:
    year = tiny_year()
    g = _staffed_model(year)
    outcome, solver = solve(g.model, LIMITS)
    assert outcome.status == "optimal"
    for b in range(4):
        on = {n: sum(solver.boolean_value(g.x[r, b, n]) for r in year.ids) for n in ("WARDS", "NF")}
        assert on == {"WARDS": 4, "NF": 2}


def test_no_more_blocks_in_a_row_than_the_rotation_allows() -> None:
    year = tiny_year()
    cases = [
        (("NF", 0), ("NF", 1), False),  # NF: never two in a row
        (("NF", 0), ("NF", 2), True),
        (("WARDS", 0), ("WARDS", 1), True),  # WARDS: at most two in a row
    ]
    for (n1, b1), (n2, b2), allowed in cases:
        g = _staffed_model(year)
        _consecutive_blocks(g)
        assert _feasible(g.model, g.x["pgy1-01", b1, n1], g.x["pgy1-01", b2, n2]) is allowed
    g = _staffed_model(year)
    _consecutive_blocks(g)
    three = [g.x["pgy1-01", b, "WARDS"] for b in range(3)]
    assert not _feasible(g.model, *three)


def test_yearly_counts_stay_within_one_of_the_average() -> None:
    year = tiny_year()  # 4 WARDS places a block, 4 blocks, 8 interns: 2 WARDS blocks each
    g = _staffed_model(year)
    _within_one_of_average(g, ["WARDS"], 4 * 4)
    assert not _feasible(g.model, *(g.x["pgy1-01", b, "WARDS"] for b in range(3)))
    g = _staffed_model(year)
    _within_one_of_average(g, ["WARDS"], 4 * 4)
    outcome, solver = solve(g.model, LIMITS)
    counts = [sum(solver.boolean_value(g.x[r, b, "WARDS"]) for b in range(4)) for r in year.ids]
    assert outcome.status == "optimal" and counts == [2] * 8


def test_an_empty_group_gets_no_average_rule() -> None:
    year = tiny_year()
    g = GroupModel(cp_model.CpModel(), year, "fellows", [], ["WARDS"], {})
    _within_one_of_average(g, ["WARDS"], 8)
    assert len(g.model.proto.constraints) == 0


def test_blocks_on_rotations_with_call_are_shared_evenly() -> None:
    # WARDS has in-house call and NF has none: only WARDS blocks are evened out
    year = tiny_year()
    g = _staffed_model(year)
    _call_blocks(g)
    assert _feasible(g.model, g.x["pgy1-01", 0, "NF"], g.x["pgy1-01", 2, "NF"])
    g = _staffed_model(year)
    _call_blocks(g)
    x = g.x
    assert not _feasible(
        g.model, x["pgy1-01", 0, "AMB"], x["pgy1-01", 1, "NF"], x["pgy1-01", 2, "AMB"]
    )


def test_leave_capacity_limits_who_is_away_on_one_day() -> None:
    # two interns away on 2026-07-10: WARDS (4 staffed, needs 3) can spare only one of them
    year = tiny_year(leave=[leave(r, "2026-07-10", "2026-07-10") for r in ("pgy1-01", "pgy1-02")])
    g = _staffed_model(year)
    assert _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-02", 0, "WARDS"])
    g = _staffed_model(year)
    _leave_capacity(g)
    assert not _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-02", 0, "WARDS"])
    g = _staffed_model(year)
    _leave_capacity(g)
    assert _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-02", 0, "NF"])


def test_leave_capacity_keeps_room_for_days_off_over_the_block() -> None:
    # never two away on one day, but two 10-day leaves leave WARDS too few working days
    # (16 + 16 + 24 + 24 < 28 days x 3 needed) once days off are taken
    year = tiny_year(
        leave=[
            leave("pgy1-01", "2026-07-01", "2026-07-10"),
            leave("pgy1-02", "2026-07-11", "2026-07-20"),
        ]
    )
    g = _staffed_model(year)
    _leave_capacity(g)
    assert not _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-02", 0, "WARDS"])
    g = _staffed_model(year)
    _leave_capacity(g)
    assert _feasible(g.model, g.x["pgy1-01", 0, "WARDS"], g.x["pgy1-02", 1, "WARDS"])


def test_leave_is_penalised_only_on_rotations_with_coverage() -> None:
    year = tiny_year(
        leave=[leave("pgy1-03", "2026-08-01", "2026-08-05")]
    )  # 5 days of the second block
    penalty = _leave_on_covered_rotations(_one_rotation_per_block(year, "interns"))
    assert len(penalty) == 2  # WARDS and NF in block 2; AMB carries no coverage
    outcome, assignment = _plan_group(year, "interns", LIMITS, ())
    assert outcome.status == "optimal" and outcome.objective == 0
    assert assignment is not None and assignment["pgy1-03"][1] == "AMB"


def test_group_plan_keeps_every_rule() -> None:
    year = tiny_year()
    outcome, assignment = _plan_group(year, "interns", LIMITS, ())
    assert outcome.status == "optimal" and assignment is not None
    for b in range(4):
        on = [assignment[r][b] for r in year.ids]
        assert (on.count("WARDS"), on.count("NF"), on.count("AMB")) == (4, 2, 2)
    for rotations in assignment.values():
        assert rotations.count("WARDS") == 2 and rotations.count("NF") == 1


def test_a_group_that_cannot_be_staffed_is_named() -> None:
    year = tiny_year(
        staffing={"WARDS": {"interns": 7}, "NF": {"interns": 2}, "AMB": {"interns": "rest"}}
    )
    plan = plan_rotations(year, LIMITS)
    assert plan.assignment is None and plan.failed_group == "interns"
    assert plan.outcome.status == "infeasible"
