"""Leave requests (program ``leave_requests``): granted by priority while the staffing allows,
refused whole otherwise, with the refusal explained."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from app.generation import GenerationResult, ProgramFileError, generate_schedule, parse_program
from app.generation.cli import generate
from app.generation.precheck import grant_leave
from app.generation.program import DemoSize, demo_program
from tests.support.programs import leave, tiny_data

# On 2026-08-13 three of the eight interns are already on leave; the tiny program's rotations need
# four interns at work every day (WARDS: a call, its post-call rest and a day shift; NF: a night),
# so one more may go that day, not two.
FIXED = [
    leave("pgy1-01", "2026-08-10", "2026-08-14"),
    leave("pgy1-02", "2026-08-12", "2026-08-16"),
    leave("pgy1-03", "2026-08-13", "2026-08-13"),
]
REFUSED = (
    "pgy1-05's leave 2026-08-11 to 2026-08-20 refused: on 2026-08-13 the interns could not "
    "staff WARDS, NF (4 needed, 3 left)"
)


def ask(resident: str, start: str, end: str, priority: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = leave(resident, start, end)
    if priority is not None:
        entry["priority"] = priority
    return entry


def program_data(requests: list[dict[str, Any]]) -> dict[str, Any]:
    data = tiny_data()
    data.update(leave=FIXED, leave_requests=requests)
    return data


# the lower-priority request comes first in the file and starts earlier: priority decides
CLASHING = [
    ask("pgy1-05", "2026-08-11", "2026-08-20", 1),
    ask("pgy1-04", "2026-08-13", "2026-08-18", 2),
]


@pytest.fixture(scope="module")
def clashing() -> GenerationResult:
    return generate_schedule(parse_program(program_data(CLASHING)), seed=0)


def test_the_higher_priority_request_is_granted(clashing: GenerationResult) -> None:
    assert clashing.status in ("optimal", "feasible"), clashing.explanation
    assert clashing.schedule is not None
    on_leave = {(e.resident, e.start, e.end) for e in clashing.schedule.leave}
    assert ("pgy1-04", date(2026, 8, 13), date(2026, 8, 18)) in on_leave
    assert not any(resident == "pgy1-05" for resident, _, _ in on_leave)
    worked = {(s.resident, s.start.date()) for s in clashing.schedule.shifts}
    assert ("pgy1-04", date(2026, 8, 15)) not in worked


def test_the_other_is_refused_with_its_reason(clashing: GenerationResult) -> None:
    assert clashing.refused_leave == [REFUSED]


def test_swapped_priorities_swap_the_outcome() -> None:
    swapped = [{**CLASHING[0], "priority": 3}, CLASHING[1]]
    program, refused = grant_leave(parse_program(program_data(swapped)))
    assert [e.resident for e in program.leave][3:] == ["pgy1-05"]
    assert len(refused) == 1
    assert refused[0].startswith("pgy1-04's leave 2026-08-13 to 2026-08-18 refused: on 2026-08-13")


def test_ties_go_to_the_earlier_start_then_the_resident() -> None:
    tied = [
        ask("pgy1-06", "2026-08-13", "2026-08-13"),
        ask("pgy1-05", "2026-08-13", "2026-08-13"),
        ask("pgy1-04", "2026-08-12", "2026-08-13"),
    ]
    program, refused = grant_leave(parse_program(program_data(tied)))
    assert [e.resident for e in program.leave][3:] == ["pgy1-04"]
    assert [sentence.split("'")[0] for sentence in refused] == ["pgy1-05", "pgy1-06"]


def test_all_grantable_requests_are_granted() -> None:
    requests = [
        ask("pgy1-04", "2026-08-13", "2026-08-18"),
        ask("pgy1-05", "2026-09-01", "2026-09-05", 4),
    ]
    data = tiny_data()
    data.update(leave=FIXED[:1], leave_requests=requests)
    result = generate_schedule(parse_program(data), seed=0)
    assert result.status in ("optimal", "feasible"), result.explanation
    assert result.schedule is not None
    assert result.refused_leave == []
    on_leave = {(e.resident, e.start, e.end) for e in result.schedule.leave}
    assert ("pgy1-04", date(2026, 8, 13), date(2026, 8, 18)) in on_leave
    assert ("pgy1-05", date(2026, 9, 1), date(2026, 9, 5)) in on_leave


def test_the_cli_prints_refusals_after_the_summary(tmp_path: Path) -> None:
    program = tmp_path / "program.json"
    program.write_text(json.dumps(program_data(CLASHING)))
    out = tmp_path / "year.json"
    app = typer.Typer()
    app.command("generate")(generate)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["generate", "--program", str(program), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stderr.split())  # the console wraps long lines
    assert text.index(REFUSED) > text.index("; wrote ")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ask("nobody", "2026-08-01", "2026-08-02"), "leave_requests[1].resident: unknown resident"),
        (ask("pgy1-01", "2026-08-05", "2026-08-02"), "leave_requests[1].end: must not be before"),
        (ask("pgy1-01", "2026-06-20", "2026-07-02"), "leave_requests[1]: outside the academic"),
        (ask("pgy1-01", "2026-10-15", "2026-10-25"), "leave_requests[1]: outside the academic"),
        ({**ask("pgy1-01", "2026-08-01", "2026-08-02"), "priority": "high"}, "leave_requests[1]"),
        ({**ask("pgy1-01", "2026-08-01", "2026-08-02"), "why": "x"}, "leave_requests[1].why"),
    ],
)
def test_bad_requests_are_rejected_naming_the_item(entry: dict[str, Any], message: str) -> None:
    data = program_data([ask("pgy1-02", "2026-09-01", "2026-09-02"), entry])
    with pytest.raises(ProgramFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_program(data)


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_demo_programs_are_unchanged(size: DemoSize) -> None:
    program = demo_program(size)
    assert program.leave_requests == []
    granted, refused = grant_leave(program)
    assert granted is program
    assert refused == []


def test_the_demo_year_refuses_nothing(small_result: GenerationResult) -> None:
    assert small_result.refused_leave == []
