"""``residency-scheduler alerts export PATH``: the alert rules as a file Prometheus loads."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail

alerts = typer.Typer(help="Alert and recording rules for Prometheus.", no_args_is_help=True)


class Format(StrEnum):
    PROMETHEUS = "prometheus"
    OPERATOR = "prometheus-operator"


@alerts.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="The rule file to write (e.g. alerts.yml)")],
    format: Annotated[
        Format,
        typer.Option(help="prometheus: a rule file; prometheus-operator: a PrometheusRule"),
    ] = Format.PROMETHEUS,
    runbook_base: Annotated[
        str,
        typer.Option(help="URL of docs/runbooks/alerts.md, where runbook_url annotations point"),
    ] = "docs/runbooks/alerts.md",
) -> None:
    """Write every alert and recording rule, built from the metric catalog."""
    from app.core.metrics.alerts import export_prometheus_rules

    try:
        export_prometheus_rules(path, format=format.value, runbook_base=runbook_base)
    except OSError as exc:
        raise fail(f"{path}: cannot write ({exc.strerror})") from None
    typer.echo(f"wrote {path}")
