"""The catalog follows Prometheus' conventions and covers the whole monitoring checklist."""

from __future__ import annotations

from typing import get_args

import pytest

from app.auth.events import FailureReason, ResourceType, UserActionKind
from app.compliance.rules import RULES
from app.core.metrics import catalog
from app.core.metrics.checklist import CHECKLIST
from app.core.metrics.spec import Label, MetricSpec
from app.tracing.metrics import SPANS_DROPPED

GUIDE_CHECKLIST = {
    "System Metrics": ["CPU usage", "Memory usage", "Disk I/O", "Network I/O", "Process metrics"],
    "Application Metrics": [
        "Request rate",
        "Response time (p50, p95, p99)",
        "Error rate",
        "Active users",
        "Database connections",
        "Cache hit rate",
    ],
    "Business Metrics": [
        "ACGME violations",
        "Schedule generation time",
        "Swap requests",
        "User activity",
        "Compliance score",
    ],
    "Security Metrics": [
        "Failed authentication attempts",
        "Rate limit violations",
        "Suspicious activity",
        "Data access events",
    ],
}


def test_checklist_is_the_guides_checklist_item_for_item() -> None:
    listed: dict[str, list[str]] = {}
    for item in CHECKLIST:
        listed.setdefault(item.section, []).append(item.item)
    assert listed == GUIDE_CHECKLIST


def test_every_checklist_item_has_metrics_and_queries_naming_them() -> None:
    items = {item.item for item in CHECKLIST}
    for spec in catalog.CATALOG:
        assert set(spec.checklist) <= items, f"{spec.name}: unknown checklist item"
    for item in CHECKLIST:
        assert item.metrics and item.queries, item.item
        for query in item.queries:
            assert any(spec.name in query.promql for spec in item.metrics), query


def test_names_are_unique_and_follow_conventions() -> None:
    names = [spec.name for spec in catalog.CATALOG]
    assert len(names) == len(set(names))
    for spec in catalog.CATALOG:
        assert spec.name.endswith("_total") == (spec.kind == "counter")
        if spec.source == "app":
            assert spec.name.startswith(("residency_", "http_")), spec.name
        if spec.kind == "gauge" and spec.source in ("app", "exporter"):
            assert spec.multiprocess_mode, spec.name


def test_latency_buckets_cover_5ms_to_10s_and_every_alert_threshold() -> None:
    buckets = catalog.HTTP_REQUEST_DURATION.buckets
    assert buckets[0] == 0.005 and buckets[-1] == 10.0
    for threshold in (0.1, 0.25, 0.5, 1.0, 2.5, 5.0):  # thresholds an alert or panel may use
        assert threshold in buckets
    generation = catalog.GENERATION_DURATION.buckets
    assert generation[0] == 0.5 and generation[-1] == 600.0


def test_labels_are_enumerated_from_the_domain() -> None:
    assert set(get_args(FailureReason)) < set(catalog.AUTH_REASON.values or ())
    assert set(get_args(ResourceType)) < set(catalog.RESOURCE_TYPE.values or ())
    assert set(get_args(UserActionKind)) < set(catalog.USER_ACTION.values or ())
    rules = set(catalog.RULE.values or ())
    assert {rule.id for rule in RULES} < rules
    assert "hours_80_weekly_rolling" in rules
    open_labels = {
        label.name for spec in catalog.CATALOG for label in spec.labels if label.values is None
    }
    # Only HTTP route/status (bounded by the app) and python_info's fixed platform strings.
    assert open_labels == {
        "route", "status", "implementation", "major", "minor", "patchlevel", "version"
    }  # fmt: skip


@pytest.mark.parametrize("name", ["user_id", "resident", "email", "request_id", "trace_id", "path"])
def test_personal_or_unbounded_labels_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="personal or unbounded"):
        Label(name, ("x",))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x_requests", "kind": "counter"}, "end in _total"),
        ({"name": "x_total", "kind": "gauge", "multiprocess_mode": "livesum"}, "end in _total"),
        ({"name": "x_latency", "kind": "histogram", "unit": "seconds"}, "end in its unit"),
        ({"name": "x_seconds", "kind": "histogram", "unit": "seconds"}, "buckets"),
        ({"name": "x_ms", "kind": "gauge", "unit": "milliseconds"}, "base units"),
        ({"name": "x_things", "kind": "gauge"}, "multiprocess_mode"),
    ],
)
def test_specs_reject_convention_breaks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricSpec(help="Something.", group="application", **kwargs)  # type: ignore[arg-type]


def test_tracing_counter_is_adopted_as_declared() -> None:
    spec = catalog.TRACING_SPANS_DROPPED
    assert spec.name == SPANS_DROPPED._name + "_total"
    assert spec.label_names == SPANS_DROPPED._labelnames
