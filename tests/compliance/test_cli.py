from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from app.compliance import report_table, validate_schedule
from app.compliance.cli import validate
from tests.support.schedules import at, schedule, shift

app = typer.Typer()
app.command("validate")(validate)
app.command("unused")(
    lambda: None
)  # two commands, so "validate" is addressed by name as in the CLI
runner = CliRunner()


def write(tmp_path: Path, duty: list[dict[str, Any]], **replace: Any) -> Path:
    path = tmp_path / "schedule.json"
    data = schedule(duty, residents=[("r01", 1)]).to_json_dict() | replace
    path.write_text(json.dumps(data))
    return path


def test_valid_schedule_exits_0_with_the_json_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(write(tmp_path, []))])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"valid": True, "compliance_score": 100.0, "violations": []}


def test_violations_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, [shift(at(0, 7), at(1, 12), "call")])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert [v["rule"] for v in report["violations"]] == ["max_continuous_24_4"]


def test_warnings_alone_exit_0_and_strict_adds_rolling(tmp_path: Path) -> None:
    # q2 calls from day 14 to 41: each block passes, the 28 days in between do not.
    calls = [shift(at(d, 7), at(d + 1, 9), "call") for d in range(14, 42, 2)]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schedule(calls, days=56).to_json_dict()))
    plain = runner.invoke(app, ["validate", str(path)])
    strict = runner.invoke(app, ["validate", "--strict", str(path)])
    assert plain.exit_code == strict.exit_code == 0
    assert json.loads(plain.stdout)["violations"] == []
    report = json.loads(strict.stdout)
    assert {v["severity"] for v in report["violations"]} == {"warning"}
    assert {v["rule"] for v in report["violations"]} == {
        "hours_80_weekly_rolling",
        "one_day_off_in_7_rolling",
        "in_house_call_q3_rolling",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "error: file: not valid JSON"),
        ("[]", "error: file: expected a JSON object"),
        (None, "error: "),
        (b"\xff\xfe{", "error: "),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / "bad.json"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.output and result.stdout == ""


def test_unknown_resident_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, [], shifts=[shift(at(0, 7), at(0, 19), resident="r99")])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: shifts[0].resident: unknown resident 'r99'"


def test_table_format(tmp_path: Path) -> None:
    path = write(tmp_path, [shift(at(0, 7), at(1, 12), "call")])
    result = runner.invoke(app, ["validate", "--format", "table", str(path)])
    assert result.exit_code == 1
    assert "max_continuous_24_4" in result.stdout and "r01" in result.stdout


def test_report_table_renders_every_record() -> None:
    s = schedule([shift(at(0, 7), at(1, 12), "call"), shift(at(1, 18), at(2, 6), "night")])
    console = Console(record=True, width=200)
    console.print(report_table(validate_schedule(s)))
    text = console.export_text()
    assert "NOT valid" in text and "2 violations, 1 warnings" in text
    assert "max_continuous_24_4" in text and "rest_between_shifts_8h" in text
