"""A whole observability stack for ``doctor`` to check, shared by a module's tests.

The app under uvicorn (SQLite, METRICS_TOKEN, LOG_FILE), Debian's Prometheus scraping it with
the shipped config (the exported rules loaded, alerting to the Alertmanager below) plus two
broken jobs -- a dead target and a wrong token -- and Debian's Alertmanager; a local OTLP/HTTP
receiver stands in for the collector.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.doctor import Targets
from tests.support.alerting import prometheus_config_for_test
from tests.support.fixtures import require_component
from tests.support.live_app import live_app
from tests.support.otlp import OtlpHttpReceiver, otlp_http_receiver
from tests.support.servers import alertmanager_server, free_port, prometheus_server

TOKEN = "doctor-metrics-token-0123456789"
DEAD_JOB = "doctor-dead-target"
WRONG_TOKEN_JOB = "doctor-wrong-token"
ALERTMANAGER_CONFIG = """
route:
  receiver: blackhole
receivers:
  - name: blackhole
"""


@dataclass(frozen=True)
class Stack:
    tmp: Path
    app_settings: dict[str, Any]  # what the running app was built with
    otlp: OtlpHttpReceiver
    targets: Targets

    def settings(self, **overrides: Any) -> Settings:
        """What doctor reads: the app's settings, the OTLP receiver, and ``overrides``."""
        values = {
            **self.app_settings,
            "otel_exporter_otlp_traces_endpoint": self.otlp.endpoint,
            **overrides,
        }
        return Settings(**values)

    def environment(self, **overrides: str) -> dict[str, str]:
        """The same as environment variables, for the command line."""
        settings = self.settings()
        values = {
            "ENVIRONMENT": "test",
            "DATABASE_URL": settings.database_url,
            "METRICS_TOKEN": str(settings.metrics_token),
            "LOG_FILE": str(settings.log_file),
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": self.otlp.endpoint,
        }
        return {**values, **overrides}

    def targets_with(self, **changes: str) -> Targets:
        return replace(self.targets, **changes)


def _prometheus_config(app: str, alertmanager: str) -> str:
    config = yaml.safe_load(prometheus_config_for_test(app=app, alertmanager=alertmanager))
    (job,) = config["scrape_configs"]
    job["authorization"] = {"credentials": TOKEN}
    config["scrape_configs"] += [
        {"job_name": DEAD_JOB, "static_configs": [{"targets": [f"127.0.0.1:{free_port()}"]}]},
        {
            "job_name": WRONG_TOKEN_JOB,
            "authorization": {"credentials": "not-the-metrics-token-0000"},
            "static_configs": [{"targets": [app]}],
        },
    ]
    return yaml.safe_dump(config, sort_keys=False)


def _wait(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_component("prometheus")
    require_component("alertmanager")
    from app.core.metrics.alerts import export_prometheus_rules

    tmp = tmp_path_factory.mktemp("doctor")
    database_url = f"sqlite+aiosqlite:///{tmp}/doctor.db"
    asyncio.run(upgrade_database(database_url))
    app_settings: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "metrics_token": TOKEN,
        "log_file": str(tmp / "logs" / "app.log"),
    }
    rules = tmp / "alerts.yml"
    export_prometheus_rules(str(rules))
    with ExitStack() as stack:
        otlp = stack.enter_context(otlp_http_receiver())
        app_url = stack.enter_context(live_app(Settings(**app_settings)))
        alertmanager = stack.enter_context(alertmanager_server(ALERTMANAGER_CONFIG))
        app_address = app_url.removeprefix("http://")
        config = _prometheus_config(app_address, f"127.0.0.1:{alertmanager.port}")
        prometheus = stack.enter_context(
            prometheus_server(config, {"alerts.yml": rules.read_text()})
        )
        for job, value in (("residency-scheduler", 1), (DEAD_JOB, 0), (WRONG_TOKEN_JOB, 0)):
            prometheus.wait_for(f'up{{job="{job}"}} == {value}', timeout=60)

        def alertmanager_known() -> bool:
            answer = httpx.get(f"{prometheus.url}/api/v1/alertmanagers", trust_env=False)
            return bool(answer.json()["data"]["activeAlertmanagers"])

        _wait(alertmanager_known, "Prometheus to find Alertmanager")
        yield Stack(
            tmp=tmp,
            app_settings=app_settings,
            otlp=otlp,
            targets=Targets(app_url, prometheus.url, alertmanager.url),
        )
