"""Rotations open to some PGY levels only, and rotations fixed in advance, in a generated year."""

from __future__ import annotations

from typing import Any

import pytest

from app.generation import GenerationResult, generate_schedule, parse_program
from app.generation.precheck import precheck
from app.generation.year import ProgramYear
from app.schedules.file_format import ShiftKind
from tests.support.programs import tiny_data


def _mixed(pgy1: int, pgy2: int, **changes: Any) -> dict[str, Any]:
    """The tiny program with one staffing group of both classes, and NF for PGY-2 and above."""
    data = tiny_data()
    data["classes"] = [
        {"pgy": 1, "group": "interns", "residents": pgy1},
        {"pgy": 2, "group": "interns", "residents": pgy2},
    ]
    data["rotations"][1]["min_pgy"] = 2
    data.update(changes)
    return data


FIXED = [  # both differ from the plan made without them
    {"resident": "pgy2-04", "block": 1, "rotation": "AMB"},
    {"resident": "pgy1-03", "block": 2, "rotation": "WARDS"},
]


@pytest.fixture(scope="module")
def result() -> GenerationResult:
    return generate_schedule(parse_program(_mixed(4, 4, assignments=FIXED)), seed=0)


def test_no_pgy1_is_ever_on_a_pgy2_rotation(result: GenerationResult) -> None:
    assert result.status in ("optimal", "feasible"), result.explanation
    assert result.assignment is not None
    nights = {r for r, plan in result.assignment.items() if "NF" in plan}
    assert nights and all(r.startswith("pgy2-") for r in nights)
    for block in range(4):  # and NF is still staffed two a block, by PGY-2s
        assert sum(plan[block] == "NF" for plan in result.assignment.values()) == 2


def test_no_pgy1_works_a_night_shift(result: GenerationResult) -> None:
    assert result.schedule is not None
    night = [s for s in result.schedule.shifts if s.kind is ShiftKind.NIGHT]  # NF's only shift
    assert night and all(s.resident.startswith("pgy2-") for s in night)


def test_pre_assignments_are_honoured(result: GenerationResult) -> None:
    assert result.assignment is not None
    for fixed in FIXED:
        block = int(fixed["block"]) - 1
        assert result.assignment[str(fixed["resident"])][block] == fixed["rotation"]


def test_too_few_eligible_residents_are_explained_before_solving() -> None:
    expected = (
        "NF is open to PGY-2 and above only and needs 2 interns per block, "
        "but only 1 interns are PGY-2 or above"
    )
    program = parse_program(_mixed(7, 1))
    assert precheck(ProgramYear(program)) == [expected]
    failed = generate_schedule(program, seed=0)
    assert failed.status == "infeasible"
    assert failed.explanation == expected


def test_eligibility_that_the_solver_cannot_meet_names_the_rotation() -> None:
    # three PGY-2s cannot staff NF two a block when nobody does NF in consecutive blocks
    failed = generate_schedule(parse_program(_mixed(5, 3)), seed=0)
    assert failed.status == "infeasible"
    assert failed.explanation is not None
    assert "NF (PGY-2 and above)" in failed.explanation
    assert failed.explanation.startswith("the interns: the PGY limits on NF")


def test_too_many_pre_assigned_to_one_rotation_are_explained() -> None:
    fixed = [{"resident": f"pgy2-0{i}", "block": 1, "rotation": "NF"} for i in (1, 2, 3)]
    program = parse_program(_mixed(4, 4, assignments=fixed))
    assert precheck(ProgramYear(program)) == [
        "3 interns are pre-assigned to NF in block 1, but it takes only 2 interns per block"
    ]


def test_pre_assignments_that_break_the_rotation_rules_are_explained() -> None:
    fixed = [{"resident": "pgy2-01", "block": b, "rotation": "NF"} for b in (1, 2)]
    failed = generate_schedule(parse_program(_mixed(4, 4, assignments=fixed)), seed=0)
    assert failed.status == "infeasible"
    assert failed.explanation == (
        "the interns: the pre-assigned rotations (pgy2-01 on NF in block 1, pgy2-01 on NF in "
        "block 2) cannot all be kept together with the per-block staffing and the other "
        "rotation rules"
    )
