"""Every item of the monitoring checklist is served by the running app after some traffic."""

from __future__ import annotations

from pathlib import Path

from app.auth.events import DataAccessed, RateLimitExceeded, SuspiciousActivity
from app.cache.events import CacheLookup
from app.compliance.events import ScheduleGenerated
from app.core.metrics.catalog import CATALOG
from app.core.metrics.checklist import CHECKLIST
from app.core.metrics.spec import MetricSpec as CatalogSpec
from app.events import publish
from app.swaps.events import SwapState, SwapTransitioned
from app.tracing import TracingConfig
from app.tracing.setup import configure_process
from tests.support.api import API, build_app, client_for, sign_in
from tests.support.metrics import names, scrape
from tests.support.schedules import too_many_hours
from tests.support.servers import free_port


async def test_every_checklist_item_is_at_metrics(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        await sign_in(app, client, username="canary.coordinator")
        await client.get(f"{API}/people")
        await client.post(f"{API}/compliance/validate", json=too_many_hours())
        await client.post(f"{API}/schedule/import", json=too_many_hours())
        await client.get(f"{API}/compliance/report")
        await client.get("/no-such-page")
        # Features that publish these may not have run in this short session.
        publish(ScheduleGenerated("feasible", 3.2, 12))
        publish(SwapTransitioned(None, SwapState.PENDING))
        publish(RateLimitExceeded("api"))
        publish(SuspiciousActivity("brute_force"))
        publish(DataAccessed("schedule", "export"))
        publish(CacheLookup("schedule", hit=True))
        text = (await client.get("/metrics")).text
        samples = await scrape(client)
    present = names(samples)
    missing = {
        (item.item, spec.name)
        for item in CHECKLIST
        for spec in item.metrics
        if not ({spec.name, spec.name + "_bucket", spec.name + "_count"} & present)
    }
    assert missing == set()
    for line in text.splitlines():  # no personal data or raw paths in any label
        assert "canary" not in line and "/no-such-page" not in line and "r01" not in line


def emitted(spec: CatalogSpec, present: set[str]) -> bool:
    series = {spec.name}
    if spec.kind == "histogram":
        series = {spec.bucket, spec.count}
    return bool(series & present)


async def test_every_catalog_metric_is_emitted_by_the_running_app(tmp_path: Path) -> None:
    """Not only the checklist's: the exporter's and tracing's own health metrics too, with
    Pushgateway and tracing configured (neither is reachable: nothing needs to be sent)."""
    closed = free_port()
    app = await build_app(
        tmp_path,
        pushgateway_url=f"127.0.0.1:{closed}",
        tracing_enabled=True,
        jaeger_endpoint=f"127.0.0.1:{closed}",
    )
    try:
        async with client_for(app) as client:
            await client.get("/health")
            publish(ScheduleGenerated("feasible", 3.2, 12))  # histograms show once observed
            samples = await scrape(client)
    finally:
        await app.state.services.database.dispose()
        configure_process(TracingConfig(enabled=False))  # tracing off again for later tests
    present = names(samples)
    assert [spec.name for spec in CATALOG if not emitted(spec, present)] == []
