"""Alert and recording rules, built from the metric catalog, exactly as the guide calls them::

    from app.core.metrics.alerts import get_all_alert_rules, export_prometheus_rules

    export_prometheus_rules("alerts.yml")

Every expression reads catalog specs (``promql.rate(catalog.HTTP_REQUESTS, ...)``), never a
metric name typed again, and thresholds come from ``thresholds``, which the dashboards share.
Rules are written for a quiet healthy service too: ratios are empty rather than NaN or +Inf when
nothing happened, and rate-based ones need enough traffic to mean something. Each alert's
runbook is a section of ``docs/runbooks/alerts.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml

from app.core.metrics import catalog
from app.core.metrics import thresholds as t
from app.core.metrics.promql import Clock, increase, quantile, rate, ratio, series
from app.core.metrics.rules import RUNBOOK, AlertRule, Example, RecordingRule, Rule
from app.core.metrics.slo import PAGE, TICKET, burn_expression, recording_rules
from app.core.metrics.spec import MetricSpec

__all__ = [
    "AlertRule",
    "RecordingRule",
    "export_prometheus_rules",
    "get_all_alert_rules",
    "rule_groups",
]

RuleFormat = Literal["prometheus", "prometheus-operator"]
M = 60  # seconds in a minute: windows below read as minutes

_OK = {"method": "GET", "route": "/api/v1/people", "status": "200"}
_FAILED = {**_OK, "status": "500"}
_SIGN_IN_FAILURES = "~bad_password|unknown_user|locked|inactive"
_DECIDED = "~approved|rejected|executed|cancelled"
_FAILED_RUNS = "~infeasible|timeout|error"
_UP = f'up{{job="{t.JOB}",instance="backend:8000"}}'


def _s(spec: MetricSpec, suffix: str = "", **labels: str) -> str:
    """An example's input series: the selector with plain ``=`` matchers."""
    return series(spec, suffix, **labels)


def _availability(clock: Clock) -> list[Rule]:
    objective = f"{t.AVAILABILITY_OBJECTIVE:.1%}"
    requests = catalog.HTTP_REQUESTS
    burning = Example(
        fire={_s(requests, **_OK): "0+60x120", _s(requests, **_FAILED): "0+30x120"},
        calm={_s(requests, **_OK): "0+60x120", _s(requests, **_FAILED): "0x120"},
        at=90,
    )
    slow_burn = Example(
        fire={_s(requests, **_OK): "0+600x200", _s(requests, **_FAILED): "0+30x200"},
        calm={_s(requests, **_OK): "0+600x200", _s(requests, **_FAILED): "0+1x200"},
        at=27 * 60,
        interval=10,
    )
    return [
        *(RecordingRule(name, expr) for name, expr in recording_rules(clock)),
        AlertRule(
            "ResidencyErrorBudgetBurnFast",
            burn_expression(PAGE, t.AVAILABILITY_OBJECTIVE),
            "critical",
            "Error budget burning fast: the availability SLO will be missed within days",
            f"5xx responses are using the {objective} availability budget at 6x to 14.4x the "
            "sustainable rate (over 1 h and 5 m, or 6 h and 30 m); error ratio now "
            "{{ $value | humanizePercentage }}.",
            burning,
            for_=clock.window(2 * M),
        ),
        AlertRule(
            "ResidencyErrorBudgetBurnSlow",
            burn_expression(TICKET, t.AVAILABILITY_OBJECTIVE),
            "warning",
            "Error budget burning: the availability SLO is at risk this month",
            f"5xx responses are using the {objective} availability budget at 1x to 3x the "
            "sustainable rate (over 1 d and 2 h, or 3 d and 6 h); error ratio now "
            "{{ $value | humanizePercentage }}.",
            slow_burn,
            for_=clock.window(15 * M),
        ),
    ]


def _latency_example(slow_bucket: str, next_bucket: str) -> Example:
    spec = catalog.HTTP_REQUEST_DURATION
    labels = {"method": "GET", "route": "/api/v1/people"}
    fire = {
        _s(spec, "bucket", **labels, le=slow_bucket): "0x60",
        _s(spec, "bucket", **labels, le=next_bucket): "0+60x60",
        _s(spec, "bucket", **labels, le="+Inf"): "0+60x60",
    }
    calm = {selector: "0+60x60" for selector in fire}
    return Example(fire=fire, calm=calm)


def _requests(clock: Clock) -> list[Rule]:
    w5 = clock.window(5 * M)
    requests, duration = catalog.HTTP_REQUESTS, catalog.HTTP_REQUEST_DURATION
    all_rate = f"sum({rate(requests, w5)})"
    errors = ratio(f"sum({rate(requests, w5, status='~5..')})", all_rate)
    return [
        RecordingRule("residency:http_requests:rate5m", all_rate),
        *(
            RecordingRule(f"residency:{duration.name}:p{q}_5m", quantile(q / 100, duration, w5))
            for q in (95, 99)
        ),
        AlertRule(
            "ResidencyHighErrorRate",
            f"{errors} > {t.ERROR_RATIO} and {all_rate} > {t.MIN_REQUEST_RATE}",
            "warning",
            "Many requests fail with a server error",
            f"{{{{ $value | humanizePercentage }}}} of requests over 5 minutes answered 5xx "
            f"(threshold {t.ERROR_RATIO:.0%}).",
            Example(
                fire={_s(requests, **_OK): "0+60x60", _s(requests, **_FAILED): "0+10x60"},
                calm={_s(requests, **_OK): "0+60x60", _s(requests, **_FAILED): "0x60"},
            ),
            for_=clock.window(5 * M),
        ),
        AlertRule(
            "ResidencyHighLatencyP95",
            f"{quantile(0.95, duration, w5)} > {t.LATENCY_P95_SECONDS}",
            "warning",
            "Requests are slow (p95)",
            f"95% of requests take up to {{{{ $value | humanizeDuration }}}} "
            f"(threshold {t.LATENCY_P95_SECONDS:g} s) over 5 minutes.",
            _latency_example("0.5", "2.5"),
            for_=clock.window(10 * M),
        ),
        AlertRule(
            "ResidencyHighLatencyP99",
            f"{quantile(0.99, duration, w5)} > {t.LATENCY_P99_SECONDS}",
            "critical",
            "Requests are very slow (p99)",
            f"1% of requests take longer than {{{{ $value | humanizeDuration }}}} "
            f"(threshold {t.LATENCY_P99_SECONDS:g} s) over 5 minutes.",
            _latency_example("2.5", "5.0"),
            for_=clock.window(10 * M),
        ),
    ]


def _target(clock: Clock) -> list[Rule]:
    up = f'up{{job="{t.JOB}"}}'
    scraped = {"job": t.JOB, "instance": "backend:8000"}
    return [
        AlertRule(
            "ResidencyTargetDown",
            f"{up} == 0",
            "critical",
            "Prometheus cannot scrape the service",
            "{{ $labels.instance }} has not answered GET /metrics for 2 minutes.",
            Example(
                fire={_UP: "0x30"},
                calm={_UP: "1x30"},
                labels=scraped,
            ),
            for_=clock.window(2 * M),
        ),
        AlertRule(
            "ResidencyMetricsAbsent",
            f"absent({up})",
            "critical",
            "No scrape target for the service at all",
            f"Prometheus has no target of job {t.JOB}: the service is gone from service "
            "discovery, or the scrape configuration changed.",
            Example(
                fire={'up{job="other",instance="x:1"}': "1x30"},
                calm={_UP: "1x30"},
                labels={"job": t.JOB},
            ),
            for_=clock.window(5 * M),
        ),
    ]


def _host(clock: Clock) -> list[Rule]:
    w5 = clock.window(5 * M)
    cpu = catalog.HOST_CPU_SECONDS
    idle = ratio(f"sum({rate(cpu, w5, mode='idle')})", f"sum({rate(cpu, w5)})")
    free, total = _s(catalog.HOST_MEMORY_AVAILABLE), _s(catalog.HOST_MEMORY_TOTAL)
    space, size = _s(catalog.HOST_FILESYSTEM_FREE), _s(catalog.HOST_FILESYSTEM_SIZE)
    # Per scraped instance: each is its own host (or container).
    disk_free, available = ratio(space, size), ratio(free, total)
    return [
        AlertRule(
            "ResidencyHostCpuBusy",
            f"1 - {idle} > {t.HOST_CPU_BUSY_RATIO}",
            "warning",
            "The host's CPUs are nearly always busy",
            "CPU busy {{ $value | humanizePercentage }} of the time over 5 minutes "
            f"(threshold {t.HOST_CPU_BUSY_RATIO:.0%}).",
            Example(
                fire={_s(cpu, mode="idle"): "0+1x60", _s(cpu, mode="user"): "0+59x60"},
                calm={_s(cpu, mode="idle"): "0+50x60", _s(cpu, mode="user"): "0+10x60"},
            ),
            for_=clock.window(15 * M),
        ),
        AlertRule(
            "ResidencyHostDiskLow",
            f"{disk_free} < {t.HOST_DISK_FREE_RATIO}",
            "warning",
            "The service's disk is filling up",
            "Only {{ $value | humanizePercentage }} of the filesystem holding the database and "
            f"logs is free (threshold {t.HOST_DISK_FREE_RATIO:.0%}).",
            Example(fire={space: "4x60", size: "100x60"}, calm={space: "60x60", size: "100x60"}),
            for_=clock.window(15 * M),
        ),
        AlertRule(
            "ResidencyHostMemoryLow",
            f"{available} < {t.HOST_MEMORY_AVAILABLE_RATIO}",
            "warning",
            "The host is running out of memory",
            "Only {{ $value | humanizePercentage }} of the host's memory is available "
            f"(threshold {t.HOST_MEMORY_AVAILABLE_RATIO:.0%}).",
            Example(fire={free: "5x60", total: "100x60"}, calm={free: "50x60", total: "100x60"}),
            for_=clock.window(15 * M),
        ),
    ]


def _compliance(clock: Clock) -> list[Rule]:
    current, score = catalog.ACGME_CURRENT_VIOLATIONS, catalog.COMPLIANCE_SCORE
    runs, w1h = catalog.GENERATION_DURATION, clock.window(60 * M)
    violation = {"rule": "hours_80_weekly", "severity": "violation"}
    slow, limit = "300.0", "450.0"
    return [
        AlertRule(
            "ResidencyAcgmeViolationActive",
            f"max by (rule) ({series(current, severity='violation')}) > 0",
            "critical",
            "The active schedule breaks an ACGME rule",
            "{{ $value }} finding(s) of rule {{ $labels.rule }} in the active schedule: "
            "residents are scheduled beyond the duty-hour limits.",
            Example(
                fire={_s(current, **violation): "2x30"},
                calm={_s(current, **violation): "0x30"},
                labels={"rule": "hours_80_weekly"},
            ),
            for_=clock.window(1 * M),
        ),
        AlertRule(
            "ResidencyComplianceScoreLow",
            f"max({series(score)}) < {t.COMPLIANCE_SCORE}",
            "warning",
            "Many resident-blocks of the active schedule break a rule",
            "Compliance score {{ $value | humanizePercentage }} "
            f"(threshold {t.COMPLIANCE_SCORE:.0%}).",
            Example(fire={_s(score): "0.8x30"}, calm={_s(score): "1x30"}),
            for_=clock.window(15 * M),
        ),
        AlertRule(
            "ResidencyScheduleGenerationFailing",
            f"sum({increase(runs, w1h, 'count', outcome=_FAILED_RUNS)}) > 0",
            "warning",
            "Schedule generation runs fail",
            "{{ $value }} generation run(s) in the last hour ended infeasible, timed out or "
            "failed.",
            Example(
                fire={_s(runs, "count", outcome="error"): "0+1x60"},
                calm={_s(runs, "count", outcome="error"): "0x60"},
            ),
        ),
        AlertRule(
            "ResidencyScheduleGenerationSlow",
            f"{quantile(0.95, runs, w1h)} > {t.GENERATION_P95_SECONDS:g}",
            "warning",
            "Schedule generation is slow",
            "95% of generation runs in the last hour took up to "
            f"{{{{ $value | humanizeDuration }}}} (threshold {t.GENERATION_P95_SECONDS:g} s).",
            Example(
                fire={
                    _s(runs, "bucket", outcome="optimal", le=slow): "0x90",
                    _s(runs, "bucket", outcome="optimal", le=limit): "0+1x90",
                    _s(runs, "bucket", outcome="optimal", le="+Inf"): "0+1x90",
                },
                calm={
                    _s(runs, "bucket", outcome="optimal", le=le): "0+1x90"
                    for le in (slow, limit, "+Inf")
                },
                at=90,
            ),
        ),
    ]


def _swaps(clock: Clock) -> list[Rule]:
    pending, moves = catalog.SWAPS_PENDING, catalog.SWAP_TRANSITIONS
    window = clock.window(t.SWAP_DECISION_WAIT_SECONDS)
    decided = f"sum({increase(moves, window, to_state=_DECIDED)}) > 0"
    approved = _s(moves, from_state="accepted", to_state="approved")
    return [
        AlertRule(
            "ResidencySwapBacklogAgeing",
            f"max({series(pending)}) > 0 unless ({decided})",
            "warning",
            "Swap requests wait and nobody decides",
            "{{ $value }} swap request(s) pending, and no swap was approved, rejected, "
            "executed or cancelled in 2 days.",
            Example(  # every 4 minutes: a gauge is looked up within 5 minutes of a sample
                fire={_s(pending): "3x900", approved: "0x900"},
                calm={_s(pending): "3x900", approved: "0+1x900"},
                at=55 * 60,
                interval=4,
            ),
            for_=clock.window(60 * M),
        ),
    ]


def _security(clock: Clock) -> list[Rule]:
    w5, w10, w1h = clock.window(5 * M), clock.window(10 * M), clock.window(60 * M)
    failures, limited = catalog.AUTH_FAILURES, catalog.RATE_LIMITED
    suspicious, access = catalog.SUSPICIOUS_ACTIVITY, catalog.DATA_ACCESS
    day_before = f"sum(rate({series(access)}[{w1h}] offset {clock.window(24 * 60 * M)}))"
    return [
        AlertRule(
            "ResidencyFailedSignInSpike",
            f"sum({increase(failures, w5, reason=_SIGN_IN_FAILURES)}) > {t.FAILED_SIGN_INS_PER_5M}",
            "warning",
            "Many failed sign-ins",
            "{{ $value | humanize }} failed sign-ins in 5 minutes "
            f"(threshold {t.FAILED_SIGN_INS_PER_5M}): password guessing, or a broken client.",
            Example(
                fire={_s(failures, reason="bad_password"): "0+10x30"},
                calm={_s(failures, reason="bad_password"): "0+1x30"},
            ),
            for_=clock.window(1 * M),
        ),
        AlertRule(
            "ResidencyRateLimitSpike",
            f"sum({increase(limited, w5)}) > {t.RATE_LIMITED_PER_5M}",
            "warning",
            "Many requests refused by rate limits",
            "{{ $value | humanize }} requests refused by a rate limit in 5 minutes "
            f"(threshold {t.RATE_LIMITED_PER_5M}).",
            Example(
                fire={_s(limited, scope="api"): "0+20x30"},
                calm={_s(limited, scope="api"): "0+1x30"},
            ),
            for_=clock.window(2 * M),
        ),
        AlertRule(
            "ResidencySuspiciousActivity",
            f"sum by (kind) ({increase(suspicious, w10)}) > 0",
            "critical",
            "Suspicious activity detected",
            "{{ $value | humanize }} event(s) of kind {{ $labels.kind }} in 10 minutes "
            "(brute force, refresh-token reuse, cross-resident access or export volume).",
            Example(
                fire={_s(suspicious, kind="brute_force"): "0x10 1x20"},
                calm={_s(suspicious, kind="brute_force"): "0x30"},
                labels={"kind": "brute_force"},
                at=15,
            ),
        ),
        AlertRule(
            "ResidencyUnusualDataAccess",
            f"sum({rate(access, w1h)}) > {t.DATA_ACCESS_SURGE:g} * {day_before}"
            f" and sum({increase(access, w1h)}) > {t.MIN_DATA_ACCESS_PER_HOUR}",
            "warning",
            "Unusual volume of protected-data access",
            "Reads and changes of protected data run at {{ $value | humanize }}/s, more than "
            f"{t.DATA_ACCESS_SURGE:g}x the same hour a day earlier.",
            Example(
                fire={_s(access, resource_type="person", action="read"): "0+10x30 300+200x10"},
                calm={_s(access, resource_type="person", action="read"): "0+10x40"},
                at=36 * 60,
                interval=60,
            ),
        ),
    ]


def _database(clock: Clock) -> list[Rule]:
    w5 = clock.window(5 * M)
    busy, size, timeouts = (
        catalog.DB_POOL_BUSY_SECONDS,
        catalog.DB_POOL_SIZE,
        catalog.DB_POOL_TIMEOUTS,
    )
    return [
        AlertRule(
            "ResidencyDbPoolSaturated",
            f"{ratio(f'sum({rate(busy, w5)})', f'sum({series(size)})')} > {t.DB_POOL_BUSY_RATIO}",
            "warning",
            "The database connection pool is nearly always in use",
            "On average {{ $value | humanizePercentage }} of the pool's connections were busy "
            f"over 5 minutes (threshold {t.DB_POOL_BUSY_RATIO:.0%}).",
            Example(
                fire={_s(busy): "0+540x60", _s(size): "10x60"},
                calm={_s(busy): "0+60x60", _s(size): "10x60"},
            ),
            for_=clock.window(10 * M),
        ),
        AlertRule(
            "ResidencyDbPoolTimeouts",
            f"sum({increase(timeouts, w5)}) > 0",
            "critical",
            "Requests time out waiting for a database connection",
            "{{ $value | humanize }} checkout(s) gave up waiting for a pooled connection in "
            "5 minutes: requests are failing.",
            Example(fire={_s(timeouts): "0+1x30"}, calm={_s(timeouts): "0x30"}),
        ),
    ]


def _telemetry(clock: Clock) -> list[Rule]:
    w10, w15 = clock.window(10 * M), clock.window(15 * M)
    cache, pushes = catalog.CACHE_LOOKUPS, catalog.PUSHES
    dropped, refresh = catalog.TRACING_SPANS_DROPPED, catalog.REFRESH_FAILURES
    lookups = f"sum({rate(cache, w15)})"
    hits = ratio(f"sum({rate(cache, w15, result='hit')})", lookups)
    hit, miss = (_s(cache, cache="schedule", result=r) for r in ("hit", "miss"))
    return [
        RecordingRule("residency:cache_hit_ratio:rate15m", hits),
        AlertRule(
            "ResidencyCacheHitRatioLow",
            f"{hits} < {t.CACHE_HIT_RATIO} and {lookups} > {t.MIN_CACHE_LOOKUP_RATE}",
            "info",
            "The read cache rarely hits",
            "{{ $value | humanizePercentage }} of cache lookups hit over 15 minutes "
            f"(threshold {t.CACHE_HIT_RATIO:.0%}): Redis evicting, or writes on every read.",
            Example(
                fire={hit: "0+1x90", miss: "0+9x90"},
                calm={hit: "0+9x90", miss: "0+1x90"},
                at=60,
            ),
            for_=clock.window(30 * M),
        ),
        AlertRule(
            "ResidencyPushgatewayExportFailing",
            f"sum({increase(pushes, w15, result='failure')}) > 0",
            "warning",
            "Metrics cannot be pushed to the Pushgateway",
            "{{ $value | humanize }} push(es) failed after every retry in 15 minutes.",
            Example(
                fire={_s(pushes, result="failure"): "0+1x30"},
                calm={_s(pushes, result="failure"): "0x30"},
            ),
            for_=clock.window(5 * M),
        ),
        AlertRule(
            "ResidencySpansDropped",
            f"sum by (exporter, reason) ({increase(dropped, w10)}) > 0",
            "warning",
            "Traces are being lost",
            "{{ $value | humanize }} span(s) for {{ $labels.exporter }} dropped "
            "({{ $labels.reason }}) in 10 minutes.",
            Example(
                fire={_s(dropped, exporter="otlp", reason="export_failed"): "0+5x30"},
                calm={_s(dropped, exporter="otlp", reason="export_failed"): "0x30"},
                labels={"exporter": "otlp", "reason": "export_failed"},
            ),
            for_=clock.window(5 * M),
        ),
        AlertRule(
            "ResidencyMetricsRefreshFailing",
            f"sum by (hook) ({increase(refresh, w10)}) > 0",
            "info",
            "Scrape-time gauges are stale",
            "Refreshing {{ $labels.hook }} failed {{ $value | humanize }} time(s) in 10 "
            "minutes; its gauge keeps its last value.",
            Example(
                fire={_s(refresh, hook="pending_swaps"): "0+1x30"},
                calm={_s(refresh, hook="pending_swaps"): "0x30"},
                labels={"hook": "pending_swaps"},
            ),
            for_=clock.window(10 * M),
        ),
    ]


_AREAS: tuple[Callable[[Clock], list[Rule]], ...] = (
    _availability,
    _requests,
    _target,
    _host,
    _database,
    _compliance,
    _swaps,
    _security,
    _telemetry,
)


def get_all_alert_rules(time_scale: float = 1.0) -> list[Rule]:
    """Every rule, recording rules included. ``time_scale`` multiplies every window and ``for``
    (1 in production; end-to-end tests use a fraction to see alerts fire in seconds)."""
    clock = Clock(time_scale)
    return [rule for area in _AREAS for rule in area(clock)]


def rule_groups(rules: list[Rule], runbook_base: str = RUNBOOK) -> dict[str, Any]:
    """Prometheus' rule file layout: ``{"groups": [{"name": ..., "rules": [...]}]}``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        groups.setdefault(rule.group, []).append(rule.render(runbook_base))
    return {"groups": [{"name": name, "rules": items} for name, items in groups.items()]}


def _operator_manifest(groups: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": t.JOB, "labels": {"app.kubernetes.io/name": t.JOB}},
        "spec": groups,
    }


def export_prometheus_rules(
    path: str | Path = "alerts.yml",
    *,
    format: RuleFormat = "prometheus",
    runbook_base: str = RUNBOOK,
    time_scale: float = 1.0,
) -> Path:
    """Write every rule to ``path`` as a Prometheus rule file (or, with
    ``format="prometheus-operator"``, a ``PrometheusRule`` manifest); returns the path."""
    groups = rule_groups(get_all_alert_rules(time_scale), runbook_base)
    document = _operator_manifest(groups) if format == "prometheus-operator" else groups
    target = Path(path)
    header = (
        "# Generated by `residency-scheduler alerts export`; edit app/core/metrics/alerts.py.\n"
    )
    text = yaml.safe_dump(document, sort_keys=False, width=1_000, allow_unicode=True)
    target.write_text(header + text, encoding="utf-8")
    return target
