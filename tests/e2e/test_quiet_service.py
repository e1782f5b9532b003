"""A quiet, healthy service pages nobody: the real rules, evaluated by a real Prometheus against
the running app under light ordinary traffic, leave no alert pending or firing.

Windows and ``for`` durations are scaled down (5 minutes become 6 seconds), so every rule sees
full windows of this traffic within seconds. The host alerts are left out: they report the real
state of the machine running the tests (a busy CI host is not the service's fault).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from app.core.config import Settings
from app.core.metrics.alerts import export_prometheus_rules
from tests.support.alerting import prometheus_config_for_test
from tests.support.fixtures import require_component
from tests.support.live_app import live_app
from tests.support.servers import PrometheusServer, free_port, prometheus_server

TIME_SCALE = 0.02
HOST_ALERTS = {"ResidencyHostCpuBusy", "ResidencyHostMemoryLow", "ResidencyHostDiskLow"}
EVALUATIONS = 15  # rule evaluations (1 s apart) to watch after the first full window


def ordinary_traffic(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as client:
        while time.monotonic() < deadline:
            assert client.get("/health").status_code == 200
            assert client.get("/ready").status_code == 200
            assert client.get("/api/v1/people").status_code == 401  # a client without a token
            time.sleep(0.2)


def active_alerts(prometheus: PrometheusServer) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus.url}/api/v1/alerts", trust_env=False, timeout=5)
    alerts: list[dict[str, Any]] = response.json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] not in HOST_ALERTS]


def evaluated_rule_groups(prometheus: PrometheusServer) -> int:
    response = httpx.get(f"{prometheus.url}/api/v1/rules", trust_env=False, timeout=5)
    groups = response.json()["data"]["groups"]
    return sum(1 for group in groups if group.get("lastEvaluation", "").startswith("2"))


def test_a_quiet_healthy_service_raises_no_alert(tmp_path: Path) -> None:
    require_component("prometheus")
    from app.db.migrate import upgrade_database

    database_url = f"sqlite+aiosqlite:///{tmp_path}/quiet.db"
    asyncio.run(upgrade_database(database_url))
    rules = export_prometheus_rules(tmp_path / "alerts.yml", time_scale=TIME_SCALE)
    with live_app(Settings(database_url=database_url, environment="test")) as url:
        config = prometheus_config_for_test(
            app=url.removeprefix("http://"), alertmanager=f"127.0.0.1:{free_port()}"
        )
        with prometheus_server(config, {"alerts.yml": rules.read_text()}) as prometheus:
            prometheus.wait_for('up{job="residency-scheduler"} == 1', timeout=60)
            deadline = time.monotonic() + 60
            while evaluated_rule_groups(prometheus) < 2:  # recording and alerting groups
                assert time.monotonic() < deadline, "Prometheus never evaluated the rules"
                time.sleep(0.2)
            ordinary_traffic(url, seconds=8)  # longer than the scaled 5-minute windows
            for _ in range(EVALUATIONS):
                assert active_alerts(prometheus) == []
                ordinary_traffic(url, seconds=1)
