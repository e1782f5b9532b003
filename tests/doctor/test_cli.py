"""``residency-scheduler doctor`` against a live stack: all green, then each item broken in turn.

Every broken item fails with its fix, the other checks keep their verdict, and the command
exits 1; ``--format json`` is what is parsed throughout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.db.migrate import upgrade_database
from app.doctor import run_checks
from tests.doctor.conftest import DEAD_JOB, WRONG_TOKEN_JOB, Stack
from tests.support.servers import free_port

runner = CliRunner()

ENVIRONMENT = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SDK_DISABLED",
    "TRACING_ENABLED",
    "JAEGER_ENDPOINT",
    "OTEL_SERVICE_NAME",
)


def doctor(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, *args: str, **environment: str
) -> tuple[int, dict[str, Any], str]:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in stack.environment(**environment).items():
        monkeypatch.setenv(name, value)
    targets = stack.targets
    options = {
        "--app-url": targets.app_url,
        "--prometheus-url": targets.prometheus_url,
        "--alertmanager-url": targets.alertmanager_url,
    }
    for option, value in zip(args[::2], args[1::2], strict=True):
        options[option] = value
    argv = ["doctor", "--format", "json", *[part for pair in options.items() for part in pair]]
    result = runner.invoke(cli, argv)
    report = json.loads(result.stdout)
    return result.exit_code, report, result.stdout


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in report["checks"] if c["name"] == name]
    return found


async def test_everything_up_is_all_green(stack: Stack) -> None:
    results = await run_checks(stack.settings(), stack.targets)
    assert {r.name: r.status for r in results} == dict.fromkeys(
        [
            "metrics endpoint",
            "database",
            "prometheus target",
            "alert rules",
            "alertmanager",
            "trace endpoint",
            "tracing",
            "log file",
        ],
        "ok",
    ), results
    assert all(r.fix == "" for r in results)


def test_the_command_exits_0_and_reports_json(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report, _ = doctor(stack, monkeypatch)
    assert code == 0 and report["ok"] is True
    assert set(statuses(report).values()) == {"ok"}
    assert "service.name=residency-scheduler, sample rate 1" in check(report, "tracing")["detail"]
    assert "up" in check(report, "prometheus target")["detail"]


def _older_database(stack: Stack) -> str:
    url = f"sqlite+aiosqlite:///{stack.tmp}/older-{free_port()}.db"
    asyncio.run(upgrade_database(url, "5653f06cc1b0"))  # the first revision only
    return url


def _log_file_under_a_file(stack: Stack) -> str:
    blocker = stack.tmp / "not-a-directory"
    blocker.write_text("")
    return str(blocker / "app.log")


def _dead() -> str:
    return f"http://127.0.0.1:{free_port()}"


# name, failing check, fix text, what breaks it: (command-line options, environment)
BREAKAGES: list[tuple[str, str, str, Callable[[Stack], tuple[list[str], dict[str, str]]]]] = [
    (
        "app down",
        "metrics endpoint",
        "residency-scheduler serve",
        lambda s: (["--app-url", _dead()], {}),
    ),
    (
        "wrong token",
        "metrics endpoint",
        "METRICS_TOKEN",
        lambda s: ([], {"METRICS_TOKEN": "a-wrong-metrics-token-000"}),
    ),
    (
        "database not migrated",
        "database",
        "residency-scheduler migrate",
        lambda s: ([], {"DATABASE_URL": _older_database(s)}),
    ),
    (
        "database missing",
        "database",
        "residency-scheduler migrate",
        lambda s: ([], {"DATABASE_URL": f"sqlite:///{s.tmp}/nowhere/none.db"}),
    ),
    (
        "Prometheus down",
        "prometheus target",
        "start Prometheus",
        lambda s: (["--prometheus-url", _dead()], {}),
    ),
    (
        "target down",
        "prometheus target",
        "Prometheus cannot scrape",
        lambda s: (["--job", DEAD_JOB], {}),
    ),
    (
        "Prometheus has the wrong token",
        "prometheus target",
        "METRICS_TOKEN",
        lambda s: (["--job", WRONG_TOKEN_JOB], {}),
    ),
    (
        "no target for the job",
        "prometheus target",
        "add the scrape job",
        lambda s: (["--job", "not-a-job"], {}),
    ),
    (
        "Alertmanager down",
        "alertmanager",
        "start Alertmanager",
        lambda s: (["--alertmanager-url", _dead()], {}),
    ),
    (
        "OTLP endpoint unreachable",
        "trace endpoint",
        "OpenTelemetry Collector",
        lambda s: ([], {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{_dead()}/v1/traces"}),
    ),
    (
        "no trace is ever sampled",
        "tracing",
        "OTEL_TRACES_SAMPLER",
        lambda s: ([], {"OTEL_TRACES_SAMPLER": "always_off"}),
    ),
    (
        "log file unwritable",
        "log file",
        "LOG_FILE",
        lambda s: ([], {"LOG_FILE": _log_file_under_a_file(s)}),
    ),
]


@pytest.mark.parametrize(
    ("failing", "fix", "breaks"),
    [case[1:] for case in BREAKAGES],
    ids=[case[0] for case in BREAKAGES],
)
def test_each_broken_item_fails_with_its_fix(
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    fix: str,
    breaks: Callable[[Stack], tuple[list[str], dict[str, str]]],
) -> None:
    options, environment = breaks(stack)
    code, report, _ = doctor(stack, monkeypatch, *options, **environment)
    assert code == 1 and report["ok"] is False
    found = check(report, failing)
    assert found["status"] == "fail" and fix in found["fix"], found
    assert found["detail"]
    others = {name: status for name, status in statuses(report).items() if name != failing}
    assert "fail" not in others.values(), report


def test_the_dead_target_reports_prometheus_last_scrape_error(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, report, _ = doctor(stack, monkeypatch, "--job", WRONG_TOKEN_JOB)
    assert "401" in check(report, "prometheus target")["detail"]
    _, report, _ = doctor(stack, monkeypatch, "--prometheus-url", _dead())
    assert check(report, "alert rules")["status"] == "skip"


def test_an_unset_endpoint_is_skipped_not_failed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, report, _ = doctor(stack, monkeypatch, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="")
    assert code == 0
    assert check(report, "trace endpoint")["status"] == "skip"
    assert check(report, "tracing")["status"] == "skip"


def test_the_table_names_each_failure_and_its_fix(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in stack.environment().items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(
        cli,
        [
            *("doctor", "--app-url", _dead()),
            *("--prometheus-url", stack.targets.prometheus_url),
            *("--alertmanager-url", stack.targets.alertmanager_url),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1
    assert "metrics endpoint" in result.stdout and "residency-scheduler serve" in result.stdout
    assert "1 check(s) failed" in result.stdout


def test_the_documented_commands_run_as_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docs/observability.md's Troubleshooting commands: accepted as written (exit 0 or 1 by
    what is running on this machine, never 2), the JSON one parses."""
    import re
    import shlex

    docs = Path(__file__).resolve().parents[2] / "docs" / "observability.md"
    text = docs.read_text(encoding="utf-8")
    start = text.index("\n## Troubleshooting\n")
    section = text[start : text.index("\n### ", start)]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    commands = [shlex.split(line, comments=True) for line in block.replace("\\\n", "").splitlines()]
    programs = [Path(command[0]).name for command in commands]
    assert programs == ["residency-scheduler"] * 2
    assert [command[1] for command in commands] == ["doctor"] * 2
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/none.db")
    for command in commands:
        result = runner.invoke(cli, command[1:])
        assert result.exit_code in (0, 1), result.output
        if "json" in command:
            assert {"ok", "checks"} <= set(json.loads(result.stdout))
