"""``residency-scheduler fairness FILE [--start D] [--end D] [--format json|table]
[--holidays CODE | --program FILE]``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.generation.program import demo_program
from tests.support.schedules import schedule_file

runner = CliRunner()


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(data))
    return path


def test_json_report(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["fairness", str(write(tmp_path, schedule_file()))])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["start"], report["end"]) == ("2026-07-01", "2026-07-28")
    assert report["holidays"] == ["2026-07-03", "2026-07-04"]
    r02 = next(r for r in report["residents"] if r["resident"] == "r02")
    # a 26 h call on Thursday 2 July and a Sunday home call with 2 h worked
    assert (r02["calls"], r02["weekend_calls"], r02["home_calls"], r02["hours"]) == (1, 0, 1, 28)
    assert [c["pgy"] for c in report["classes"]] == [1, 2]
    assert report["classes"][1]["spreads"]["calls"]["highest"] == ["r02"]


def test_window(tmp_path: Path) -> None:
    path = write(tmp_path, schedule_file())
    result = runner.invoke(cli, ["fairness", str(path), "--start", "2026-07-03"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["start"] == "2026-07-03"
    r02 = next(r for r in report["residents"] if r["resident"] == "r02")
    assert (r02["calls"], r02["home_calls"]) == (0, 1)


def test_table(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["fairness", str(write(tmp_path, schedule_file())), "--format", "table"]
    )
    assert result.exit_code == 0, result.output
    assert "Fairness, Test Program: 2026-07-01 to 2026-07-28" in result.stdout
    assert "Longest call streak" in result.stdout
    assert "Spread within each PGY class" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("│ r02"))
    assert line.split("│")[3].strip() == "1"  # r02's calls


def test_bad_input_exits_2_naming_the_item(tmp_path: Path) -> None:
    data = schedule_file()
    data["shifts"][0]["kind"] = "brunch"
    result = runner.invoke(cli, ["fairness", str(write(tmp_path, data))])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: shifts[0].kind")

    missing = runner.invoke(cli, ["fairness", str(tmp_path / "nowhere.json")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr


def test_bad_window_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, schedule_file())
    reversed_ = runner.invoke(
        cli, ["fairness", str(path), "--start", "2026-07-10", "--end", "2026-07-09"]
    )
    assert reversed_.exit_code == 2
    assert reversed_.stderr == "error: end: must not be before start\n"
    not_a_date = runner.invoke(cli, ["fairness", str(path), "--end", "July"])
    assert not_a_date.exit_code == 2
    assert not_a_date.stderr.startswith("error: --end: expected a date")


def _holiday_calls(output: str) -> tuple[list[str], dict[str, int]]:
    report = json.loads(output)
    return report["holidays"], {r["resident"]: r["holiday_calls"] for r in report["residents"]}


def test_holiday_calendar_of_a_country_or_of_the_program(tmp_path: Path) -> None:
    data = schedule_file()
    data["shifts"] += [
        {"resident": "r01", "start": "2026-07-04T07:00", "end": "2026-07-05T09:00", "kind": "call"},
        {"resident": "r02", "start": "2026-07-15T07:00", "end": "2026-07-16T09:00", "kind": "call"},
    ]  # fmt: skip
    path = write(tmp_path, data)
    default = runner.invoke(cli, ["fairness", str(path)])
    assert _holiday_calls(default.stdout) == (["2026-07-03", "2026-07-04"], {"r01": 1, "r02": 0})
    canada = runner.invoke(cli, ["fairness", str(path), "--holidays", "CA"])
    assert canada.exit_code == 0, canada.output
    assert _holiday_calls(canada.stdout) == (["2026-07-01"], {"r01": 0, "r02": 0})
    none = runner.invoke(cli, ["fairness", str(path), "--holidays", "none"])
    assert _holiday_calls(none.stdout) == ([], {"r01": 0, "r02": 0})

    program = demo_program("small").model_dump(mode="json") | {"holidays": ["2026-07-15"]}
    program_file = tmp_path / "program.json"
    program_file.write_text(json.dumps(program))
    own = runner.invoke(cli, ["fairness", str(path), "--program", str(program_file)])
    assert own.exit_code == 0, own.output
    assert _holiday_calls(own.stdout) == (["2026-07-15"], {"r01": 0, "r02": 1})


def test_bad_holiday_calendar_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, schedule_file())
    unknown = runner.invoke(cli, ["fairness", str(path), "--holidays", "XX"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: --holidays: no holiday calendar for country 'XX'")
    both = runner.invoke(cli, ["fairness", str(path), "--holidays", "US", "--program", str(path)])
    assert both.exit_code == 2
    assert both.stderr == "error: --holidays and --program: give one calendar, not both\n"
    not_a_program = runner.invoke(cli, ["fairness", str(path), "--program", str(path)])
    assert not_a_program.exit_code == 2
    assert not_a_program.stderr.startswith("error: --program: ")
