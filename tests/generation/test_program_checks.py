"""The cross-field checks of a program file, one section at a time, with their exact messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.generation import ProgramFileError, demo_program, parse_program
from app.generation.program import (
    Program,
    _check_assignments,
    _check_coverage,
    _check_listed_residents,
    _check_references,
    _check_requests,
    _check_rotations,
    _check_shifts,
    _check_staffing,
    _check_unique_names,
)

Section = Callable[[Program], object]
Mutation = Callable[[dict[str, Any]], object]


def _listed(p: Program) -> None:
    assert p.residents is not None
    _check_listed_residents(p, p.residents)


def _requests(p: Program) -> None:
    _check_requests(p, {person.id for person in p.roster()})


def _assignments(p: Program) -> None:
    _check_assignments(p, {person.id: person.pgy for person in p.roster()})


def _assign(*items: tuple[str, int, str]) -> Mutation:
    fixed = [{"resident": r, "block": b, "rotation": n} for r, b, n in items]
    return lambda d: d.update(assignments=fixed)


def _senior_icu(d: dict[str, Any]) -> None:
    d["rotations"][1]["min_pgy"] = 2


def _roster(count: int, *extra: dict[str, Any]) -> Mutation:
    people = [{"id": f"r{i}", "pgy": 1 + i // 8} for i in range(count)]
    return lambda d: d.update(residents=people + list(extra))


def _call2(d: dict[str, Any]) -> None:
    d["shifts"].append({"name": "call2", "kind": "call", "start": "08:00", "hours": 24})
    d["rotations"][0]["shifts"].append("call2")


def _home_clinic(d: dict[str, Any]) -> None:
    d["shifts"].append({"name": "home", "kind": "home_call", "start": "17:00", "hours": 14})
    d["rotations"][3].update(shifts=["home"])


CASES: list[tuple[Mutation, Section, str]] = [
    (
        lambda d: d.update(academic_year_start="1899-07-01"),
        _check_references,
        "academic_year_start: the year must lie between 1900-01-01 and 2999-12-31",
    ),
    (
        lambda d: d["classes"].append(dict(d["classes"][0])),
        _check_unique_names,
        "classes: PGY-1 is listed twice",
    ),
    (
        lambda d: d["shifts"].append(dict(d["shifts"][0])),
        _check_unique_names,
        "shifts: shift 'day' is defined twice",
    ),
    (
        lambda d: d["rotations"].append(dict(d["rotations"][0])),
        _check_unique_names,
        "rotations: rotation 'WARDS' is defined twice",
    ),
    (
        _home_clinic,
        _check_rotations,
        "rotations[3].shifts: a weekly-pattern rotation takes no home call "
        "(home call is shared by coverage)",
    ),
    (
        lambda d: d["shifts"][0].update(kind="moonlighting"),
        _check_shifts,
        "shifts[0].kind: moonlighting is not scheduled by the program",
    ),
    (
        lambda d: d["shifts"][2].update(hours=28),
        _check_shifts,
        "shifts[2].hours: shift plus its required rest must end by the next day",
    ),
    (
        lambda d: d["rotations"][0]["shifts"].insert(0, "brunch"),
        _check_rotations,
        "rotations[0].shifts[0]: unknown shift 'brunch'",
    ),
    (
        _call2,
        _check_rotations,
        "rotations[0].shifts: a rotation may use at most one in-house call shift",
    ),
    (
        lambda d: d["rotations"][3]["shifts"].append("day"),
        _check_rotations,
        "rotations[3].shifts: a weekly-pattern rotation uses exactly one shift",
    ),
    (
        lambda d: d["rotations"][3].update(shifts=["night"]),
        _check_rotations,
        "rotations[3].shifts: a weekly-pattern shift must leave a full rest",
    ),
    (
        lambda d: d["staffing"].pop("NF"),
        _check_rotations,
        "staffing: no staffing for rotation 'NF'",
    ),
    (
        lambda d: d["staffing"].update(ER={"interns": 1}),
        _check_staffing,
        "staffing.ER: unknown rotation",
    ),
    (
        lambda d: d["staffing"]["WARDS"].update(fellows=1),
        _check_staffing,
        "staffing.WARDS.fellows: unknown group (groups: interns, seniors)",
    ),
    (
        lambda d: d["staffing"]["NF"].update(interns="rest"),
        _check_staffing,
        "staffing: group 'interns' has more than one 'rest' rotation",
    ),
    (
        lambda d: d["staffing"]["AMB"].update(interns=1),
        _check_staffing,
        "staffing: group 'interns' needs one rotation staffed with 'rest'",
    ),
    (
        lambda d: d["coverage"][0].update(rotation="ER"),
        _check_coverage,
        "coverage[0].rotation: unknown rotation 'ER'",
    ),
    (
        lambda d: d["coverage"][0].update(shift="night"),
        _check_coverage,
        "coverage[0].shift: rotation WARDS does not use shift 'night'",
    ),
    (
        lambda d: d["coverage"][0].update(exactly=None),
        _check_coverage,
        "coverage[0]: give exactly one of 'exactly' and 'at_least'",
    ),
    (
        lambda d: d["coverage"].append({"rotation": "AMB", "shift": "clinic", "at_least": 1}),
        _check_coverage,
        "coverage[3]: rotation AMB follows a weekly pattern and takes no coverage",
    ),
    (
        lambda d: d.update(residents=[{"id": "a", "pgy": 1}, {"id": "a", "pgy": 1}]),
        _check_references,
        "residents: resident id 'a' is used twice",
    ),
    (_roster(8), _listed, "residents: 0 PGY-2 listed, classes say 8"),
    (_roster(24, {"id": "x", "pgy": 4}), _listed, "residents[24].pgy: no class PGY-4"),
    (
        lambda d: d.update(
            leave=[{"resident": "nobody", "start": "2026-07-01", "end": "2026-07-02"}]
        ),
        _requests,
        "leave[0].resident: unknown resident 'nobody'",
    ),
    (
        lambda d: d.update(
            leave=[{"resident": "pgy1-01", "start": "2026-07-05", "end": "2026-07-02"}]
        ),
        _requests,
        "leave[0].end: must not be before start",
    ),
    (
        lambda d: d.update(
            leave=[{"resident": "pgy1-01", "start": "2027-06-05", "end": "2027-07-02"}]
        ),
        _requests,
        "leave[0]: outside the academic year 2026-07-01 to 2027-06-30",
    ),
    (
        lambda d: d.update(preferences=[{"resident": "nobody"}]),
        _requests,
        "preferences[0].resident: unknown resident 'nobody'",
    ),
    (
        lambda d: d["rotations"][1].update(min_pgy=4),
        _check_rotations,
        "rotations[1].min_pgy: no class is PGY-4 or above",
    ),
    (
        _assign(("pgy1-01", 1, "NF"), ("nobody", 2, "NF")),
        _assignments,
        "assignments[1].resident: unknown resident 'nobody'",
    ),
    (
        _assign(("pgy1-01", 1, "ER")),
        _assignments,
        "assignments[0].rotation: unknown rotation 'ER'",
    ),
    (
        _assign(("pgy1-01", 14, "NF")),
        _assignments,
        "assignments[0].block: block 14 is past the year's last block 13",
    ),
    (
        _assign(("pgy1-01", 3, "NF"), ("pgy1-01", 3, "WARDS")),
        _assignments,
        "assignments[1]: pgy1-01 is already assigned a rotation in block 3",
    ),
    (
        lambda d: (_senior_icu(d), _assign(("pgy2-01", 4, "ICU"), ("pgy1-03", 4, "ICU"))(d)),
        _assignments,
        "assignments[1]: ICU is for PGY-2 and above; pgy1-03 is PGY-1",
    ),
]


def _unchecked(mutate: Mutation) -> Program:
    """The small demo, changed, with field checks only (no cross-field checks)."""
    data = demo_program("small").model_dump(mode="json")
    mutate(data)
    return Program.model_validate(data)


@pytest.mark.parametrize(("mutate", "section", "expected"), CASES)
def test_each_section_names_the_bad_reference(
    mutate: Mutation, section: Section, expected: str
) -> None:
    program = _unchecked(mutate)
    with pytest.raises(ProgramFileError) as in_section:
        section(program)
    assert str(in_section.value) == expected
    with pytest.raises(ProgramFileError) as loading:
        parse_program(program.model_dump(mode="json"))
    assert str(loading.value) == expected


def test_every_section_passes_the_demo_and_a_matching_roster() -> None:
    program = _unchecked(_roster(24))
    for section in {section for _, section, _ in CASES}:
        section(program)


def test_the_first_error_in_check_order_is_reported() -> None:
    def two_errors(d: dict[str, Any]) -> None:
        d["staffing"].pop("WARDS")  # rotations[0] has no staffing...
        d["rotations"][2]["shifts"].append("brunch")  # ...and rotations[2] an unknown shift
        d["leave"] = [{"resident": "nobody", "start": "2026-07-01", "end": "2026-07-01"}]

    with pytest.raises(ProgramFileError, match=r"^staffing: no staffing for rotation 'WARDS'$"):
        _check_references(_unchecked(two_errors))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"min_pgy": 0}, "rotations[1].min_pgy: Input should be greater than or equal to 1"),
        ({"min_pgy": "senior"}, "rotations[1].min_pgy: Input should be a valid integer"),
    ],
)
def test_a_bad_min_pgy_is_named(change: dict[str, Any], expected: str) -> None:
    data = demo_program("small").model_dump(mode="json")
    data["rotations"][1].update(change)
    with pytest.raises(ProgramFileError) as err:
        parse_program(data)
    assert str(err.value).startswith(expected)


def test_a_block_before_the_first_is_named() -> None:
    data = demo_program("small").model_dump(mode="json")
    data["assignments"] = [{"resident": "pgy1-01", "block": 0, "rotation": "NF"}]
    with pytest.raises(ProgramFileError, match=r"^assignments\[0\]\.block: Input should be"):
        parse_program(data)


def test_eligibility_and_pre_assignments_that_fit_are_accepted() -> None:
    data = demo_program("small").model_dump(mode="json")
    _senior_icu(data)
    _assign(("pgy2-01", 4, "ICU"), ("pgy1-03", 4, "NF"))(data)
    program = parse_program(data)
    assert program.rotation("ICU").min_pgy == 2
    assert [(a.resident, a.block, a.rotation) for a in program.assignments] == [
        ("pgy2-01", 4, "ICU"),
        ("pgy1-03", 4, "NF"),
    ]
