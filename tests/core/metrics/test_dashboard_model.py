"""The dashboards as code: stable uids, every panel described with a unit and a query, thresholds
equal to the alert constants, runbook links to existing sections, and the committed
``deploy/grafana`` output is what ``export_dashboards`` writes today."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core.metrics import thresholds as t
from app.core.metrics.catalog import CATALOG
from app.core.metrics.dashboard_model import build_dashboards, export_dashboards

ROOT = Path(__file__).resolve().parents[3]
RUNBOOK = ROOT / "docs" / "runbooks" / "alerts.md"
DEPLOYED = ROOT / "deploy" / "grafana"
UIDS = [
    "residency-overview",
    "residency-compliance",
    "residency-security",
    "residency-generation",
    "residency-telemetry",
]
DASHBOARDS = build_dashboards()
PANELS = [(d["uid"], p) for d in DASHBOARDS for p in d["panels"]]


def _id(item: tuple[str, dict[str, Any]]) -> str:
    return f"{item[0]}:{item[1]['title']}"


def _prometheus_targets(panel: dict[str, Any]) -> list[dict[str, Any]]:
    return [x for x in panel["targets"] if x["datasource"]["type"] == "prometheus"]


def test_uids_are_stable_and_unique() -> None:
    assert [d["uid"] for d in DASHBOARDS] == UIDS
    assert all("id" not in d for d in DASHBOARDS)
    assert len({d["title"] for d in DASHBOARDS}) == len(DASHBOARDS)


def test_building_twice_gives_the_same_models() -> None:
    assert build_dashboards() == DASHBOARDS


def test_every_dashboard_has_the_template_variables() -> None:
    for dashboard in DASHBOARDS:
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for name in ("job", "instance"):
            assert variables[name]["type"] == "query"
            assert variables[name]["query"].startswith("label_values(")
        assert "residency-scheduler" in dashboard["tags"]
    overview = DASHBOARDS[0]
    assert any(v["name"] == "trace_id" for v in overview["templating"]["list"])


@pytest.mark.parametrize("item", PANELS, ids=_id)
def test_every_panel_has_description_unit_and_target(item: tuple[str, dict[str, Any]]) -> None:
    _, panel = item
    assert panel["description"].endswith(".")
    assert panel["targets"]
    for target in panel["targets"]:
        assert target["expr"] and target["refId"]
        assert target["datasource"]["type"] in ("prometheus", "loki")
    if panel["type"] != "logs":
        assert panel["fieldConfig"]["defaults"]["unit"]
        assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()


def test_panel_ids_are_unique_per_dashboard_and_panels_do_not_overlap() -> None:
    for dashboard in DASHBOARDS:
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(set(ids)) == len(ids)
        cells: set[tuple[int, int]] = set()
        for panel in dashboard["panels"]:
            g = panel["gridPos"]
            assert g["x"] + g["w"] <= 24
            mine = {
                (x, y)
                for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])
            }
            assert not cells & mine, panel["title"]
            cells |= mine


def test_app_queries_are_filtered_by_job_and_instance() -> None:
    names = sorted((s.name for s in CATALOG), key=len, reverse=True)
    for uid, panel in PANELS:
        for target in _prometheus_targets(panel):
            expr = target["expr"]
            selectors = re.findall(r"\b([a-zA-Z_:][\w:]*)\{([^}]*)\}", expr)
            read = [n for n, _ in selectors if any(n.startswith(m) for m in names)]
            assert read or "scrape_duration" in expr or "up{" in expr, (uid, expr)
            for _, labels in selectors:
                assert 'job=~"$job"' in labels and 'instance=~"$instance"' in labels, (uid, expr)


def _steps(title: str, uid: str | None = None) -> list[float | None]:
    for dashboard_uid, panel in PANELS:
        if panel["title"] == title and (uid is None or uid == dashboard_uid):
            return [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    raise AssertionError(f"no panel {title!r}")


def test_thresholds_equal_the_alert_constants() -> None:
    assert _steps("Response time (p50, p95, p99)") == [
        None,
        t.LATENCY_P95_SECONDS,
        t.LATENCY_P99_SECONDS,
    ]
    assert _steps("Error rate") == [None, t.ERROR_RATIO]
    assert _steps("Cache hit rate") == [None, t.CACHE_HIT_RATIO]
    assert _steps("Database connections busy") == [None, t.DB_POOL_BUSY_RATIO]
    assert _steps("CPU") == [None, t.HOST_CPU_BUSY_RATIO]
    assert _steps("Memory available") == [None, t.HOST_MEMORY_AVAILABLE_RATIO]
    assert _steps("Disk space free") == [None, t.HOST_DISK_FREE_RATIO]
    assert _steps("Compliance score") == [None, t.COMPLIANCE_SCORE]
    assert _steps("Schedule generation time (p50, p95)") == [None, t.GENERATION_P95_SECONDS]
    assert _steps("Failed sign-ins (5 m)") == [None, t.FAILED_SIGN_INS_PER_5M]
    assert _steps("Rate-limit violations (5 m)") == [None, t.RATE_LIMITED_PER_5M]


def test_lower_is_bad_panels_are_red_below_the_threshold() -> None:
    for uid, panel in PANELS:
        if panel["title"] in ("Cache hit rate", "Compliance score", "Disk space free"):
            steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert [s["color"] for s in steps] == ["red", "green"], uid


def _anchors() -> set[str]:
    headings = re.findall(r"^## (\S+)\s*$", RUNBOOK.read_text(), flags=re.MULTILINE)
    return {h.lower() for h in headings}


def test_runbook_links_point_at_existing_sections() -> None:
    anchors = _anchors()
    linked = 0
    for _, panel in PANELS:
        for link in panel.get("links", []):
            path, _, anchor = link["url"].partition("#")
            assert path == "docs/runbooks/alerts.md"
            assert anchor in anchors, link["url"]
            linked += 1
    assert linked >= 20


def test_runbook_base_is_configurable() -> None:
    urls = [
        link["url"]
        for d in build_dashboards(runbook_base="https://example.org/runbooks.md")
        for p in d["panels"]
        for link in p.get("links", [])
    ]
    assert urls and all(u.startswith("https://example.org/runbooks.md#") for u in urls)


def test_latency_panel_has_exemplars_and_logs_panel_filters_by_trace_id() -> None:
    overview = DASHBOARDS[0]
    latency = next(p for p in overview["panels"] if p["title"].startswith("Response time"))
    assert all(target["exemplar"] for target in latency["targets"])
    logs = next(p for p in overview["panels"] if p["type"] == "logs")
    (target,) = logs["targets"]
    assert target["datasource"] == {"type": "loki", "uid": "loki"}
    assert '|= "$trace_id"' in target["expr"]


def test_export_writes_dashboards_and_provisioning(tmp_path: Path) -> None:
    written = export_dashboards(tmp_path)
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == sorted(
        [f"dashboards/{uid}.json" for uid in UIDS]
        + ["provisioning/datasources/datasources.yml", "provisioning/dashboards/dashboards.yml"]
    )
    text = (tmp_path / "dashboards" / "residency-overview.json").read_text()
    assert text.endswith("}\n") and '\n  "description"' in text
    sources = yaml.safe_load((tmp_path / "provisioning/datasources/datasources.yml").read_text())
    by_uid = {s["uid"]: s for s in sources["datasources"]}
    assert by_uid["prometheus"]["url"] == "http://prometheus:9090"
    assert by_uid["loki"]["url"] == "http://loki:3100"
    assert by_uid["jaeger"]["url"] == "http://jaeger:16686"
    exemplar = by_uid["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert exemplar == [{"name": "trace_id", "datasourceUid": "jaeger"}]
    (derived,) = by_uid["loki"]["jsonData"]["derivedFields"]
    assert derived["datasourceUid"] == "jaeger"
    providers = yaml.safe_load((tmp_path / "provisioning/dashboards/dashboards.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_export_is_deterministic(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in export_dashboards(tmp_path / "a")]
    second = [p.read_bytes() for p in export_dashboards(tmp_path / "b")]
    assert first == second


def test_committed_deploy_grafana_is_fresh(tmp_path: Path) -> None:
    written = export_dashboards(tmp_path)
    stale = [
        str(p.relative_to(tmp_path))
        for p in written
        if not (DEPLOYED / p.relative_to(tmp_path)).exists()
        or not filecmp.cmp(p, DEPLOYED / p.relative_to(tmp_path), shallow=False)
    ]
    extra = {str(p.relative_to(DEPLOYED)) for p in DEPLOYED.rglob("*") if p.is_file()} - {
        str(p.relative_to(tmp_path)) for p in written
    }
    assert stale == [] and extra == set(), (
        "deploy/grafana is stale: run `python -c 'from pathlib import Path; from "
        "app.core.metrics.dashboard_model import export_dashboards; "
        'export_dashboards(Path("deploy/grafana"))\'`'
    )
