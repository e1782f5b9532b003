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
