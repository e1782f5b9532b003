"""Domain events become metrics: once per app, bounded labels, real publishers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.auth.events import (
    AccessDenied,
    AuthenticationFailed,
    DataAccessed,
    RateLimitExceeded,
    SuspiciousActivity,
    UserAction,
)
from app.cache.events import CacheLookup
from app.compliance.events import OverrideRecorded, ScheduleGenerated, ScheduleValidated
from app.core.metrics import catalog as c
from app.core.metrics.registry import AppMetrics
from app.core.metrics.subscribers import MetricsSink
from app.events import EventBus, publish
from app.swaps.events import SwapState, SwapTransitioned
from tests.support.api import API, build_app, client_for, sign_in
from tests.support.metrics import scrape, total, value
from tests.support.schedules import too_many_hours


def sample(metrics: AppMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def subscribe(metrics: AppMetrics, bus: EventBus) -> None:
    for event_type, handler in MetricsSink(metrics).handlers.items():
        bus.subscribe(event_type, handler)  # for the test bus's whole life


def test_every_event_lands_in_its_metric() -> None:
    bus = EventBus()
    metrics = AppMetrics()
    subscribe(metrics, bus)
    events: list[Any] = [
        ScheduleGenerated("optimal", 12.5, 40),
        OverrideRecorded(rules=("hours_80_weekly", "one_day_off_in_7")),
        SwapTransitioned(None, SwapState.PENDING),
        SwapTransitioned(SwapState.PENDING, SwapState.ACCEPTED),
        UserAction("login"),
        AuthenticationFailed("bad_password"),
        AccessDenied("schedule"),
        RateLimitExceeded("login"),
        SuspiciousActivity("brute_force"),
        DataAccessed("person", "read"),
        CacheLookup("compliance_report", hit=True),
        CacheLookup("compliance_report", hit=False),
    ]
    for event in events:
        bus.publish(event)
    assert sample(metrics, c.GENERATION_DURATION.count, outcome="optimal") == 1
    assert sample(metrics, c.GENERATION_DURATION.sum, outcome="optimal") == 12.5
    assert sample(metrics, c.GENERATION_DURATION.bucket, outcome="optimal", le="20.0") == 1
    assert sample(metrics, c.OVERRIDES.name, rule="one_day_off_in_7") == 1
    assert sample(metrics, c.SWAP_TRANSITIONS.name, from_state="none", to_state="pending") == 1
    assert sample(metrics, c.SWAP_TRANSITIONS.name, from_state="pending", to_state="accepted") == 1
    assert sample(metrics, c.USER_ACTIONS.name, action="login") == 1
    assert sample(metrics, c.AUTH_FAILURES.name, reason="bad_password") == 1
    assert sample(metrics, c.ACCESS_DENIED.name, resource_type="schedule") == 1
    assert sample(metrics, c.RATE_LIMITED.name, scope="login") == 1
    assert sample(metrics, c.SUSPICIOUS_ACTIVITY.name, kind="brute_force") == 1
    assert sample(metrics, c.DATA_ACCESS.name, resource_type="person", action="read") == 1
    assert sample(metrics, c.CACHE_LOOKUPS.name, cache="compliance_report", result="hit") == 1
    assert sample(metrics, c.CACHE_LOOKUPS.name, cache="compliance_report", result="miss") == 1


def test_validation_counts_findings_and_tracks_the_active_schedule() -> None:
    bus = EventBus()
    metrics = AppMetrics()
    subscribe(metrics, bus)
    counts = {("hours_80_weekly", "violation"): 2, ("rest_between_shifts_8h", "warning"): 1}
    bus.publish(ScheduleValidated("upload", False, 50.0, counts))
    current, found = c.ACGME_CURRENT_VIOLATIONS.name, c.ACGME_VIOLATIONS.name
    assert sample(metrics, found, rule="hours_80_weekly", severity="violation") == 2
    assert sample(metrics, current, rule="hours_80_weekly", severity="violation") == 0
    # an upload is not the active schedule: the score stays unknown
    assert math.isnan(metrics.registry.get_sample_value(c.COMPLIANCE_SCORE.name))
    bus.publish(ScheduleValidated("stored", False, 87.5, counts, covers_active_schedule=True))
    assert sample(metrics, current, rule="hours_80_weekly", severity="violation") == 2
    assert sample(metrics, c.COMPLIANCE_SCORE.name) == 0.875
    fixed = {("rest_between_shifts_8h", "warning"): 1}
    bus.publish(ScheduleValidated("stored", True, 100.0, fixed, covers_active_schedule=True))
    assert sample(metrics, current, rule="hours_80_weekly", severity="violation") == 0
    assert sample(metrics, current, rule="rest_between_shifts_8h", severity="warning") == 1
    assert sample(metrics, c.COMPLIANCE_SCORE.name) == 1.0
    assert sample(metrics, found, rule="hours_80_weekly", severity="violation") == 4
    assert sample(metrics, c.SCHEDULE_VALIDATIONS.name, source="stored", result="valid") == 1


def test_unexpected_label_values_fold_into_other() -> None:
    bus = EventBus()
    metrics = AppMetrics()
    subscribe(metrics, bus)
    bus.publish(AuthenticationFailed("resident-42-typed-this"))  # type: ignore[arg-type]
    bus.publish(ScheduleValidated("upload", False, 0.0, {("new_rule", "violation"): 1}))
    assert sample(metrics, c.AUTH_FAILURES.name, reason="other") == 1
    assert sample(metrics, c.ACGME_VIOLATIONS.name, rule="other", severity="violation") == 1
    labels = {v for m in metrics.registry.collect() for s in m.samples for v in s.labels.values()}
    assert "resident-42-typed-this" not in labels and "new_rule" not in labels


def suspicious(app: FastAPI) -> float:
    metrics = app.state.services.metrics.metrics
    return sample(metrics, c.SUSPICIOUS_ACTIVITY.name, kind="export_volume")


async def test_running_apps_count_each_event_once_and_stop_at_shutdown(tmp_path: Path) -> None:
    first = await build_app(tmp_path / "a")
    second = await build_app(tmp_path / "b")
    publish(SuspiciousActivity("export_volume"))  # before either runs: nobody counts
    async with second.router.lifespan_context(second):
        async with first.router.lifespan_context(first):
            publish(SuspiciousActivity("export_volume"))
            assert (suspicious(first), suspicious(second)) == (1, 1)
        publish(SuspiciousActivity("export_volume"))
        assert (suspicious(first), suspicious(second)) == (1, 2)
    publish(SuspiciousActivity("export_volume"))
    assert (suspicious(first), suspicious(second)) == (1, 2)


async def test_real_api_calls_publish_what_the_metrics_count(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        await sign_in(app, client)
        bad = await client.post(
            f"{API}/auth/login", json={"username": "admin", "password": "not-the-password"}
        )
        assert bad.status_code == 401
        report = await client.post(f"{API}/compliance/validate", json=too_many_hours())
        assert report.status_code == 200
        assert (await client.post(f"{API}/schedule/import", json=too_many_hours())).is_success
        stored = await client.get(f"{API}/compliance/report")
        assert stored.status_code == 200
        samples = await scrape(client)
    violations = c.ACGME_VIOLATIONS.name
    assert (value(samples, violations, rule="hours_80_weekly", severity="violation") or 0) >= 2
    upload = value(samples, c.SCHEDULE_VALIDATIONS.name, source="upload", result="invalid")
    assert upload == 1
    assert value(samples, c.COMPLIANCE_SCORE.name) == stored.json()["compliance_score"] / 100
    current = c.ACGME_CURRENT_VIOLATIONS.name
    assert value(samples, current, rule="hours_80_weekly", severity="violation") == 1
    assert total(samples, c.AUTH_FAILURES.name) >= 1
    assert total(samples, c.USER_ACTIONS.name, action="login") >= 1
