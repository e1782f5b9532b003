"""Program files: the shipped demo, loading, and errors that name the bad field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.generation import ProgramFileError, demo_program, load_program, parse_program
from app.generation.program import Program


def _concrete(size: str = "small") -> dict[str, Any]:
    data: dict[str, Any] = demo_program(size).model_dump(mode="json")  # type: ignore[arg-type]
    return data


@pytest.mark.parametrize(
    ("size", "per_class", "k", "icu"),
    [("small", 8, 1, 0), ("medium", 12, 1, 2), ("large", 24, 2, 4)],
)
def test_demo_sizes_match_the_benchmark_program(
    size: str, per_class: int, k: int, icu: int
) -> None:
    program = demo_program(size)  # type: ignore[arg-type]
    assert [c.residents for c in program.classes] == [per_class] * 3
    assert len(program.roster()) == 3 * per_class
    assert program.blocks == 13 and program.days == 365  # 13 blocks, the last one 29 days
    assert str(program.academic_year_start) == "2026-07-01"
    assert program.staffing["WARDS"] == {"interns": 4 * k, "seniors": 4 * k}
    assert program.staffing["ICU"] == {"interns": icu, "seniors": icu}
    assert program.staffing["NF"] == {"interns": 2 * k, "seniors": 2 * k}
    calls = [c for c in program.coverage if c.shift == "call"]
    assert all(c.exactly == k for c in calls)
    assert {c.rotation for c in calls} == ({"WARDS", "ICU"} if icu else {"WARDS"})
    hours = {s.name: s.hours for s in program.shifts}
    assert hours == {"day": 12, "call": 26, "night": 12, "clinic": 9}


@pytest.mark.parametrize(
    ("size", "k", "icu"), [("small", 1, False), ("medium", 1, True), ("large", 2, True)]
)
def test_demo_coverage_rules_and_shifts_follow_the_spec(size: str, k: int, icu: bool) -> None:
    program = demo_program(size)  # type: ignore[arg-type]
    coverage = {
        (c.rotation, c.shift, c.scope, "exactly" if c.exactly is not None else "at_least", c.count)
        for c in program.coverage
    }
    expected = {
        ("WARDS", "call", "group", "exactly", k),  # per group: interns and seniors separately
        ("WARDS", "day", "group", "at_least", k),
        ("NF", "night", "group", "exactly", k),
    }
    if icu:  # interns and seniors together
        expected |= {
            ("ICU", "call", "combined", "exactly", k),
            ("ICU", "day", "combined", "at_least", k),
        }
    assert coverage == expected
    assert {c.pgy: c.group for c in program.classes} == {1: "interns", 2: "seniors", 3: "seniors"}
    assert program.staffing["AMB"] == {"interns": "rest", "seniors": "rest"}
    rotations = {r.name: r for r in program.rotations}
    assert rotations["WARDS"].max_consecutive_blocks == 2
    assert rotations["NF"].max_consecutive_blocks == 1
    assert rotations["ICU"].max_consecutive_blocks is None
    assert rotations["AMB"].weekly_pattern == ["mon", "tue", "wed", "thu", "fri"]
    assert {n: r.shifts for n, r in rotations.items()} == {
        "WARDS": ["day", "call"],
        "ICU": ["day", "call"],
        "NF": ["night"],
        "AMB": ["clinic"],
    }
    starts = {s.name: (s.kind.value, s.start.strftime("%H:%M")) for s in program.shifts}
    assert starts == {
        "day": ("day", "07:00"),
        "call": ("call", "07:00"),
        "night": ("night", "19:00"),
        "clinic": ("clinic", "08:00"),
    }
    assert program.rules.balance_rotation_counts and program.rules.call_spread == 1


def test_demo_data_file_is_package_data() -> None:
    path = Path(__file__).parents[2] / "app" / "generation" / "data" / "demo-program.json"
    assert set(json.loads(path.read_text())["sizes"]) == {"small", "medium", "large"}


def test_load_program_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "program.json"
    path.write_text(json.dumps(_concrete()))
    assert load_program(path) == demo_program("small")


def test_load_program_with_sizes_needs_a_size(tmp_path: Path) -> None:
    path = Path(__file__).parents[2] / "app" / "generation" / "data" / "demo-program.json"
    with pytest.raises(ProgramFileError, match="sizes: the file defines sizes small, medium"):
        load_program(path)
    assert load_program(path, size="medium") == demo_program("medium")
    with pytest.raises(ProgramFileError, match="no size 'huge'"):
        load_program(path, size="huge")


def _error(mutate: Any) -> str:
    data = _concrete()
    mutate(data)
    with pytest.raises(ProgramFileError) as info:
        parse_program(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("blocks"), "blocks: Field required"),
        (lambda d: d["shifts"][1].update(hours=30), "shifts[1].hours: "),
        (lambda d: d["shifts"][0].update(kind="nap"), "shifts[0].kind: "),
        (
            lambda d: d["coverage"][0].update(rotation="ER"),
            "coverage[0].rotation: unknown rotation",
        ),
        (lambda d: d["coverage"][0].update(at_least=1), "coverage[0]: give exactly one of"),
        (lambda d: d["rotations"][0]["shifts"].append("brunch"), "rotations[0].shifts[2]: unknown"),
        (
            lambda d: d["staffing"]["WARDS"].update(fellows=1),
            "staffing.WARDS.fellows: unknown group",
        ),
        (lambda d: d["staffing"]["NF"].update(interns="rest"), "more than one 'rest' rotation"),
        (
            lambda d: d.update(
                leave=[{"resident": "nobody", "start": "2026-07-01", "end": "2026-07-02"}]
            ),
            "leave[0].resident: unknown resident 'nobody'",
        ),
        (
            lambda d: d.update(
                leave=[{"resident": "pgy1-01", "start": "2026-07-05", "end": "2026-07-02"}]
            ),
            "leave[0].end: must not be before start",
        ),
        (
            lambda d: d.update(preferences=[{"resident": "pgy1-01", "days_off": ["someday"]}]),
            "preferences[0].days_off[0]: ",
        ),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (
            lambda d: d.update(academic_year_start="9999-07-01"),
            "academic_year_start: the year must lie between 1900-01-01 and 2999-12-31",
        ),
    ],
)
def test_bad_program_names_the_field(mutate: Any, expected: str) -> None:
    assert expected in _error(mutate)


def test_unreadable_and_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(ProgramFileError, match="cannot read"):
        load_program(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ProgramFileError, match="not valid JSON"):
        load_program(bad)
    with pytest.raises(ProgramFileError, match="expected a JSON object"):
        parse_program([1, 2])


def test_explicit_residents_must_match_classes() -> None:
    data = _concrete()
    data["residents"] = [{"id": f"r{i}", "pgy": 1} for i in range(8)]
    with pytest.raises(ProgramFileError, match="residents: 0 PGY-2 listed, classes say 8"):
        parse_program(data)


def test_program_is_frozen() -> None:
    program: Program = demo_program("small")
    with pytest.raises(ValueError):
        program.blocks = 3  # type: ignore[misc]
