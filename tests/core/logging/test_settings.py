"""Logging settings: bad values are refused at start, naming the setting."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings, SettingsError, load_settings
from app.core.logging.config import MEGABYTE, LoggingPlan
from app.core.logging.sinks import write_errors
from app.main import create_app


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_LEVEL", "verbose"),
        ("LOG_LEVEL", "5"),
        ("LOG_FORMAT", "xml"),
        ("LOG_MAX_FILE_SIZE", "0"),
        ("LOG_MAX_FILE_SIZE", "-5"),
        ("LOG_MAX_FILE_SIZE", "100MB"),
        ("LOG_MAX_FILE_SIZE", "20000"),
        ("LOG_BACKUP_COUNT", "-1"),
        ("LOG_BACKUP_COUNT", "many"),
        ("LOG_BACKUP_COUNT", "5000"),
    ],
)
def test_bad_values_are_rejected_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_guide_s_values_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "LOG_MAX_FILE_SIZE": "100",
        "LOG_BACKUP_COUNT": "7",
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "console",
        "LOG_FILE": "",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    plan = LoggingPlan.from_settings(settings)
    assert (plan.max_bytes, plan.backup_count) == (100 * MEGABYTE, 7)
    assert settings.effective_log_level == "INFO" and plan.format == "console"
    assert plan.log_file is None  # empty means unset: stdout only


@pytest.mark.parametrize(
    ("environment", "level"), [("development", "DEBUG"), ("production", "INFO"), ("test", "INFO")]
)
def test_default_level_depends_on_environment(environment: str, level: str) -> None:
    settings = Settings.model_construct(environment=environment, log_level=None)
    assert settings.effective_log_level == level


def test_unwritable_log_file_fails_at_start_naming_log_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where the directory should be: not even root can write
    with pytest.raises(SettingsError, match=r"^LOG_FILE: cannot write .*a-file/app\.log"):
        create_app(make_settings(log_file=str(blocker / "app.log")))


def test_missing_log_directory_is_created(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    log_file = tmp_path / "deep" / "er" / "app.log"
    create_app(make_settings(log_file=str(log_file)))
    assert log_file.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
async def test_a_full_log_disk_never_fails_a_request(
    make_settings: Callable[..., Settings], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "full.log"
    log_file.symlink_to("/dev/full")  # opens fine, every write fails with ENOSPC
    app = create_app(make_settings(log_file=str(log_file)))
    name = f"LOG_FILE {log_file}"
    before = write_errors.counts.get(name, 0)
    kinds: list[str] = []
    write_errors.listeners.append(kinds.append)  # what a metrics counter would subscribe
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            statuses = [(await client.get("/health")).status_code for _ in range(3)]
    finally:
        write_errors.listeners.remove(kinds.append)
        await app.state.services.database.dispose()
    assert statuses == [200, 200, 200]
    assert write_errors.counts[name] == before + 3  # one access line each, counted
    assert kinds == ["file"] * 3  # a bounded label value, never the path
    captured = capfd.readouterr()
    assert captured.out.count('"logger":"app.access"') == 3  # stdout still has them
    assert captured.err.count("cannot write log lines") <= 1  # warned once, not per line


async def test_rotation_settings_from_the_environment_reach_the_log_file(
    monkeypatch: pytest.MonkeyPatch, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    log_file = tmp_path / "rotating" / "app.log"
    database_url = make_settings().database_url
    for name, value in {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_FILE": str(log_file),
        "LOG_MAX_FILE_SIZE": "1",  # MB
        "LOG_BACKUP_COUNT": "2",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(load_settings())  # what `serve` does: settings from the environment only

    @app.get("/tests/bulky")
    async def bulky() -> dict[str, bool]:
        from app.core.logging import get_logger

        parts = {f"part{i}": "x" * 8000 for i in range(18)}  # values are cut at 8 KiB each
        get_logger("tests.bulky").info("bulky", **parts)
        return {"ok": True}

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(30):  # about 4.5 MB of lines
                assert (await client.get("/tests/bulky")).status_code == 200
    finally:
        await app.state.services.database.dispose()
    files = sorted(p.name for p in log_file.parent.iterdir() if not p.name.startswith("."))
    assert files == ["app.log", "app.log.1", "app.log.2"]  # LOG_BACKUP_COUNT backups, no more
    for path in log_file.parent.glob("app.log*"):
        assert 0 < path.stat().st_size <= MEGABYTE  # LOG_MAX_FILE_SIZE
        lines = path.read_text().splitlines()
        assert all(json.loads(line)["service"] == "residency-scheduler" for line in lines)
