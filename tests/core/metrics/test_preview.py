"""The dashboard preview's pure parts: variables, step, units, SVG, pages from a fake
``query_range``; and the command's exit codes against a canned Prometheus on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import typer
from typer.testing import CliRunner

from app.core.metrics import catalog, preview_cli
from app.core.metrics.preview import iter_panels, panel_kind, render_previews
from app.core.metrics.preview_cli import preview
from app.core.metrics.preview_query import (
    BadPrometheusUrl,
    QueryOutcome,
    Series,
    check_prometheus_url,
    choose_step,
    parse_range_result,
    rate_interval,
    substitute,
    variables,
)
from app.core.metrics.preview_render import (
    LOKI_TEXT,
    PanelData,
    Threshold,
    legend,
    svg_chart,
    thresholds_of,
)
from app.core.metrics.preview_units import format_value
from tests.support.servers import free_port

NOW = 1_800_000_000.0
REQUESTS = catalog.HTTP_REQUESTS.name
DURATION = catalog.HTTP_REQUEST_DURATION.bucket
USERS = catalog.ACTIVE_USERS.name
PROMETHEUS_DS = {"type": "prometheus", "uid": "${datasource}"}
LOKI_DS = {"type": "loki", "uid": "loki"}


def _panel(
    panel_id: int,
    title: str,
    kind: str,
    exprs: list[str],
    *,
    unit: str = "short",
    x: int = 0,
    y: int = 0,
    datasource: dict[str, str] = PROMETHEUS_DS,
    steps: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "title": title,
        "type": kind,
        "description": f"What {title} shows",
        "gridPos": {"x": x, "y": y, "w": 12, "h": 8},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {
                    "mode": "absolute",
                    "steps": steps or [{"color": "green", "value": None}],
                },
            }
        },
        "targets": [
            {"expr": expr, "refId": chr(65 + i), "datasource": datasource}
            for i, expr in enumerate(exprs)
        ],
    }


def sample_dashboards() -> list[dict[str, Any]]:
    """Two dashboards of the shape ``build_dashboards()`` returns (until it lands)."""
    selector = '{job=~"$job", instance=~"$instance"}'
    overview = {
        "uid": "rs-overview",
        "title": "Residency Scheduler - Overview",
        "templating": {
            "list": [{"name": "datasource"}, {"name": "job"}, {"name": "instance"}],
        },
        "panels": [
            _panel(
                1,
                "Request rate",
                "timeseries",
                [f"sum by (job) (rate({REQUESTS}{selector}[$__rate_interval]))"],
                unit="reqps",
            ),
            _panel(
                2,
                "Response time p95",
                "timeseries",
                [
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate({DURATION}{selector}[$__rate_interval])))"
                ],
                unit="s",
                x=12,
                steps=[{"color": "green", "value": None}, {"color": "red", "value": 1.0}],
            ),
            _panel(3, "Active users", "stat", [f"sum({USERS}{selector})"], y=8),
            _panel(
                4,
                "Logs of a trace",
                "logs",
                ['{job="$job"} |= "$trace_id"'],
                x=12,
                y=8,
                datasource=LOKI_DS,
            ),
        ],
    }
    extra = {
        "uid": "rs-telemetry",
        "title": "Residency Scheduler - Telemetry",
        "panels": [
            {
                "type": "row",
                "title": "Scrape",
                "panels": [_panel(10, "Up", "stat", ['up{job=~"$job"}'])],
            }
        ],
    }
    return [overview, extra]


# -- variables, step, URL --------------------------------------------------------------------


def test_substitute_replaces_every_variable_syntax_and_keeps_unknown_ones() -> None:
    values = {"job": "residency-scheduler", "instance": ".*", "__rate_interval": "1m"}
    values["__interval"] = "8s"
    expr = 'rate(x{job=~"$job",instance=~"${instance}"}[$__rate_interval]) + [[job]] ${job:regex}'
    assert substitute(expr, values) == (
        'rate(x{job=~"residency-scheduler",instance=~".*"}[1m]) '
        "+ residency-scheduler residency-scheduler"
    )
    assert substitute("avg_over_time(y[$__interval])", values) == "avg_over_time(y[8s])"
    assert substitute('z{a="$unknown"}', values) == 'z{a="$unknown"}'


def test_variables_are_the_job_any_instance_and_grafana_intervals() -> None:
    assert variables("rs", 8) == {
        "job": "rs",
        "instance": ".*",
        "__rate_interval": "1m",
        "__interval": "8s",
        "__interval_ms": "8000",
    }


@pytest.mark.parametrize(("minutes", "step"), [(15, 8), (1, 1), (60, 30), (0.5, 1), (1440, 720)])
def test_the_step_gives_about_120_points(minutes: float, step: int) -> None:
    assert choose_step(minutes) == step
    assert minutes * 60 / step <= 120


def test_a_step_needs_a_positive_range() -> None:
    with pytest.raises(ValueError, match="positive"):
        choose_step(0)


def test_the_rate_interval_follows_grafana() -> None:
    assert rate_interval(8) == "1m"  # 4 scrape intervals of 15 s
    assert rate_interval(60) == "75s"  # step + scrape interval
    assert rate_interval(1, scrape_interval=1) == "4s"


@pytest.mark.parametrize("url", ["localhost:9090", "ftp://host", "http://", "http://h:99999", ""])
def test_a_bad_prometheus_url_is_named(url: str) -> None:
    with pytest.raises(BadPrometheusUrl, match=re.escape(repr(url))):
        check_prometheus_url(url)


def test_a_good_prometheus_url_loses_its_trailing_slash() -> None:
    assert check_prometheus_url("http://127.0.0.1:9090/") == "http://127.0.0.1:9090"


# -- units -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.25, "s", "250 ms"),
        (0.0000042, "s", "4.2 µs"),
        (2.5, "s", "2.5 s"),
        (90, "s", "1.5 min"),
        (7200, "s", "2 hour"),
        (0, "s", "0 s"),
        (512, "bytes", "512 B"),
        (1536, "bytes", "1.5 KiB"),
        (3 * 1024**3, "bytes", "3 GiB"),
        (0.973, "percentunit", "97.3%"),
        (1, "percentunit", "100%"),
        (12.5, "reqps", "12.5 req/s"),
        (1500, "reqps", "1.5 K req/s"),
        (42, "short", "42"),
        (1234567, "short", "1.23 M"),
        (0.5, None, "0.5"),
        (3, "widgets", "3 widgets"),
        (None, "s", "-"),
        (float("nan"), "s", "-"),
    ],
)
def test_values_are_formatted_in_their_unit(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


# -- query results, SVG ----------------------------------------------------------------------

MATRIX = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [
            {
                "metric": {"__name__": "a", "route": "/health"},
                "values": [[NOW - 20, "1"], [NOW - 10, "NaN"], [NOW, "3"]],
            },
            {"metric": {"route": "/people"}, "values": [[NOW - 20, "2"], [NOW, "0.5"]]},
        ],
    },
}


def test_a_range_result_keeps_finite_points() -> None:
    outcome = parse_range_result("q", MATRIX)
    assert outcome.error is None
    assert [s.labels for s in outcome.series] == [
        {"__name__": "a", "route": "/health"},
        {"route": "/people"},
    ]
    assert outcome.series[0].points == [(NOW - 20, 1.0), (NOW, 3.0)]
    assert outcome.points == 4


def test_a_prometheus_error_is_kept_as_text() -> None:
    body = {"status": "error", "errorType": "bad_data", "error": 'parse error: unexpected "}"'}
    outcome = parse_range_result("q{", body)
    assert outcome.error == 'bad_data: parse error: unexpected "}"'
    assert outcome.series == []
    assert parse_range_result("q", "<html>").error is not None


def test_the_svg_has_a_polyline_per_series_inside_the_box_and_threshold_lines() -> None:
    series = parse_range_result("q", MATRIX).series
    svg = svg_chart(series, [Threshold(5.0, "red")])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    lines = re.findall(r'<polyline [^>]*data-points="(\d+)" points="([^"]*)"', svg)
    assert [int(n) for n, _ in lines] == [2, 2]
    for _, points in lines:
        for pair in points.split():
            x, y = map(float, pair.split(","))
            assert 0 <= x <= 400 and 0 <= y <= 150
    first = [tuple(map(float, p.split(","))) for p in lines[0][1].split()]
    assert first[0][0] == 0 and first[-1][0] == 400  # the time range spans the width
    assert first[-1][1] < first[0][1]  # 3 is drawn above 1
    assert re.search(r'<line class="threshold"[^>]*stroke="red"[^>]*data-value="5"', svg)


def test_a_single_point_still_draws_a_line_and_an_empty_chart_draws_none() -> None:
    one = svg_chart([Series({}, [(NOW, 2.0)])])
    assert one.count("<polyline") == 1
    assert svg_chart([Series({}, [])]).count("<polyline") == 0


def test_legends_follow_the_legend_format_or_the_labels() -> None:
    labels = {"__name__": "m", "route": "/health", "status": "200"}
    assert legend("{{route}} {{ status }}", labels) == "/health 200"
    assert legend("", labels) == 'm{route="/health", status="200"}'
    assert legend("__auto", {}) == "value"


def test_only_absolute_thresholds_with_a_value_are_drawn() -> None:
    config = _panel(1, "t", "stat", ["1"], steps=[{"color": "green", "value": None}])
    assert thresholds_of(config["fieldConfig"]) == []
    steps: list[dict[str, Any]] = [
        {"color": "green", "value": None},
        {"color": "orange", "value": 0.9},
    ]
    config = _panel(1, "t", "stat", ["1"], steps=steps)
    assert thresholds_of(config["fieldConfig"]) == [Threshold(0.9, "orange")]
    assert thresholds_of({"defaults": {"thresholds": {"mode": "percentage", "steps": steps}}}) == []


def test_panels_are_found_inside_rows_and_classified() -> None:
    overview, extra = sample_dashboards()
    assert [p["id"] for p in iter_panels(extra["panels"])] == [10]
    assert [panel_kind(p) for p in overview["panels"]] == [
        "prometheus",
        "prometheus",
        "prometheus",
        "loki",
    ]
    assert panel_kind({"type": "text"}) == "other"


# -- pages from a fake query_range -----------------------------------------------------------


class FakeQuerier:
    """Answers from canned results; ``fail`` and ``empty`` pick expressions by substring."""

    def __init__(self, fail: str = "\0", empty: str = "\0") -> None:
        self.fail, self.empty = fail, empty
        self.calls: list[tuple[str, float, float, int]] = []

    def query_range(self, expr: str, start: float, end: float, step: int) -> QueryOutcome:
        self.calls.append((expr, start, end, step))
        if self.fail in expr:
            return QueryOutcome(expr, error="bad_data: 1:2: parse error")
        if self.empty in expr:
            return QueryOutcome(expr)
        return parse_range_result(expr, MATRIX)


def panel_elements(html: str) -> dict[str, dict[str, str]]:
    """``data-panel-id`` -> the panel element's attributes."""
    found = {}
    for tag in re.findall(r"<section ([^>]*)>", html):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        found[attributes["data-panel-id"]] = attributes
    return found


def test_pages_have_a_drawn_panel_per_prometheus_panel(tmp_path: Path) -> None:
    querier = FakeQuerier()
    report = render_previews(sample_dashboards(), querier, tmp_path, job="rs", minutes=15, now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "index.html",
        "rs-overview.html",
        "rs-telemetry.html",
    ]
    assert report.failed_panels == []
    exprs = [call[0] for call in querier.calls]
    assert len(exprs) == 4  # not the Loki panel
    assert all("$" not in e for e in exprs)
    assert 'job=~"rs"' in exprs[0] and "[1m]" in exprs[0]
    assert {call[1:] for call in querier.calls} == {(NOW - 900, NOW, 8)}

    html = (tmp_path / "rs-overview.html").read_text()
    panels = panel_elements(html)
    assert set(panels) == {"1", "2", "3", "4"}
    for panel_id in ("1", "2", "3"):
        assert panels[panel_id]["data-status"] == "ok"
        assert panels[panel_id]["data-series"] == "2"
        assert panels[panel_id]["data-points"] == "4"
    assert panels["1"]["title"] == "What Request rate shows"
    assert panels["1"]["data-latest"] == "3 req/s"
    assert panels["2"]["data-latest"] == "3 s"
    assert panels["1"]["style"] == "grid-column:1 / span 12;grid-row:1 / span 8"
    assert panels["4"]["style"] == "grid-column:13 / span 12;grid-row:9 / span 8"
    assert panels["4"]["data-status"] == "skipped"
    assert LOKI_TEXT in html
    assert 'class="big"' in html  # the stat panel's latest value
    assert html.count('class="threshold"') == 1  # p95 panel's 1 s line
    assert "/health" in html  # legend from labels

    index = (tmp_path / "index.html").read_text()
    assert 'href="rs-overview.html"' in index and 'href="rs-telemetry.html"' in index


def test_an_error_and_no_data_are_shown_on_the_panel(tmp_path: Path) -> None:
    querier = FakeQuerier(fail="histogram_quantile", empty=USERS)
    report = render_previews(sample_dashboards(), querier, tmp_path, now=NOW)
    assert [(uid, p.panel_id) for uid, p in report.failed_panels] == [("rs-overview", 2)]
    html = (tmp_path / "rs-overview.html").read_text()
    panels = panel_elements(html)
    assert panels["2"]["data-status"] == "error"
    assert "bad_data: 1:2: parse error" in html
    assert panels["3"]["data-status"] == "no-data"
    assert panels["3"]["data-series"] == "0"
    assert "No data" in html


def test_titles_and_labels_are_escaped(tmp_path: Path) -> None:
    dashboards = sample_dashboards()
    dashboards[0]["panels"][0]["title"] = "<script>alert(1)</script>"
    render_previews(dashboards, FakeQuerier(), tmp_path, now=NOW)
    html = (tmp_path / "rs-overview.html").read_text()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_panel_data_counts() -> None:
    outcome = parse_range_result("q", MATRIX)
    panel = PanelData(1, "t", "timeseries", outcomes=[("", outcome)])
    assert (panel.status, panel.points, len(panel.series)) == ("ok", 4, 2)
    assert PanelData(2, "l", "logs", kind="loki").status == "skipped"


# -- the command -----------------------------------------------------------------------------


def canned_answer(query: str) -> dict[str, Any]:
    if "histogram_quantile" in query:
        return {"status": "error", "errorType": "bad_data", "error": "canned failure"}
    return MATRIX if query != "1" else {"status": "success", "data": {"resultType": "scalar"}}


class CannedPrometheus(BaseHTTPRequestHandler):
    fail_quantiles = False

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query).get("query", [""])[0]
        body = canned_answer(query) if self.fail_quantiles or "histogram" not in query else MATRIX
        payload = json.dumps(body).encode()
        self.send_response(400 if body["status"] == "error" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def canned() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedPrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        CannedPrometheus.fail_quantiles = False


def run(*args: str) -> Any:
    app = typer.Typer()
    app.command()(preview)
    app.command("unused")(lambda: None)  # a group, so the command keeps its name
    return CliRunner().invoke(app, ["preview", *args])


@pytest.fixture(autouse=True)
def sample_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview_cli, "load_dashboards", sample_dashboards)


def test_the_command_writes_every_page(canned: str, tmp_path: Path) -> None:
    result = run("--prometheus", canned, "--out", str(tmp_path), "--no-png")
    assert result.exit_code == 0, result.output
    assert "rs-overview.html (3 with data, 0 no data, 0 errors, 1 not rendered)" in result.output
    assert (tmp_path / "index.html").is_file()


def test_a_failed_query_exits_1_after_writing_everything(canned: str, tmp_path: Path) -> None:
    CannedPrometheus.fail_quantiles = True
    result = run("--prometheus", canned, "--out", str(tmp_path), "--no-png")
    assert result.exit_code == 1, result.output
    assert "rs-overview panel 2 (Response time p95)" in result.output
    assert "canned failure" in result.output
    assert (tmp_path / "rs-telemetry.html").is_file() and (tmp_path / "index.html").is_file()


def test_a_bad_url_exits_2_naming_it(tmp_path: Path) -> None:
    result = run("--prometheus", "localhost:9090", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "'localhost:9090'" in result.output


def test_an_unreachable_prometheus_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run("--prometheus", url, "--out", str(tmp_path))
    assert result.exit_code == 1
    assert f"cannot reach Prometheus at {url}" in result.output
    assert not (tmp_path / "index.html").exists()


def test_without_chromium_the_pngs_are_skipped_with_a_warning(
    canned: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.core.metrics.preview.find_chromium", lambda binary="": None)
    result = run("--prometheus", canned, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "warning: chromium not found" in result.output
    assert not list(tmp_path.glob("*.png"))
