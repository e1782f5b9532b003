"""The gunicorn hooks that keep multiprocess metrics exact (the live run is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from app import gunicorn_conf
from app.core import environment


def test_cleaning_removes_only_metric_files(tmp_path: Path) -> None:
    directory = tmp_path / "prom"
    gunicorn_conf.clean_multiprocess_directory(str(directory))  # creates it
    (directory / "counter_1.db").write_bytes(b"x")
    (directory / "gauge_livesum_1.db").write_bytes(b"x")
    (directory / "notes.txt").write_text("operator's file")
    gunicorn_conf.clean_multiprocess_directory(str(directory))
    assert [p.name for p in directory.iterdir()] == ["notes.txt"]


def test_child_exit_drops_the_dead_workers_live_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(environment.MULTIPROC_DIR, str(tmp_path))
    for name in ("gauge_livesum_41.db", "gauge_livesum_42.db", "counter_42.db"):
        (tmp_path / name).write_bytes(b"")
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=42))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_42.db", "gauge_livesum_41.db"]


@pytest.mark.parametrize("owned", [True, False])
def test_on_exit_removes_only_a_directory_serve_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owned: bool
) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    monkeypatch.setenv(environment.MULTIPROC_DIR, str(directory))
    monkeypatch.setenv(environment.OWNED_DIR, "1" if owned else "0")
    gunicorn_conf.on_exit(None)
    assert directory.exists() is not owned


def test_gunicorn_runs_the_factory_with_this_config() -> None:
    argv = gunicorn_conf.gunicorn_argv("0.0.0.0", 8000, 4)
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--config") + 1] == "python:app.gunicorn_conf"
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"
    assert argv[argv.index("--workers") + 1] == "4"
    assert argv[-1] == "app.main:create_app()"
    assert gunicorn_conf.gunicorn_argv("::1", 8000, 2)[argv.index("--bind") + 1] == "[::1]:8000"


def test_workers_write_no_access_log_of_their_own() -> None:
    assert gunicorn_conf.accesslog is None
    assert gunicorn_conf.Worker.CONFIG_KWARGS["access_log"] is False
    assert gunicorn_conf.worker_class == "app.gunicorn_conf.Worker"


def test_gunicorn_logs_through_the_app_pipeline_and_opens_no_control_socket() -> None:
    from gunicorn.config import Config

    config = Config()
    for name in ("logger_class", "control_socket_disable", "worker_class", "accesslog"):
        config.set(name, getattr(gunicorn_conf, name))
    assert config.logger_class is gunicorn_conf.JsonLogger  # gunicorn resolves our class
    assert config.control_socket_disable is True


def test_serve_refuses_reload_with_several_workers(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(
        cli,
        ["serve", "--workers", "2", "--reload"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"},
    )
    assert result.exit_code == 2
    assert "--reload works with one worker only" in result.output
