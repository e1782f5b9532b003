"""Preview the Grafana dashboards without a Grafana: every panel query run against a live
Prometheus, drawn to static HTML (``DIR/<uid>.html`` plus ``DIR/index.html``) and, with headless
Chromium, to PNG.

``render_previews(dashboards, querier, out)`` writes the pages and returns a
:class:`PreviewReport`; ``screenshot(page, png)`` runs Chromium on one page. The dashboards are
Grafana JSON models (``build_dashboards()``): panels with ``gridPos``, ``fieldConfig`` and
``targets`` whose ``expr`` uses ``$job``, ``$instance`` and ``$__rate_interval``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.core.metrics.preview_query import (
    QueryOutcome,
    choose_step,
    substitute,
    variables,
)
from app.core.metrics.preview_render import (
    Kind,
    PanelData,
    dashboard_html,
    index_html,
    thresholds_of,
)

CHROMIUM = "/usr/bin/chromium"
WINDOW = "1600,2400"
SCREENSHOT_TIMEOUT = 120.0


class Querier(Protocol):
    def query_range(self, expr: str, start: float, end: float, step: int) -> QueryOutcome: ...


@dataclass
class DashboardPreview:
    uid: str
    title: str
    page: Path
    panels: list[PanelData]
    png: Path | None = None


@dataclass
class PreviewReport:
    dashboards: list[DashboardPreview] = field(default_factory=list)
    index: Path | None = None

    @property
    def failed_panels(self) -> list[tuple[str, PanelData]]:
        return [(d.uid, p) for d in self.dashboards for p in d.panels if p.status == "error"]


def iter_panels(panels: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every panel, rows left out but the panels of collapsed rows included."""
    for panel in panels:
        if panel.get("type") == "row":
            yield from iter_panels(panel.get("panels") or [])
        else:
            yield panel


def panel_kind(panel: Mapping[str, Any]) -> Kind:
    targets = panel.get("targets") or []
    types = {
        str((t.get("datasource") or panel.get("datasource") or {}).get("type", "prometheus"))
        for t in targets
    }
    if panel.get("type") == "logs" or "loki" in types:
        return "loki"
    if not targets or not any(t.get("expr") for t in targets) or types - {"prometheus"}:
        return "other"
    return "prometheus"


def panel_data(
    panel: Mapping[str, Any],
    querier: Querier,
    values: Mapping[str, str],
    window: tuple[float, float, int],
) -> PanelData:
    """``panel`` with each Prometheus target run as a range query over ``window``."""
    grid = panel.get("gridPos") or {}
    field_config = panel.get("fieldConfig") or {}
    data = PanelData(
        panel_id=int(panel.get("id", 0)),
        title=str(panel.get("title", "")),
        type=str(panel.get("type", "timeseries")),
        description=str(panel.get("description", "")),
        kind=panel_kind(panel),
        unit=(field_config.get("defaults") or {}).get("unit"),
        thresholds=thresholds_of(field_config),
        grid=(
            int(grid.get("x", 0)),
            int(grid.get("y", 0)),
            int(grid.get("w", 12)),
            int(grid.get("h", 8)),
        ),
    )
    if data.kind != "prometheus":
        return data
    start, end, step = window
    for target in panel.get("targets") or []:
        if target.get("hide") or not target.get("expr"):
            continue
        expr = substitute(str(target["expr"]), values)
        data.outcomes.append(
            (str(target.get("legendFormat", "")), querier.query_range(expr, start, end, step))
        )
    return data


def render_previews(
    dashboards: Sequence[Mapping[str, Any]],
    querier: Querier,
    out: Path,
    *,
    job: str = "residency-scheduler",
    minutes: int = 15,
    now: float | None = None,
) -> PreviewReport:
    """Write ``out/<uid>.html`` per dashboard and ``out/index.html``; errors live in the report."""
    end = time.time() if now is None else now
    step = choose_step(minutes)
    window = (end - minutes * 60, end, step)
    values = variables(job, step)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(end))
    meta = f"job={job}, last {minutes} min, step {step}s, rendered {stamp} without Grafana"
    out.mkdir(parents=True, exist_ok=True)
    report = PreviewReport()
    for dashboard in dashboards:
        uid = str(dashboard["uid"])
        title = str(dashboard.get("title", uid))
        panels = [
            panel_data(p, querier, values, window)
            for p in iter_panels(dashboard.get("panels") or [])
        ]
        page = out / f"{uid}.html"
        page.write_text(dashboard_html(title, uid, panels, meta), encoding="utf-8")
        report.dashboards.append(DashboardPreview(uid, title, page, panels))
    report.index = out / "index.html"
    rows = [(d.uid, d.title, d.panels) for d in report.dashboards]
    report.index.write_text(index_html(rows, meta), encoding="utf-8")
    return report


def find_chromium(binary: str = CHROMIUM) -> str | None:
    """``binary`` if it is executable, else ``chromium`` on PATH, else ``None``."""
    if Path(binary).is_file():
        return binary
    return shutil.which("chromium")


def chromium_args(binary: str, profile: Path) -> list[str]:
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]


def screenshot(page: Path, png: Path, binary: str, *, window: str = WINDOW) -> None:
    """Chromium's ``--screenshot`` of ``page``; :class:`RuntimeError` when none is written."""
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="preview-chromium-") as profile:
        args = chromium_args(binary, Path(profile))
        args += [f"--screenshot={png.resolve()}", f"--window-size={window}"]
        try:
            done = subprocess.run(
                [*args, page.resolve().as_uri()],
                capture_output=True,
                text=True,
                timeout=SCREENSHOT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chromium took over {SCREENSHOT_TIMEOUT:.0f}s on {page}") from None
    if not png.is_file():
        tail = "\n".join(done.stderr.splitlines()[-5:])
        raise RuntimeError(
            f"chromium wrote no screenshot of {page} (exit {done.returncode}): {tail}"
        )


def dump_dom(page: Path, binary: str) -> str:
    """The page's DOM after Chromium loaded it and ran its scripts (``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="preview-chromium-") as profile:
        done = subprocess.run(
            [*chromium_args(binary, Path(profile)), "--dump-dom", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=SCREENSHOT_TIMEOUT,
            check=False,
        )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"chromium --dump-dom {page} failed (exit {done.returncode})")
    return done.stdout
