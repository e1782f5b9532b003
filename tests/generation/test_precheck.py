"""The cheap checks before solving report programs that cannot be staffed, in plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.generation import DemoSize, demo_program, parse_program
from app.generation.precheck import _capacity, _coverage, _staffing, precheck
from app.generation.year import ProgramYear


def _year(size: DemoSize, mutate: Callable[[dict[str, Any]], object]) -> ProgramYear:
    data = demo_program(size).model_dump(mode="json")
    mutate(data)
    return ProgramYear(parse_program(data))


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_the_demo_programs_pass(size: DemoSize) -> None:
    assert precheck(ProgramYear(demo_program(size))) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["classes"][0].update(residents=5),
            [
                "WARDS, NF together need 6 interns per block but there are only 5 interns",
                "WARDS needs 4 interns per block and nobody may do it more than 2 blocks in a "
                "row, so it needs at least 6 interns; there are 5",
            ],
        ),
        (
            lambda d: d["staffing"]["NF"].update(interns=9),
            [
                "NF needs 9 interns per block but there are only 8 interns",
                "WARDS, NF together need 13 interns per block but there are only 8 interns",
            ],
        ),
        (
            lambda d: d["staffing"]["NF"].update(interns=5),
            [
                "WARDS, NF together need 9 interns per block but there are only 8 interns",
                "NF needs 5 interns per block and nobody may do it in consecutive blocks, so it "
                "needs at least 10 interns; there are 8",
            ],
        ),
    ],
)
def test_staffing_that_the_class_sizes_cannot_fill(
    mutate: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    year = _year("small", mutate)
    assert _staffing(year) == expected
    assert precheck(year)[: len(expected)] == expected


@pytest.mark.parametrize(
    ("size", "mutate", "expected"),
    [
        (
            "medium",
            lambda d: d["staffing"]["ICU"].update(interns=0, seniors=0),
            [
                "ICU must have 1 on call every day but nobody is staffed on ICU",
                "ICU must have 1 on day every day but nobody is staffed on ICU",
            ],
        ),
        (
            "small",
            lambda d: d["staffing"]["NF"].update(interns=0),
            ["NF must have 1 interns on night every day but no interns are staffed on NF"],
        ),
        (
            "small",
            lambda d: d["staffing"]["WARDS"].update(interns=2),
            [
                "WARDS (interns): 1 in-house call(s) every day need at least 4 residents under "
                "the every-third-night limit, but only 2 are staffed"
            ],
        ),
        (
            "small",
            lambda d: d["staffing"]["NF"].update(interns=1),
            [
                "the NF (interns) pool of 1 is too small to cover 1 night shift(s) every day "
                "with 1 day off in 7"
            ],
        ),
    ],
)
def test_coverage_that_the_staffed_residents_cannot_give(
    size: DemoSize, mutate: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    year = _year(size, mutate)
    assert _staffing(year) == []
    assert _coverage(year) == expected
    assert precheck(year) == expected


def test_capacity_of_a_pool_for_one_shift() -> None:
    year = _year("small", lambda d: d["shifts"][0].update(hours=16))  # 16 h day shifts
    label = "WARDS (interns)"
    assert _capacity(year, label, "day", 5, 4) == [
        "WARDS (interns) needs 5 on day every day but only 4 are staffed"
    ]
    # 6 residents with 4 days off each would do, but not in 80 hours a week
    assert _capacity(year, label, "day", 5, 6) == [
        "the WARDS (interns) pool of 6 is too small to cover 5 day shift(s) every day within "
        "80 hours a week"
    ]
    assert _capacity(year, label, "day", 1, 6) == []
