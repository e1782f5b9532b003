"""``residency-scheduler dashboards preview --prometheus URL --out DIR``: every dashboard drawn
from live Prometheus data to static HTML (and PNG with headless Chromium), no Grafana needed.

Exit 0 when every Prometheus panel ran (a panel with no data is not a failure), 1 when a panel
query failed (after writing every page) or Prometheus cannot be reached, 2 on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_support import fail

EXIT_FAILED = 1


def load_dashboards() -> Sequence[Mapping[str, Any]]:
    """The dashboard models, ``app.core.metrics.dashboard_model.build_dashboards()``."""
    from app.core.metrics.dashboard_model import build_dashboards

    return build_dashboards()


def preview(
    prometheus: Annotated[
        str, typer.Option("--prometheus", help="Prometheus base URL, e.g. http://localhost:9090")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for <uid>.html, index.html, PNGs")],
    job: Annotated[str, typer.Option(help="Value of the $job variable")] = "residency-scheduler",
    minutes: Annotated[int, typer.Option(help="Time range: the last N minutes")] = 15,
    png: Annotated[
        bool, typer.Option(help="Also screenshot each page with headless Chromium")
    ] = True,
) -> None:
    """Render each dashboard's panels from live Prometheus data to static HTML (and PNG)."""
    from app.core.metrics.preview import find_chromium, render_previews, screenshot
    from app.core.metrics.preview_query import (
        BadPrometheusUrl,
        PrometheusUnreachable,
        RangeQuerier,
    )

    if minutes <= 0:
        raise fail(f"--minutes must be positive, not {minutes}")
    try:
        querier = RangeQuerier(prometheus)
    except BadPrometheusUrl as exc:
        raise fail(str(exc)) from None
    try:
        querier.check_reachable()
        try:
            report = render_previews(load_dashboards(), querier, out, job=job, minutes=minutes)
        except OSError as exc:
            raise fail(f"{out}: cannot write ({exc.strerror})", EXIT_FAILED) from None
    except PrometheusUnreachable as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    finally:
        querier.close()

    failed = False
    for dashboard in report.dashboards:
        statuses = [p.status for p in dashboard.panels]
        typer.echo(
            f"wrote {dashboard.page} ({statuses.count('ok')} with data, "
            f"{statuses.count('no-data')} no data, {statuses.count('error')} errors, "
            f"{statuses.count('skipped')} not rendered)"
        )
    for uid, panel in report.failed_panels:
        failed = True
        for error in panel.errors:
            typer.echo(f"error: {uid} panel {panel.panel_id} ({panel.title}): {error}", err=True)
    typer.echo(f"wrote {report.index}")

    if png:
        binary = find_chromium()
        if binary is None:
            typer.echo(
                "warning: chromium not found; no PNG written (apt-get install chromium)", err=True
            )
        else:
            for dashboard in report.dashboards:
                target = dashboard.page.with_suffix(".png")
                try:
                    screenshot(dashboard.page, target, binary)
                except RuntimeError as exc:
                    failed = True
                    typer.echo(f"error: {exc}", err=True)
                    continue
                dashboard.png = target
                typer.echo(f"wrote {target}")
    if failed:
        raise typer.Exit(EXIT_FAILED)
