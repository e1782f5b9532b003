"""The ``generate`` command: exit 0 written, 1 infeasible/timeout, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.compliance import validate_schedule
from app.generation import demo_program
from app.generation.cli import generate
from app.schedules.file_format import load_schedule_file
from tests.generation.test_home_call import home_call_data

app = typer.Typer()
app.command("generate")(generate)
app.command("noop")(lambda: None)  # two commands, so "generate" is addressed by name
runner = CliRunner()


def test_demo_small_writes_a_valid_schedule(tmp_path: Path) -> None:
    out = tmp_path / "year.json"
    result = runner.invoke(app, ["generate", "--demo", "small", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    schedule = load_schedule_file(out)
    assert validate_schedule(schedule).valid
    assert len(schedule.residents) == 24
    assert "optimal" in result.stderr
    progress = result.stderr.splitlines()[0]  # the last progress line stays on screen
    for part in ("done", "solutions", "objective", "bound", "elapsed"):
        assert part in progress, progress


def test_program_file(tmp_path: Path) -> None:
    program = tmp_path / "program.json"
    program.write_text(json.dumps(demo_program("small").model_dump(mode="json")))
    out = tmp_path / "year.json"
    result = runner.invoke(app, ["generate", "--program", str(program), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_program_file_with_home_call(tmp_path: Path) -> None:
    program = tmp_path / "surgery.json"
    program.write_text(json.dumps(home_call_data()))
    out = tmp_path / "year.json"
    result = runner.invoke(app, ["generate", "--program", str(program), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    homes = [s for s in written["shifts"] if s["kind"] == "home_call"]
    assert homes and all(s["worked_minutes"] == 0 for s in homes)
    assert validate_schedule(load_schedule_file(out), strict=True).valid


def test_needs_exactly_one_source(tmp_path: Path) -> None:
    out = str(tmp_path / "x.json")
    neither = runner.invoke(app, ["generate", "--out", out])
    assert neither.exit_code == 2
    assert "error: give exactly one of --demo SIZE and --program FILE" in neither.stderr
    both = runner.invoke(app, ["generate", "--demo", "small", "--program", "p.json", "--out", out])
    assert both.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_out_is_required() -> None:
    assert runner.invoke(app, ["generate", "--demo", "small"]).exit_code == 2


def test_bad_program_file_is_exit_2_without_traceback(tmp_path: Path) -> None:
    program = tmp_path / "program.json"
    data = demo_program("small").model_dump(mode="json")
    data["coverage"][0]["rotation"] = "ER"
    program.write_text(json.dumps(data))
    result = runner.invoke(app, ["generate", "--program", str(program), "--out", "o.json"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: coverage[0].rotation: unknown rotation 'ER'"
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["generate", "--program", "nope.json", "--out", "o.json"])
    assert missing.exit_code == 2 and missing.stderr.startswith("error: nope.json: cannot read")


def test_infeasible_program_is_exit_1_with_explanation(tmp_path: Path) -> None:
    program = tmp_path / "program.json"
    data = demo_program("small").model_dump(mode="json")
    data["staffing"]["WARDS"]["interns"] = 9
    program.write_text(json.dumps(data))
    out = tmp_path / "year.json"
    result = runner.invoke(app, ["generate", "--program", str(program), "--out", str(out)])
    assert result.exit_code == 1
    assert "infeasible: WARDS needs 9 interns per block but there are only 8 interns" in (
        result.stderr
    )
    assert not out.exists()


def test_time_limit_zero_is_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "year.json"
    args = ["generate", "--demo", "small", "--time-limit", "0", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "timeout: the time limit (0 s) ran out while" in result.stderr
    assert "allow more time" in " ".join(result.stderr.split())  # rich may wrap the line
    assert "solutions 0" in result.stderr  # the progress line: solutions, objective, elapsed
    assert not out.exists()


@pytest.mark.parametrize("where", ["missing-folder/year.json", "."])
def test_an_unwritable_out_is_refused_before_solving(
    tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.generation import generator

    monkeypatch.setattr(
        generator, "generate_schedule", lambda *a, **k: pytest.fail("solved before checking")
    )
    out = tmp_path / where
    result = runner.invoke(app, ["generate", "--demo", "small", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"--out {out}: cannot write" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing-folder").exists()
