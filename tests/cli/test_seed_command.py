from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./data/demo.db")
    monkeypatch.setenv("ENVIRONMENT", "development")
    return tmp_path


def test_seed_is_generated_clean_and_safe_to_rerun(workdir: Path) -> None:
    first = runner.invoke(cli, ["seed", "--demo", "small"])
    assert first.exit_code == 0, first.output
    assert "24 residents created" in first.stdout
    credentials = workdir / "data" / "demo-credentials-demo.txt"  # named after data/demo.db
    assert "username: admin" in credentials.read_text()
    assert oct(os.stat(credentials).st_mode & 0o777) == "0o600"

    again = runner.invoke(cli, ["seed", "--demo", "small"])
    assert again.exit_code == 0 and "already seeded" in again.stdout
    assert "demo sign-in" not in again.stdout  # the admin exists; no new password

    exported = runner.invoke(cli, ["export", "--out", "year.json"])
    assert exported.exit_code == 0, exported.output
    checked = runner.invoke(cli, ["validate", "year.json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["valid"] is True


def test_seeding_a_second_database_keeps_the_first_ones_password(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import DEFAULT_DATABASE_URL
    from app.schedules.seed import credentials_path

    assert credentials_path(DEFAULT_DATABASE_URL, DEFAULT_DATABASE_URL) == Path(
        "data/demo-credentials.txt"
    )
    assert runner.invoke(cli, ["seed", "--demo", "small"]).exit_code == 0
    first = (workdir / "data" / "demo-credentials-demo.txt").read_text()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./data/other.db")
    assert runner.invoke(cli, ["seed", "--demo", "small"]).exit_code == 0
    assert (workdir / "data" / "demo-credentials-demo.txt").read_text() == first
    assert "username: admin" in (workdir / "data" / "demo-credentials-other.txt").read_text()


def test_another_demo_size_on_a_seeded_database_says_what_to_do(workdir: Path) -> None:
    assert runner.invoke(cli, ["seed", "--demo", "small"]).exit_code == 0
    result = runner.invoke(cli, ["seed", "--demo", "medium"])
    assert result.exit_code == 0
    assert "already seeded with another demo (24 residents; medium has 36)" in result.stdout
    assert "--demo medium --force" in result.stdout


def test_seed_rejects_an_unknown_size(workdir: Path) -> None:
    result = runner.invoke(cli, ["seed", "--demo", "gigantic"])
    assert result.exit_code == 2 and "--demo" in result.stderr


def test_seed_refused_by_stored_data_exits_2_naming_the_item(workdir: Path) -> None:
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with sqlite3.connect(workdir / "data" / "demo.db") as db:  # faculty holding a demo code
        db.execute(
            "INSERT INTO people (code, kind, active, created_at) "
            "VALUES ('pgy2-01', 'faculty', 1, '2026-01-01 00:00:00')"
        )
    result = runner.invoke(cli, ["seed", "--demo", "small"])
    assert result.exit_code == 2, result.output
    assert "'pgy2-01' is a faculty member" in result.stderr
    assert "Traceback" not in result.output
