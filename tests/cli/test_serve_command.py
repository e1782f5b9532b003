"""``serve`` refuses bad observability settings with one line, before any server starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN: must be at least 16 characters"),
        ({"PUSHGATEWAY_URL": "ftp://gateway:9091"}, "PUSHGATEWAY_URL: must be HOST:PORT"),
        (
            {"TRACING_ENABLED": "true", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
            "OTEL_TRACES_SAMPLER_ARG: Input should be less than or equal to 1",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "udp://collector:4317"},
            "OTEL_EXPORTER_OTLP_ENDPOINT: 'udp://collector:4317' has unsupported scheme",
        ),
        ({"JAEGER_ENDPOINT": "jaeger:notaport"}, "JAEGER_ENDPOINT:"),
        ({"OTEL_BSP_SCHEDULE_DELAY": "-1", "TRACING_ENABLED": "true"}, "OTEL_BSP_SCHEDULE_DELAY"),
    ],
)
@pytest.mark.parametrize("workers", ["1", "4"])
def test_bad_observability_settings_stop_serve_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str, workers: str
) -> None:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "ENVIRONMENT": "test", "LOG_FILE": ""}
    result = CliRunner().invoke(cli, ["serve", "--workers", workers], env={**base, **env})
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert message in line
    assert "Traceback" not in result.output


def test_an_unwritable_log_file_stops_serve(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "ENVIRONMENT": "test",
        "LOG_FILE": str(blocker / "app.log"),
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    assert "error: LOG_FILE: cannot write" in result.output


# --- forwarded headers: trusted by the app (TRUSTED_PROXIES), never by the server itself -------

SECRET = "0123456789abcdefghijklmnopqrstuvwxyz"


def test_serve_runs_uvicorn_without_its_own_proxy_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "ENVIRONMENT": "test",
        "LOG_FILE": "",
        "JWT_SECRET": SECRET,  # nothing generated and handed down to this test process
        "HOST": "127.0.0.1",  # restored by the runner after ``serve`` hands them down
        "PORT": "8000",
        "FORWARDED_ALLOW_IPS": "*",  # uvicorn's and gunicorn's own variable: not consulted
    }
    assert CliRunner().invoke(cli, ["migrate"], env=env).exit_code == 0
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    (kwargs,) = calls
    assert kwargs["proxy_headers"] is False
    assert "forwarded_allow_ips" not in kwargs


def test_gunicorn_and_its_workers_trust_no_forwarded_headers() -> None:
    from gunicorn.app.base import Application  # type: ignore[import-untyped]

    from app import gunicorn_conf

    class Loaded(Application):  # type: ignore[misc]  # gunicorn ships no types
        def init(self, parser: object, opts: object, args: object) -> None:
            return None

        def load_config(self) -> None:
            self.load_config_from_module_name_or_filename("python:app.gunicorn_conf")

        def load(self) -> None:  # pragma: no cover  (never serves)
            raise AssertionError

    assert Loaded().cfg.forwarded_allow_ips == []
    assert gunicorn_conf.Worker.CONFIG_KWARGS["proxy_headers"] is False


@pytest.mark.parametrize("workers", ["1", "4"])
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXIES": "localhost"}, "TRUSTED_PROXIES: 'localhost' is not an IP address"),
        ({"TRUSTED_HOSTS": "https://x.org"}, "TRUSTED_HOSTS: 'https://x.org' is not a host"),
        (
            {"ENVIRONMENT": "production", "JWT_SECRET": SECRET},
            "TRUSTED_HOSTS: required when ENVIRONMENT=production",
        ),
    ],
)
def test_bad_proxy_or_host_settings_stop_serve_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str, workers: str
) -> None:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "ENVIRONMENT": "test", "LOG_FILE": ""}
    result = CliRunner().invoke(cli, ["serve", "--workers", workers], env={**base, **env})
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert message in line
    assert "Traceback" not in result.output


# --- the schema: serving an unmigrated database would answer 500 on every API call ------------


def test_serve_refuses_an_unmigrated_database_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: pytest.fail("server started"))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "ENVIRONMENT": "test",
        "LOG_FILE": "",
        "JWT_SECRET": SECRET,
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert "not migrated" in line
    assert "run `residency-scheduler migrate` first" in line


def test_version_flag_prints_the_version() -> None:
    from app import __version__

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"residency-scheduler {__version__}"
