"""Grafana dashboards as code: Overview, Compliance, Security, Generation jobs, Telemetry health.

Built with grafana-foundation-sdk (Grafana's own typed builders, generated from its schemas), from
the metric catalog: every query is PromQL assembled from ``catalog`` specs with ``promql``'s
helpers, every threshold is a ``thresholds`` constant the alerts also use, and every panel about an
alerted condition links to that alert's section of ``docs/runbooks/alerts.md``.

``build_dashboards()`` returns the JSON models (what ``POST /api/dashboards/db`` takes under
``"dashboard"``); ``export_dashboards(directory)`` writes them with Grafana's provisioning files
(``deploy/grafana/`` is that output, committed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as builder
from grafana_foundation_sdk.builders import logs, loki, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from app.core.metrics import catalog
from app.core.metrics import thresholds as t
from app.core.metrics.alerts import get_all_alert_rules
from app.core.metrics.dashboard_panels import (
    PROMETHEUS_UID,
    DashboardSpec,
    PanelSpec,
    Query,
    dashboard_specs,
)
from app.core.metrics.rules import RUNBOOK, AlertRule

__all__ = [
    "DASHBOARD_UIDS",
    "build_dashboards",
    "export_dashboards",
]

LOKI_UID = "loki"
JAEGER_UID = "jaeger"
GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards"
PROMETHEUS_DS = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
LOKI_DS = model.DataSourceRef(type_val="loki", uid=LOKI_UID)
GRID_WIDTH = 24
DASHBOARD_UIDS = tuple(spec.uid for spec in dashboard_specs())


def _variables() -> list[builder.QueryVariable | builder.DatasourceVariable]:
    requests = catalog.HTTP_REQUESTS.name
    job = (
        builder.QueryVariable("job")
        .label("Job")
        .query(f"label_values({requests}, job)")
        .datasource(PROMETHEUS_DS)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .include_all(True)
        .all_value(".*")
        .multi(True)
        .current(model.VariableOption(selected=True, text=t.JOB, value=t.JOB))
    )
    instance = (
        builder.QueryVariable("instance")
        .label("Instance")
        .query(f'label_values({requests}{{job=~"$job"}}, instance)')
        .datasource(PROMETHEUS_DS)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .include_all(True)
        .all_value(".*")
        .multi(True)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )
    datasource = (
        builder.DatasourceVariable("datasource")
        .label("Prometheus")
        .type("prometheus")
        .current(model.VariableOption(selected=True, text="Prometheus", value=PROMETHEUS_UID))
    )
    return [datasource, job, instance]


def _thresholds(panel: PanelSpec) -> builder.ThresholdsConfig:
    low, high = ("red", "green") if panel.lower_is_bad else ("green", "red")
    steps = [model.Threshold(value=None, color=low)]
    for value in panel.thresholds:
        steps.append(model.Threshold(value=value, color=high))
    if len(panel.thresholds) > 1:  # warning then critical
        steps[1] = model.Threshold(value=panel.thresholds[0], color="orange")
    return builder.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)


def _target(query: Query, ref_id: str) -> prometheus.Dataquery | loki.Dataquery:
    if query.logql:
        return loki.Dataquery().expr(query.expr).ref_id(ref_id).datasource(LOKI_DS)
    target = (
        prometheus.Dataquery()
        .expr(query.expr)
        .ref_id(ref_id)
        .datasource(PROMETHEUS_DS)
        .legend_format(query.legend)
    )
    if query.instant:
        target = target.instant()
    if query.exemplar:
        target = target.exemplar(True)
    return target


def _runbook_links(
    panel: PanelSpec, alerts: dict[str, AlertRule], runbook_base: str
) -> list[builder.DashboardLink]:
    links = []
    for name in panel.alerts:
        if name not in alerts:
            raise ValueError(f"panel {panel.title!r}: no alert named {name!r}")
        links.append(
            builder.DashboardLink(f"Runbook: {name}")
            .url(f"{runbook_base}#{alerts[name].runbook_anchor}")
            .target_blank(True)
        )
    return links


def _panel(
    panel: PanelSpec,
    panel_id: int,
    grid: model.GridPos,
    alerts: dict[str, AlertRule],
    runbook_base: str,
) -> Any:
    kind: Any
    if panel.kind == "stat":
        kind = (
            stat.Panel()
            .reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]))
            .graph_mode(common.BigValueGraphMode.NONE)
        )
    elif panel.kind == "logs":
        kind = logs.Panel().show_time(True).wrap_log_message(True).enable_log_details(True)
    else:
        kind = (
            timeseries.Panel()
            .fill_opacity(10)
            .show_points(_points(panel))
            .tooltip(common_builder.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI))
            .legend(
                common_builder.VizLegendOptions()
                .show_legend(True)
                .display_mode(common.LegendDisplayMode.LIST)
                .placement(common.LegendPlacement.BOTTOM)
            )
        )
    built = (
        kind.id(panel_id)
        .title(panel.title)
        .description(panel.description)
        .grid_pos(grid)
        .datasource(LOKI_DS if panel.kind == "logs" else PROMETHEUS_DS)
    )
    if panel.kind != "logs":
        built = built.unit(panel.unit).thresholds(_thresholds(panel))
        if panel.kind == "timeseries" and panel.thresholds:
            built = built.thresholds_style(_threshold_lines())
    links = _runbook_links(panel, alerts, runbook_base)
    if links:
        built = built.links(links)
    refs = "ABCDEFGHIJ"
    for query, ref_id in zip(panel.queries, refs, strict=False):
        built = built.with_target(_target(query, ref_id))
    return built


def _points(panel: PanelSpec) -> common.VisibilityMode:
    return common.VisibilityMode.AUTO if panel.sparse else common.VisibilityMode.NEVER


def _threshold_lines() -> common_builder.GraphThresholdsStyleConfig:
    # (sic: the SDK's enum is spelled GraphTresholdsStyleMode)
    return common_builder.GraphThresholdsStyleConfig().mode(common.GraphTresholdsStyleMode.LINE)


def _layout(panels: tuple[PanelSpec, ...]) -> list[model.GridPos]:
    """Left to right, wrapping at Grafana's 24 columns; a row is as tall as its tallest panel."""
    grid, x, y, row_height = [], 0, 0, 0
    for panel in panels:
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        grid.append(model.GridPos(h=panel.height, w=panel.width, x=x, y=y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return grid


def _to_json(value: object) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, cls=JSONEncoder))
    return result


def _dashboard(spec: DashboardSpec, alerts: dict[str, AlertRule], runbook_base: str) -> Any:
    dashboard = (
        builder.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(["residency-scheduler", *spec.tags])
        .editable()
        .time("now-3h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
    )
    for variable in _variables():
        dashboard = dashboard.with_variable(variable)
    if spec.trace_variable:
        dashboard = dashboard.with_variable(
            builder.TextBoxVariable("trace_id")
            .label("Trace id")
            .description("Show only the log lines of this trace (32 hex digits); empty: all.")
        )
    for panel_id, (panel, grid) in enumerate(
        zip(spec.panels, _layout(spec.panels), strict=True), start=1
    ):
        dashboard = dashboard.with_panel(_panel(panel, panel_id, grid, alerts, runbook_base))
    return dashboard.build()


def build_dashboards(runbook_base: str = RUNBOOK) -> list[dict[str, Any]]:
    """Every dashboard's JSON model (no ``id``), in a stable order with stable uids."""
    alerts = {rule.name: rule for rule in get_all_alert_rules() if isinstance(rule, AlertRule)}
    models = []
    for spec in dashboard_specs():
        body = _to_json(_dashboard(spec, alerts, runbook_base))
        body.pop("id", None)
        models.append(body)
    return models


def datasources_provisioning() -> dict[str, Any]:
    """Grafana's datasource provisioning: Prometheus (exemplars open the trace in Jaeger), Loki
    (a trace id in a log line opens it in Jaeger) and Jaeger."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": PROMETHEUS_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": "http://prometheus:9090",
                "isDefault": True,
                "editable": False,
                "jsonData": {
                    "httpMethod": "POST",
                    "timeInterval": "15s",
                    "exemplarTraceIdDestinations": [
                        {"name": "trace_id", "datasourceUid": JAEGER_UID}
                    ],
                },
            },
            {
                "name": "Loki",
                "uid": LOKI_UID,
                "type": "loki",
                "access": "proxy",
                "url": "http://loki:3100",
                "editable": False,
                "jsonData": {
                    "maxLines": 1000,
                    "derivedFields": [
                        {
                            "name": "TraceID",
                            "matcherType": "regex",
                            "matcherRegex": '"trace_id":"([0-9a-f]{32})"',
                            "datasourceUid": JAEGER_UID,
                            # `$$` is a literal `$`: Grafana expands variables in these files.
                            "url": "$${__value.raw}",
                            "urlDisplayLabel": "Open trace in Jaeger",
                        }
                    ],
                },
            },
            {
                "name": "Jaeger",
                "uid": JAEGER_UID,
                "type": "jaeger",
                "access": "proxy",
                "url": "http://jaeger:16686",
                "editable": False,
                "jsonData": {
                    "tracesToLogsV2": {
                        "datasourceUid": LOKI_UID,
                        "filterByTraceID": True,
                        "customQuery": False,
                    }
                },
            },
        ],
    }


def dashboards_provisioning() -> dict[str, Any]:
    """A file provider that loads every JSON file under Grafana's dashboards directory."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "residency-scheduler",
                "orgId": 1,
                "folder": "Residency Scheduler",
                "folderUid": "residency-scheduler",
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": GRAFANA_DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


_HEADER = (
    "# Generated by `residency-scheduler dashboards export`; "
    "edit app/core/metrics/dashboard_model.py.\n"
)


def export_dashboards(directory: Path) -> list[Path]:
    """Write ``dashboards/<uid>.json`` and Grafana's provisioning YAML under ``directory``;
    returns the paths written, in a stable order."""
    directory = Path(directory)
    written: list[Path] = []
    boards = directory / "dashboards"
    boards.mkdir(parents=True, exist_ok=True)
    for body in build_dashboards():
        path = boards / f"{body['uid']}.json"
        path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    for kind, document in (
        ("datasources", datasources_provisioning()),
        ("dashboards", dashboards_provisioning()),
    ):
        folder = directory / "provisioning" / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{kind}.yml"
        text = yaml.safe_dump(document, sort_keys=False, width=1_000, allow_unicode=True)
        path.write_text(_HEADER + text, encoding="utf-8")
        written.append(path)
    return written
