"""``dashboards preview`` against a real Prometheus scraping the app under traffic, and the
Overview page opened in headless Chromium: every Prometheus panel drew data.

Runs on the real dashboards (``app.core.metrics.dashboard_model``) when that module exists,
else on the sample model of the unit tests. Chromium and Prometheus are real components:
missing, the test skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.core.metrics import preview_cli
from app.core.metrics.preview import dump_dom, find_chromium
from app.db.migrate import upgrade_database
from tests.support.fixtures import component_unavailable, require_component
from tests.support.live_app import live_app
from tests.support.scraped_app import (
    CONFIG,
    TOKEN,
    Traffic,
    add_user,
    real_api_calls,
    sign_in,
    wait_value,
)
from tests.support.servers import prometheus_server

TRAFFIC_SECONDS = 20


def dashboards() -> Sequence[Mapping[str, Any]]:
    return preview_cli.load_dashboards()


def overview_uid(models: Sequence[Mapping[str, Any]]) -> str:
    uids = [str(d["uid"]) for d in models if "overview" in str(d["title"]).lower()]
    assert len(uids) == 1, [d["title"] for d in models]
    return uids[0]


def panel_elements(dom: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r"<section ([^>]*data-panel-id[^>]*)>", dom)
    ]


def run_preview(prometheus_url: str, out: Path) -> Any:
    """``residency-scheduler dashboards preview`` (PNGs included) over the last 2 minutes."""
    args = ["dashboards", "preview", "--prometheus", prometheus_url, "--out", str(out)]
    return CliRunner().invoke(cli, [*args, "--minutes", "2"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path}/preview.db"
    asyncio.run(upgrade_database(url))
    asyncio.run(add_user(url))
    return Settings(database_url=url, environment="test", metrics_token=TOKEN)


def test_every_overview_panel_draws_live_data_in_chromium(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chromium = find_chromium()
    if chromium is None:
        component_unavailable("chromium is not installed (apt-get install chromium)")
    require_component("prometheus")
    models = dashboards()
    monkeypatch.setattr(preview_cli, "load_dashboards", lambda: models)
    out = tmp_path / "preview"

    with live_app(settings) as url:
        port = urlsplit(url).port
        token = sign_in(url)
        with prometheus_server(CONFIG.format(token=TOKEN, port=port)) as prometheus:
            assert wait_value(prometheus, 'up{job="residency-scheduler"}', lambda v: v == 1) == 1
            real_api_calls(url, token)
            with Traffic(url, token):
                time.sleep(TRAFFIC_SECONDS)
                result = run_preview(prometheus.url, out)

    assert result.exit_code == 0, result.output  # no query errors on any dashboard
    uid = overview_uid(models)
    page = out / f"{uid}.html"
    assert (out / "index.html").is_file()
    assert page.with_suffix(".png").stat().st_size > 10_000

    dom = dump_dom(page, chromium)
    panels = panel_elements(dom)
    measured = [p for p in panels if p["data-kind"] == "prometheus"]
    assert measured, "the Overview has no Prometheus panel"
    empty = [
        (p["data-panel-id"], p["title"], p["data-status"], p["data-series"], p["data-points"])
        for p in measured
        if not (int(p["data-series"]) > 0 and int(p["data-points"]) > 0)
    ]
    assert empty == []
    # the page's script ran in Chromium and found a drawn line in every one of them
    undrawn = [p["data-panel-id"] for p in measured if int(p.get("data-drawn", "0")) < 1]
    assert undrawn == []
