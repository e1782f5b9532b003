from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.support.schedules import schedule_file

runner = CliRunner()


@pytest.fixture
def database_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return tmp_path


def test_import_then_export(database_env: Path) -> None:
    source = database_env / "in.json"
    source.write_text(json.dumps(schedule_file()))
    imported = runner.invoke(cli, ["import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["shifts"] == 3

    target = database_env / "out.json"
    exported = runner.invoke(cli, ["export", "--out", str(target)])
    assert exported.exit_code == 0, exported.output
    written = json.loads(target.read_text())
    assert written["shifts"] == schedule_file()["shifts"]


def test_bad_file_exits_2_naming_the_item(database_env: Path) -> None:
    data = schedule_file()
    data["shifts"][1]["end"] = data["shifts"][1]["start"]
    source = database_env / "bad.json"
    source.write_text(json.dumps(data))
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 2
    assert "shifts[1].end: must be after start" in result.stderr
    assert "Traceback" not in result.output

    missing = runner.invoke(cli, ["import", str(database_env / "nope.json")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    source.write_text("{not json")
    garbled = runner.invoke(cli, ["import", str(source)])
    assert garbled.exit_code == 2 and "not valid JSON" in garbled.stderr


def test_export_with_nothing_stored_exits_2(database_env: Path) -> None:
    result = runner.invoke(cli, ["export", "--out", str(database_env / "o.json")])
    assert result.exit_code == 2 and "no academic year" in result.stderr
    bad_date = runner.invoke(cli, ["export", "--out", "o.json", "--start", "July"])
    assert bad_date.exit_code == 2


def test_bad_setting_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 2 and "DATABASE_URL" in result.stderr


def test_import_errors_found_in_the_database_exit_2_naming_the_item(database_env: Path) -> None:
    source = database_env / "in.json"
    source.write_text(json.dumps(schedule_file()))
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with sqlite3.connect(database_env / "cli.db") as db:  # a faculty member already holds "r02"
        db.execute(
            "INSERT INTO people (code, kind, active, created_at) "
            "VALUES ('r02', 'faculty', 1, '2026-01-01 00:00:00')"
        )
    result = runner.invoke(cli, ["import", str(source)])
    assert result.exit_code == 2, result.output
    assert "residents[1].id: 'r02' is a faculty member" in result.stderr
    assert "Traceback" not in result.output
    with sqlite3.connect(database_env / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM shifts").fetchone() == (0,)


def test_export_to_an_unwritable_place_exits_2(database_env: Path) -> None:
    source = database_env / "in.json"
    source.write_text(json.dumps(schedule_file()))
    assert runner.invoke(cli, ["import", str(source)]).exit_code == 0
    result = runner.invoke(cli, ["export", "--out", str(database_env / "missing" / "out.json")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    far = runner.invoke(
        cli, ["export", "--out", str(database_env / "o.json"), "--end", "9999-12-31"]
    )
    assert far.exit_code == 0, far.output


def test_every_command_is_registered() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "seed", "import", "export", "validate", "generate"):
        assert command in result.stdout, command
    assert runner.invoke(cli, ["generate", "--help"]).exit_code == 0
    assert runner.invoke(cli, ["validate", "--help"]).exit_code == 0


def test_a_part_year_export_keeps_the_year_blocks_and_reimports_into_the_year(
    database_env: Path,
) -> None:
    source = database_env / "in.json"
    source.write_text(json.dumps(schedule_file()))
    assert runner.invoke(cli, ["import", str(source)]).exit_code == 0
    part = database_env / "part.json"
    exported = runner.invoke(
        cli, ["export", "--out", str(part), "--start", "2026-07-02", "--end", "2026-07-10"]
    )
    assert exported.exit_code == 0, exported.output
    written = json.loads(part.read_text())
    assert written["period"] == {
        "start": "2026-07-02",
        "end": "2026-07-10",
        "block_start": "2026-07-01",
    }
    checked = runner.invoke(cli, ["validate", str(part)])
    assert checked.exit_code == 0, checked.output
    reimported = runner.invoke(cli, ["import", str(part)])
    assert reimported.exit_code == 0, reimported.output
    with sqlite3.connect(database_env / "cli.db") as db:
        years = db.execute("SELECT start_date, end_date, active FROM academic_years").fetchall()
    assert years == [("2026-07-01", "2026-07-28", 1)]  # no 9-day year, still the active one
