"""Every check of the guide's Troubleshooting section, in its order, against one settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.core.config import Settings
from app.core.metrics.thresholds import JOB
from app.doctor import endpoints, local
from app.doctor.result import CheckResult

HTTP_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the running parts are, as seen from the machine doctor runs on."""

    app_url: str = "http://127.0.0.1:8000"
    prometheus_url: str = "http://127.0.0.1:9090"
    alertmanager_url: str = "http://127.0.0.1:9093"
    job: str = JOB


async def run_checks(settings: Settings, targets: Targets) -> list[CheckResult]:
    prometheus = targets.prometheus_url.rstrip("/")
    alertmanager = targets.alertmanager_url.rstrip("/")
    # trust_env=False: a proxy from the environment must not answer for the parts checked.
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=False) as client:
        return [
            await endpoints.check_metrics(client, targets.app_url, settings.metrics_token),
            await local.check_database(settings),
            await endpoints.check_target(client, prometheus, targets.job),
            await endpoints.check_rules(client, prometheus),
            await endpoints.check_alertmanager(client, alertmanager, prometheus),
            local.check_otlp(settings),
            local.check_sampling(settings),
            local.check_log_file(settings),
        ]
