"""The shipped Prometheus configuration is valid and scrapes the service as the guide says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support.fixtures import require_component

CONFIG = Path(__file__).parents[2] / "deploy" / "prometheus" / "prometheus.yml"


def test_config_scrapes_backend_metrics() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "residency-scheduler")
    assert job["static_configs"][0]["targets"] == ["backend:8000"]
    assert job["metrics_path"] == "/metrics"


def test_promtool_accepts_the_config() -> None:
    require_component("prometheus")
    result = subprocess.run(
        ["promtool", "check", "config", str(CONFIG)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
