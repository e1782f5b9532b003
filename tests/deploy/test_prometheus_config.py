"""The shipped Prometheus configuration is valid, scrapes the service as the guide says, loads
the exported alert rules and sends alerts to Alertmanager."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tests.support.alerting import run_tool

CONFIG = Path(__file__).parents[2] / "deploy" / "prometheus" / "prometheus.yml"


def test_config_scrapes_backend_metrics() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "residency-scheduler")
    assert job["static_configs"][0]["targets"] == ["backend:8000"]
    assert job["metrics_path"] == "/metrics"


def test_config_loads_the_alert_rules_and_alerts_alertmanager() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    assert config["rule_files"] == ["alerts.yml"]  # next to prometheus.yml
    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"] == [{"targets": ["alertmanager:9093"]}]


def test_promtool_accepts_the_config() -> None:
    # rule_files: the exported rules shipped next to it (tests/core/metrics/test_alerts.py
    # keeps them fresh); promtool checks them too.
    result = run_tool("promtool", "check", "config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: [1-9]\d* rules found", result.stdout), result.stdout


def test_promtool_rejects_the_config_without_the_rules(tmp_path: Path) -> None:
    """A missing rule file is an error for promtool (Prometheus itself would run without
    alerts), so a deployment that forgot to copy or export it fails its check."""
    shutil.copyfile(CONFIG, tmp_path / "prometheus.yml")
    result = run_tool("promtool", "check", "config", tmp_path / "prometheus.yml")
    assert result.returncode != 0
    assert "alerts.yml" in result.stdout + result.stderr
