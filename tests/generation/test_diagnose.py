"""Explanations of a team that cannot be scheduled name the team, block, date and rule."""

from __future__ import annotations

from app.generation import Program, parse_program
from app.generation.diagnose import explain_team
from app.generation.shifts import TeamInputs
from app.generation.solve import SolveLimits
from app.generation.teams import Team, block_teams
from app.generation.year import ProgramYear


def _year(program: Program, leave: list[dict[str, str]]) -> ProgramYear:
    data = program.model_dump(mode="json")
    data["leave"] = leave
    return ProgramYear(parse_program(data))


def _assignment(year: ProgramYear) -> dict[str, list[str]]:
    """Interns 1-4 on WARDS, 5-6 on NF, the rest AMB, all year (fine for one block)."""
    plan = {}
    for i, r in enumerate(year.ids):
        rotation = "AMB"
        if r.startswith("pgy1"):
            rotation = "WARDS" if i < 4 else ("NF" if i < 6 else "AMB")
        plan[r] = [rotation] * year.blocks
    return plan


def _wards_interns(year: ProgramYear) -> tuple[Team, TeamInputs]:
    team = next(t for t in block_teams(year, 0, _assignment(year)) if t.label == "WARDS (interns)")
    inputs = TeamInputs(
        calls=dict.fromkeys(team.members, 7),
        edge_out={team.members[-1]: "call"},  # someone hands over on call into block 2
        edge_in={},
        last_block=False,
    )
    return team, inputs


def test_whole_team_on_leave_names_the_date(small_program: Program) -> None:
    leave = [
        {"resident": f"pgy1-0{i}", "start": "2026-07-10", "end": "2026-07-10"} for i in (1, 2, 3, 4)
    ]
    year = _year(small_program, leave)
    team, inputs = _wards_interns(year)
    message = explain_team(year, team, inputs, SolveLimits())
    assert message == (
        "WARDS (interns) in block 1 (2026-07-01 to 2026-07-28): on 2026-07-10 only 0 resident(s) "
        "are not on leave, but 1 must work call"
    )


def test_too_few_present_counting_post_call_rest(small_program: Program) -> None:
    leave = [{"resident": f"pgy1-0{i}", "start": "2026-07-08", "end": "2026-07-21"} for i in (1, 2)]
    year = _year(small_program, leave)
    team, inputs = _wards_interns(year)
    message = explain_team(year, team, inputs, SolveLimits())
    assert message == (
        "WARDS (interns) in block 1 (2026-07-01 to 2026-07-28): on 2026-07-08 only 2 resident(s) "
        "are not on leave, but covering the day needs 3 counting those resting after call"
    )


def test_too_little_rest_names_the_day_off_rule(small_program: Program) -> None:
    # one of four away for a week while the call plan keeps everyone at 7 calls
    leave = [{"resident": "pgy1-01", "start": "2026-07-08", "end": "2026-07-14"}]
    year = _year(small_program, leave)
    team, inputs = _wards_interns(year)
    message = explain_team(year, team, inputs, SolveLimits(deterministic_time=2.0))
    assert message == (
        "WARDS (interns) in block 1 (2026-07-01 to 2026-07-28): the pool of 4 resident(s) cannot "
        "cover exactly 1 call, at least 1 day every day with 1 day off in 7 and at most 6 "
        "working days in a row"
    )
