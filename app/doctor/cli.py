"""``residency-scheduler doctor``: the Troubleshooting section of docs/observability.md, run."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated

import typer

from app.cli_support import settings_or_exit
from app.doctor.render import as_json, print_table
from app.doctor.result import passed
from app.doctor.run import Targets, run_checks

EXIT_FAILED = 1
_DEFAULTS = Targets()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def doctor(
    app_url: Annotated[
        str, typer.Option(help="The service, as this machine reaches it")
    ] = _DEFAULTS.app_url,
    prometheus_url: Annotated[str, typer.Option(help="Prometheus")] = _DEFAULTS.prometheus_url,
    alertmanager_url: Annotated[
        str, typer.Option(help="Alertmanager")
    ] = _DEFAULTS.alertmanager_url,
    job: Annotated[
        str, typer.Option(help="The service's scrape job in Prometheus")
    ] = _DEFAULTS.job,
    output: Annotated[Format, typer.Option("--format", help="table or json")] = Format.TABLE,
) -> None:
    """Check the observability stack end to end: /metrics (with METRICS_TOKEN), the database
    and its migrations, the Prometheus target and its last scrape error, the alert rules,
    Alertmanager, the OTLP/Jaeger endpoint, sampling and service name, the log file. Prints a
    concrete fix for every failure; exits 1 when anything fails."""
    settings = settings_or_exit()
    targets = Targets(app_url.rstrip("/"), prometheus_url, alertmanager_url, job)
    results = asyncio.run(run_checks(settings, targets))
    if output is Format.JSON:
        typer.echo(as_json(results))
    else:
        print_table(results)
    if not passed(results):
        raise typer.Exit(EXIT_FAILED)
