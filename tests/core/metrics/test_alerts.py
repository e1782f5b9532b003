"""Alert rules: valid for promtool, each one fires on its example and stays silent when healthy,
reads only series the app emits, and points at a runbook section that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from app.core.metrics import catalog
from app.core.metrics.alerts import export_prometheus_rules, get_all_alert_rules, rule_groups
from app.core.metrics.rules import AlertRule, RecordingRule
from app.tracing import TracingConfig
from app.tracing.setup import configure_process
from tests.support.api import build_app, client_for
from tests.support.metrics import names, scrape
from tests.support.servers import check_available, free_port

ROOT = Path(__file__).resolve().parents[3]
RUNBOOK = ROOT / "docs" / "runbooks" / "alerts.md"
COMMITTED = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERTS = [rule for rule in get_all_alert_rules() if isinstance(rule, AlertRule)]
RECORDED = {rule.name for rule in get_all_alert_rules() if isinstance(rule, RecordingRule)}
PROMETHEUS_SERIES = {"up"}  # made by Prometheus itself, not by the app
LONG_EXAMPLE = 12 * 60  # minutes


@pytest.fixture(scope="module")
def promtool() -> str:
    check_available("prometheus")
    return "promtool"


def run_promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_rules_pass_promtool_check(promtool: str, tmp_path: Path) -> None:
    export_prometheus_rules(tmp_path / "alerts.yml")
    result = run_promtool("check", "rules", "alerts.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _case(alert: AlertRule, inputs: dict[str, str], fires: bool) -> dict[str, Any]:
    example = alert.example
    expected = {"severity": alert.severity, **example.labels}
    return {
        "interval": f"{example.interval}m",
        "input_series": [{"series": s, "values": v} for s, v in inputs.items()],
        "alert_rule_test": [
            {
                "eval_time": f"{example.at}m",
                "alertname": alert.name,
                "exp_alerts": [{"exp_labels": expected}] if fires else [],
            }
        ],
    }


def _without_annotations(groups: dict[str, Any]) -> dict[str, Any]:
    """promtool compares annotations too; those are checked on their own below."""
    for group in groups["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return groups


def test_every_alert_fires_on_its_example_and_stays_silent_when_healthy(
    promtool: str, tmp_path: Path
) -> None:
    rules = _without_annotations(rule_groups(get_all_alert_rules()))
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    files = []
    # Examples spanning days are evaluated every 5 minutes instead of every minute (3x faster).
    for name, days, interval in (("minutes", False, "1m"), ("days", True, "5m")):
        chosen = [a for a in ALERTS if (a.example.at > LONG_EXAMPLE) == days]
        cases = [_case(a, a.example.fire, fires=True) for a in chosen]
        cases += [_case(a, a.example.calm, fires=False) for a in chosen]
        tests = {"rule_files": ["alerts.yml"], "evaluation_interval": interval, "tests": cases}
        (tmp_path / f"{name}_test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
        files.append(f"{name}_test.yml")
    result = run_promtool("test", "rules", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_annotations_render_the_value_and_the_runbook(promtool: str, tmp_path: Path) -> None:
    export_prometheus_rules(tmp_path / "alerts.yml", runbook_base="https://runbooks.example/a.md")
    violation = 'residency_acgme_current_violations{rule="one_day_off_in_7",severity="violation"}'
    expected = {
        "summary": "The active schedule breaks an ACGME rule",
        "description": "3 finding(s) of rule one_day_off_in_7 in the active schedule: residents "
        "are scheduled beyond the duty-hour limits.",
        "runbook_url": "https://runbooks.example/a.md#residencyacgmeviolationactive",
    }
    case = {
        "interval": "1m",
        "input_series": [{"series": violation, "values": "3x10"}],
        "alert_rule_test": [
            {
                "eval_time": "5m",
                "alertname": "ResidencyAcgmeViolationActive",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "rule": "one_day_off_in_7"},
                        "exp_annotations": expected,
                    }
                ],
            }
        ],
    }
    tests = {"rule_files": ["alerts.yml"], "tests": [case]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = run_promtool("test", "rules", "t.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_labels_and_annotations_are_complete() -> None:
    assert len({a.name for a in ALERTS}) == len(ALERTS)
    for alert in ALERTS:
        assert alert.severity in ("critical", "warning", "info")
        assert alert.summary and alert.description.endswith("."), alert.name
        if not alert.expr.startswith(("absent(", "up{")):  # their value is always 1 or 0
            assert "{{ $value" in alert.description, alert.name
        rendered = alert.render("docs/runbooks/alerts.md")
        assert rendered["annotations"]["runbook_url"].startswith("docs/runbooks/alerts.md#")


def _metric_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels))
    keywords = {"sum", "max", "min", "by", "and", "or", "unless", "rate", "increase", "offset"}
    keywords |= {"histogram_quantile", "absent", "le", "kind", "rule", "hook", "exporter"}
    keywords |= {"reason", "m", "h", "d", "s"}
    return {w for w in words if w not in keywords and not re.fullmatch(r"\d+[smhd]", w)}


def test_rules_read_only_catalog_series_and_recorded_ones() -> None:
    known = {spec.name for spec in catalog.CATALOG}
    known |= {s for spec in catalog.CATALOG if spec.kind == "histogram" for s in (spec.bucket,)}
    known |= {spec.count for spec in catalog.CATALOG if spec.kind == "histogram"}
    for rule in get_all_alert_rules():
        unknown = _metric_names(rule.expr) - known - RECORDED - PROMETHEUS_SERIES
        assert unknown == set(), (rule.name, unknown)


async def test_every_series_a_rule_reads_is_emitted_by_the_running_app(tmp_path: Path) -> None:
    """With the parts the rules watch switched on: the Pushgateway exporter and tracing (both
    pointed at a closed port: their failure counters are what the rules read)."""
    closed = f"127.0.0.1:{free_port()}"
    app = await build_app(
        tmp_path,
        pushgateway_url=closed,
        pushgateway_interval=3600,
        tracing_enabled=True,
        otel_exporter_otlp_endpoint=f"http://{closed}",
    )
    try:
        async with client_for(app) as client:
            await client.get("/health")
            emitted = names(await scrape(client))
    finally:
        configure_process(TracingConfig(enabled=False))  # tracing off again for later tests
    read = set().union(*(_metric_names(r.expr) for r in get_all_alert_rules()))
    assert read - RECORDED - PROMETHEUS_SERIES - emitted == set()


def test_every_runbook_link_has_its_section() -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    headings = re.findall(r"^## (\S+)$", text, flags=re.MULTILINE)
    anchors = {heading.lower() for heading in headings}
    assert {alert.runbook_anchor for alert in ALERTS} <= anchors
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        parts = re.findall(r"^\*\*(\w[\w ]*)\*\*", section, flags=re.MULTILINE)
        assert parts == ["Meaning", "Impact", "First checks", "Mitigation"], section[:40]


def test_the_committed_rule_file_is_up_to_date(tmp_path: Path) -> None:
    fresh = export_prometheus_rules(tmp_path / "alerts.yml")
    assert COMMITTED.read_text() == fresh.read_text(), (
        "deploy/prometheus/alerts.yml is stale: run "
        "`residency-scheduler alerts export deploy/prometheus/alerts.yml`"
    )


def test_windows_and_for_scale_for_fast_tests() -> None:
    fast = {r.name: r for r in get_all_alert_rules(time_scale=0.02) if isinstance(r, AlertRule)}
    assert "[6s]" in fast["ResidencyFailedSignInSpike"].expr
    assert fast["ResidencyTargetDown"].for_ == "2s"


def test_command_line_writes_either_format(tmp_path: Path) -> None:
    runner = CliRunner()
    plain = runner.invoke(cli, ["alerts", "export", str(tmp_path / "a.yml")])
    assert plain.exit_code == 0, plain.output
    assert yaml.safe_load((tmp_path / "a.yml").read_text())["groups"]
    operator = runner.invoke(
        cli, ["alerts", "export", str(tmp_path / "p.yml"), "--format", "prometheus-operator"]
    )
    assert operator.exit_code == 0, operator.output
    manifest = yaml.safe_load((tmp_path / "p.yml").read_text())
    assert manifest["kind"] == "PrometheusRule" and manifest["spec"]["groups"]
    bad = runner.invoke(cli, ["alerts", "export", str(tmp_path / "x.yml"), "--format", "json"])
    assert bad.exit_code == 2
    unwritable = runner.invoke(cli, ["alerts", "export", str(tmp_path / "no" / "such" / "a.yml")])
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output
