"""Static HTML for the dashboard preview: inline SVG line charts, one page per dashboard.

Small pure functions from :class:`PanelData` (a panel and its query outcomes) to HTML text.
Every panel element carries ``data-panel-id``, ``data-kind``, ``data-status``, ``data-series``
and ``data-points``, so a test (or a headless browser) can check that it drew data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

from app.core.metrics.preview_query import QueryOutcome, Series
from app.core.metrics.preview_units import format_value

Kind = Literal["prometheus", "loki", "other"]
Status = Literal["ok", "no-data", "error", "skipped"]
WIDTH, HEIGHT = 400.0, 150.0
COLORS = ("#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#fade2a")
LOKI_TEXT = "Loki panel: not rendered without Grafana"
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Threshold:
    value: float
    color: str


@dataclass
class PanelData:
    """One panel as the preview draws it; ``outcomes`` pairs a legend format with a result."""

    panel_id: int
    title: str
    type: str
    description: str = ""
    kind: Kind = "prometheus"
    unit: str | None = None
    thresholds: list[Threshold] = field(default_factory=list)
    grid: tuple[int, int, int, int] = (0, 0, 12, 8)  # x, y, w, h in Grafana's 24-column grid
    outcomes: list[tuple[str, QueryOutcome]] = field(default_factory=list)

    @property
    def series(self) -> list[tuple[str, Series]]:
        return [
            (legend(fmt, s.labels), s) for fmt, outcome in self.outcomes for s in outcome.series
        ]

    @property
    def errors(self) -> list[str]:
        return [f"{o.expr}: {o.error}" for _, o in self.outcomes if o.error]

    @property
    def points(self) -> int:
        return sum(o.points for _, o in self.outcomes)

    @property
    def status(self) -> Status:
        if self.kind != "prometheus":
            return "skipped"
        if self.errors:
            return "error"
        return "ok" if self.points else "no-data"


def legend(fmt: str, labels: dict[str, str]) -> str:
    """Grafana's ``legendFormat`` (``{{route}}``), else the label set, else ``value``."""
    if fmt and fmt != "__auto":
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), fmt)
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}" if rest else (name or "value")


def thresholds_of(field_config: dict[str, Any]) -> list[Threshold]:
    """Absolute threshold steps with a value (the base step has none)."""
    thresholds = (field_config.get("defaults") or {}).get("thresholds") or {}
    if thresholds.get("mode", "absolute") != "absolute":
        return []
    return [
        Threshold(float(step["value"]), str(step.get("color", "red")))
        for step in thresholds.get("steps") or []
        if isinstance(step, dict) and isinstance(step.get("value"), int | float)
    ]


def latest(series: Series) -> float | None:
    return series.points[-1][1] if series.points else None


def value_color(value: float | None, thresholds: Sequence[Threshold]) -> str:
    color = "#73bf69"
    for step in sorted(thresholds, key=lambda t: t.value):
        if value is not None and value >= step.value:
            color = step.color
    return color


def bounds(
    series: Sequence[Series], thresholds: Sequence[Threshold]
) -> tuple[float, float, float, float]:
    """(t0, t1, lo, hi) over every point and threshold; never an empty range."""
    times = [t for s in series for t, _ in s.points]
    values = [v for s in series for _, v in s.points] + [t.value for t in thresholds]
    t0, t1 = (min(times), max(times)) if times else (0.0, 1.0)
    lo, hi = (min([*values, 0.0]), max(values)) if values else (0.0, 1.0)
    if t1 <= t0:
        t0, t1 = t0 - 1, t1 + 1
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    return t0, t1, lo, hi + (hi - lo) * 0.05


def polyline_points(
    points: Sequence[tuple[float, float]], box: tuple[float, float, float, float]
) -> str:
    t0, t1, lo, hi = box
    coords = (
        (WIDTH * (t - t0) / (t1 - t0), HEIGHT - HEIGHT * (v - lo) / (hi - lo)) for t, v in points
    )
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


def svg_chart(series: Sequence[Series], thresholds: Sequence[Threshold] = ()) -> str:
    """An inline SVG: one polyline per series, a dashed line per threshold."""
    box = bounds(series, thresholds)
    _, _, lo, hi = box
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" preserveAspectRatio="none" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">'
    ]
    for step in thresholds:
        y = HEIGHT - HEIGHT * (step.value - lo) / (hi - lo)
        parts.append(
            f'<line class="threshold" x1="0" x2="{WIDTH:.0f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{escape(step.color)}" stroke-dasharray="6 4" '
            f'vector-effect="non-scaling-stroke" data-value="{step.value:g}"/>'
        )
    for index, item in enumerate(series):
        if not item.points:
            continue
        color = COLORS[index % len(COLORS)]
        drawn = item.points if len(item.points) > 1 else item.points * 2  # one point: a dash
        parts.append(
            f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" '
            f'vector-effect="non-scaling-stroke" data-points="{len(item.points)}" '
            f'points="{polyline_points(drawn, box)}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend_html(panel: PanelData) -> str:
    items = [
        f'<li><span class="swatch" style="background:{COLORS[i % len(COLORS)]}"></span>'
        f"{escape(name)} <b>{escape(format_value(latest(s), panel.unit))}</b></li>"
        for i, (name, s) in enumerate(panel.series)
    ]
    return f'<ul class="legend">{"".join(items)}</ul>'


def _axis_html(panel: PanelData) -> str:
    _, _, lo, hi = bounds([s for _, s in panel.series], panel.thresholds)
    return (
        f'<span class="axis top">{escape(format_value(hi, panel.unit))}</span>'
        f'<span class="axis bottom">{escape(format_value(lo, panel.unit))}</span>'
    )


def _body_html(panel: PanelData) -> str:
    if panel.kind == "loki":
        return f'<p class="note">{LOKI_TEXT}</p>'
    if panel.kind == "other":
        return '<p class="note">No Prometheus query: not rendered without Grafana</p>'
    if panel.errors:
        return "".join(f'<pre class="error">{escape(e)}</pre>' for e in panel.errors)
    if not panel.points:
        return '<p class="nodata">No data</p>'
    series = [s for _, s in panel.series]
    chart = f'<div class="plot">{_axis_html(panel)}{svg_chart(series, panel.thresholds)}</div>'
    if panel.type in ("stat", "gauge", "bargauge"):
        values = "".join(
            f'<div class="big" style="color:{value_color(latest(s), panel.thresholds)}">'
            f"{escape(format_value(latest(s), panel.unit))}</div>"
            for s in series[:4]
        )
        legend_html = _legend_html(panel) if len(series) > 1 else ""
        return f'<div class="bigs">{values}</div>{chart}{legend_html}'
    return f"{chart}{_legend_html(panel)}"


def panel_html(panel: PanelData) -> str:
    x, y, w, h = panel.grid
    series = [s for _, s in panel.series]
    values = [v for s in series if (v := latest(s)) is not None]
    shown = format_value(values[0], panel.unit) if values else "-"
    attributes = {
        "class": f"panel panel-{panel.type} status-{panel.status}",
        "data-panel-id": str(panel.panel_id),
        "data-panel-type": panel.type,
        "data-kind": panel.kind,
        "data-status": panel.status,
        "data-series": str(len(series)),
        "data-points": str(panel.points),
        "data-latest": shown,
        "title": panel.description,
        "style": f"grid-column:{x + 1} / span {w};grid-row:{y + 1} / span {h}",
    }
    attrs = " ".join(f'{k}="{escape(v)}"' for k, v in attributes.items())
    return (
        f"<section {attrs}><header><h2>{escape(panel.title)}</h2>"
        f'<span class="latest">{escape(shown)}</span></header>{_body_html(panel)}</section>'
    )


STYLE = """
body{margin:0;padding:12px;background:#111217;color:#ccccdc;font:13px/1.4 sans-serif}
a{color:#6e9fff}h1{font-size:20px;margin:4px 0 8px}.meta{color:#8e8e9e;margin-bottom:10px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);grid-auto-rows:30px;gap:6px}
.panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:6px 8px;
 overflow:hidden;display:flex;flex-direction:column;min-height:0}
.panel header{display:flex;justify-content:space-between;gap:8px}
.panel h2{font-size:13px;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.latest{color:#8e8e9e;white-space:nowrap}
.plot{position:relative;flex:1 1 auto;min-height:40px}
.chart{width:100%;height:100%;display:block;background:#1f2226}
.axis{position:absolute;left:2px;font-size:10px;color:#8e8e9e}.axis.top{top:0}.axis.bottom{bottom:0}
.legend{list-style:none;margin:4px 0 0;padding:0;font-size:11px;max-height:5.6em;
 overflow:hidden;flex:none}
.swatch{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.bigs{display:flex;gap:16px}.big{font-size:30px;font-weight:600}
.error{color:#f2495c;white-space:pre-wrap;font-size:11px;margin:4px 0}
.nodata,.note{color:#8e8e9e;margin:auto;text-align:center}
.status-error{border-color:#f2495c}
"""

DRAWN_CHECK = """
for (const p of document.querySelectorAll('.panel')) {
  const drawn = [...p.querySelectorAll('polyline.series')]
    .filter(l => l.points.numberOfItems > 0);
  p.setAttribute('data-drawn', String(drawn.length));
}
"""


def dashboard_html(title: str, uid: str, panels: Sequence[PanelData], meta: str) -> str:
    """The page of one dashboard; a script marks each panel with how many lines it drew."""
    cells = "".join(panel_html(p) for p in panels)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - preview</title><style>{STYLE}</style></head>"
        f'<body data-dashboard-uid="{escape(uid)}"><h1>{escape(title)}</h1>'
        f'<div class="meta">{escape(meta)} &middot; <a href="index.html">all dashboards</a></div>'
        f'<main class="grid">{cells}</main><script>{DRAWN_CHECK}</script></body></html>'
    )


def index_html(rows: Sequence[tuple[str, str, Sequence[PanelData]]], meta: str) -> str:
    """Links to every dashboard page (``uid``, ``title``, panels) with a count per status."""
    items = []
    for uid, title, panels in rows:
        counts: dict[str, int] = {}
        for panel in panels:
            counts[panel.status] = counts.get(panel.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        items.append(
            f'<li data-uid="{escape(uid)}"><a href="{escape(uid)}.html">{escape(title)}</a>'
            f" ({escape(summary or 'no panels')})</li>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Dashboards - preview</title><style>{STYLE}</style></head><body>"
        f'<h1>Dashboards</h1><div class="meta">{escape(meta)}</div>'
        f"<ul>{''.join(items)}</ul></body></html>"
    )
