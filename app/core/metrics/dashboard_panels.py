"""What each dashboard shows: panels as plain data, their PromQL built from the catalog.

``dashboard_model`` turns these into Grafana JSON with grafana-foundation-sdk. Queries filter on
the dashboards' ``$job`` and ``$instance`` variables and use ``$__rate_interval`` where the window
follows the time range; windows that an alert reads are the alert's (a 5 minute count compared
with a 5 minute threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.metrics import catalog
from app.core.metrics import thresholds as t
from app.core.metrics.promql import increase, quantile, rate, ratio, series
from app.core.metrics.spec import MetricSpec

PROMETHEUS_UID = "prometheus"
RATE = "$__rate_interval"
"""Grafana's window for rate(): at least four scrape intervals, follows the zoom."""
SCOPE = {"job": "~$job", "instance": "~$instance"}
"""The template variables every app series is filtered by."""

PanelKind = Literal["timeseries", "stat", "logs"]


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    exemplar: bool = False
    instant: bool = False
    logql: bool = False
    """A Loki query (the Loki datasource); PromQL otherwise."""


@dataclass(frozen=True)
class PanelSpec:
    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: PanelKind = "timeseries"
    thresholds: tuple[float, ...] = ()
    """Alert thresholds (warning, then critical when there are two)."""
    lower_is_bad: bool = False
    alerts: tuple[str, ...] = ()
    """Alerts about what the panel shows: each links to its runbook section."""
    width: int = 12
    height: int = 8
    sparse: bool = False
    """Events are rare (show points, not only lines)."""


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str
    description: str
    tags: tuple[str, ...]
    panels: tuple[PanelSpec, ...]
    trace_variable: bool = False


def _s(spec: MetricSpec, suffix: str = "", **labels: str) -> str:
    return series(spec, suffix, **SCOPE, **labels)


def _rate(spec: MetricSpec, window: str = RATE, suffix: str = "", **labels: str) -> str:
    return rate(spec, window, suffix, **SCOPE, **labels)


def _increase(spec: MetricSpec, window: str, suffix: str = "", **labels: str) -> str:
    return increase(spec, window, suffix, **SCOPE, **labels)


def _sum(expr: str, by: str = "") -> str:
    return f"sum by ({by}) ({expr})" if by else f"sum({expr})"


def _stat(
    title: str,
    description: str,
    expr: str,
    unit: str,
    *,
    thresholds: tuple[float, ...] = (),
    lower_is_bad: bool = False,
    alerts: tuple[str, ...] = (),
) -> PanelSpec:
    """A single number (the latest value) in a quarter of the width."""
    return PanelSpec(
        title, description, (Query(expr, instant=True),), unit, "stat", thresholds,
        lower_is_bad, alerts, width=6, height=5,
    )  # fmt: skip


# --- Overview --------------------------------------------------------------------------------


def _overview() -> DashboardSpec:
    requests, duration = catalog.HTTP_REQUESTS, catalog.HTTP_REQUEST_DURATION
    cpu = catalog.HOST_CPU_SECONDS
    all_requests = _sum(_rate(requests))
    errors = ratio(_sum(_rate(requests, status="~5..")), all_requests)
    host_busy = f"1 - {ratio(_sum(_rate(cpu, mode='idle')), _sum(_rate(cpu)))}"
    process_cpu = ratio(_sum(_rate(catalog.PROCESS_CPU)), _sum(_s(catalog.HOST_CPU_CORES)))
    pool_busy = ratio(_sum(_rate(catalog.DB_POOL_BUSY_SECONDS)), _sum(_s(catalog.DB_POOL_SIZE)))
    cache = catalog.CACHE_LOOKUPS
    hits = ratio(_sum(_rate(cache, result="hit")), _sum(_rate(cache)))
    memory = ratio(_s(catalog.HOST_MEMORY_AVAILABLE), _s(catalog.HOST_MEMORY_TOTAL))
    disk = ratio(_s(catalog.HOST_FILESYSTEM_FREE), _s(catalog.HOST_FILESYSTEM_SIZE))
    logql = f'{{service="{t.JOB}"}} |= "$trace_id" | json'
    panels = (
        _stat("Request rate", "Requests answered per second, all routes.", all_requests,
              "reqps"),
        _stat("Error rate", "Share of requests answered with a 5xx.", errors, "percentunit",
              thresholds=(t.ERROR_RATIO,), alerts=("ResidencyHighErrorRate",)),
        _stat("Active users", "Users signed in and active recently.",
              _sum(_s(catalog.ACTIVE_USERS)), "short"),
        _stat("Cache hit rate", "Share of cache lookups that hit, all caches.", hits,
              "percentunit", thresholds=(t.CACHE_HIT_RATIO,), lower_is_bad=True,
              alerts=("ResidencyCacheHitRatioLow",)),
        PanelSpec(
            "Request rate by route", "Requests answered per second, by route template.",
            (Query(_sum(_rate(requests), "route"), "{{route}}"),), "reqps",
            alerts=("ResidencyTargetDown", "ResidencyMetricsAbsent"),
        ),
        PanelSpec(
            "Response time (p50, p95, p99)",
            "Latency quantiles of all requests from the duration histogram; the dots are "
            "exemplars: click one to open its trace in Jaeger. Lines: the p95 and p99 alert "
            "thresholds.",
            tuple(
                Query(quantile(q, duration, RATE, **SCOPE), f"p{round(q * 100)}",
                      exemplar=True)
                for q in (0.5, 0.95, 0.99)
            ),
            "s", thresholds=(t.LATENCY_P95_SECONDS, t.LATENCY_P99_SECONDS),
            alerts=("ResidencyHighLatencyP95", "ResidencyHighLatencyP99"),
        ),
        PanelSpec(
            "Error rate by route", "Share of each route's requests answered with a 5xx.",
            (Query(ratio(_sum(_rate(requests, status="~5.."), "route"),
                         _sum(_rate(requests), "route")), "{{route}}"),),
            "percentunit", thresholds=(t.ERROR_RATIO,),
            alerts=("ResidencyHighErrorRate", "ResidencyErrorBudgetBurnFast",
                    "ResidencyErrorBudgetBurnSlow"),
        ),
        PanelSpec(
            "Database connections busy",
            "Mean share of the pool's connections checked out (busy connection-seconds per "
            "second over the pool size), and the connections in use at each scrape.",
            (Query(pool_busy, "busy share of the pool"),),
            "percentunit", thresholds=(t.DB_POOL_BUSY_RATIO,),
            alerts=("ResidencyDbPoolSaturated", "ResidencyDbPoolTimeouts"),
        ),
        PanelSpec(
            "Database connections",
            "Pool size, connections checked out and overflow connections at each scrape.",
            (
                Query(_sum(_s(catalog.DB_POOL_SIZE)), "pool size"),
                Query(_sum(_s(catalog.DB_POOL_CHECKED_OUT)), "checked out"),
                Query(_sum(_s(catalog.DB_POOL_OVERFLOW)), "overflow"),
            ),
        ),
        PanelSpec(
            "CPU", "Host CPU busy (all cores) and the service's processes' share of it.",
            (Query(host_busy, "host busy"), Query(process_cpu, "service processes")),
            "percentunit", thresholds=(t.HOST_CPU_BUSY_RATIO,),
            alerts=("ResidencyHostCpuBusy",),
        ),
        PanelSpec(
            "Memory available", "Share of the host's memory available without swapping.",
            (Query(memory, "{{instance}}"),), "percentunit",
            thresholds=(t.HOST_MEMORY_AVAILABLE_RATIO,), lower_is_bad=True,
            alerts=("ResidencyHostMemoryLow",),
        ),
        PanelSpec(
            "Process memory", "Resident memory of the service's processes.",
            (Query(_sum(_s(catalog.PROCESS_RESIDENT_MEMORY), "instance"), "{{instance}}"),),
            "bytes",
        ),
        PanelSpec(
            "Disk space free",
            "Share of the filesystem holding the service's working directory that is free.",
            (Query(disk, "{{instance}}"),), "percentunit",
            thresholds=(t.HOST_DISK_FREE_RATIO,), lower_is_bad=True,
            alerts=("ResidencyHostDiskLow",),
        ),
        PanelSpec(
            "Disk I/O", "Bytes read from and written to all host disks per second.",
            (
                Query(_sum(_rate(catalog.HOST_DISK_READ)), "read"),
                Query(_sum(_rate(catalog.HOST_DISK_WRITTEN)), "written"),
            ),
            "Bps",
        ),
        PanelSpec(
            "Network I/O",
            "Bytes received and sent per second by the host's interfaces; loopback (lo*) is "
            "excluded, so a local scrape or database is not counted.",
            (
                Query(_sum(_rate(catalog.HOST_NET_RECEIVED)), "received"),
                Query(_sum(_rate(catalog.HOST_NET_TRANSMITTED)), "sent"),
            ),
            "Bps",
        ),
        PanelSpec(
            "Logs (filter by trace id)",
            "The service's log lines from Loki; type a trace id in the Trace id box (or follow "
            "an exemplar's trace) to see only that request's lines. A trace id in a line links "
            "to Jaeger.",
            (Query(logql, logql=True),), "", "logs", width=24, height=10,
        ),
    )  # fmt: skip
    return DashboardSpec(
        "residency-overview", "Residency Scheduler / Overview",
        "Requests, latency, errors, users, database, cache and the host: is the service well?",
        ("overview",), panels, trace_variable=True,
    )  # fmt: skip


# --- Compliance ------------------------------------------------------------------------------


def _compliance() -> DashboardSpec:
    violations, current = catalog.ACGME_VIOLATIONS, catalog.ACGME_CURRENT_VIOLATIONS
    runs = catalog.GENERATION_DURATION
    panels = (
        _stat("ACGME violations (24 h)",
              "ACGME findings reported by validations over the last 24 hours.",
              _sum(_increase(violations, "24h", severity="violation")), "short",
              thresholds=(1,), alerts=("ResidencyAcgmeViolationActive",)),
        _stat("Violations in the active schedule",
              "ACGME violations in the active schedule as of its latest whole validation.",
              f"max({_s(current, severity='violation')})", "short",
              thresholds=(1,), alerts=("ResidencyAcgmeViolationActive",)),
        _stat("Compliance score",
              "Share of resident-blocks of the active schedule without an ACGME violation.",
              f"max({_s(catalog.COMPLIANCE_SCORE)})", "percentunit",
              thresholds=(t.COMPLIANCE_SCORE,), lower_is_bad=True,
              alerts=("ResidencyComplianceScoreLow",)),
        _stat("Schedule overrides (24 h)",
              "Rule-breaking changes kept with a written justification, last 24 hours.",
              _sum(_increase(catalog.OVERRIDES, "24h")), "short"),
        PanelSpec(
            "Violations by rule (24 h)",
            "ACGME findings reported by validations over the last 24 hours, by rule and "
            "severity.",
            (Query(_sum(_increase(violations, "24h"), "rule, severity"),
                   "{{rule}} ({{severity}})"),),
            thresholds=(1,), alerts=("ResidencyAcgmeViolationActive",),
        ),
        PanelSpec(
            "Active schedule findings by rule",
            "Findings in the active schedule as of its latest whole validation, by rule.",
            (Query(f"max by (rule, severity) ({_s(current)})", "{{rule}} ({{severity}})"),),
            thresholds=(1,), alerts=("ResidencyAcgmeViolationActive",),
        ),
        PanelSpec(
            "Compliance score over time",
            "Share of resident-blocks without a violation; the line is the alert threshold.",
            (Query(f"max({_s(catalog.COMPLIANCE_SCORE)})", "score"),),
            "percentunit", thresholds=(t.COMPLIANCE_SCORE,), lower_is_bad=True,
            alerts=("ResidencyComplianceScoreLow",),
        ),
        PanelSpec(
            "Schedule overrides by rule (24 h)",
            "Justified rule-breaking changes over the last 24 hours, by rule broken.",
            (Query(_sum(_increase(catalog.OVERRIDES, "24h"), "rule"), "{{rule}}"),),
            sparse=True,
        ),
        PanelSpec(
            "Schedule generation time (p50, p95)",
            "Wall time of generation runs over the last hour; the line is the p95 alert "
            "threshold.",
            tuple(
                Query(quantile(q, runs, "1h", **SCOPE), f"p{round(q * 100)}")
                for q in (0.5, 0.95)
            ),
            "s", thresholds=(t.GENERATION_P95_SECONDS,),
            alerts=("ResidencyScheduleGenerationSlow",), sparse=True,
        ),
        PanelSpec(
            "Validations (1 h)", "Schedule validations over the last hour, by source and result.",
            (Query(_sum(_increase(catalog.SCHEDULE_VALIDATIONS, "1h"), "source, result"),
                   "{{source}} {{result}}"),),
            sparse=True,
        ),
    )  # fmt: skip
    return DashboardSpec(
        "residency-compliance", "Residency Scheduler / Compliance",
        "ACGME duty-hour compliance of the schedules: violations, overrides, score.",
        ("compliance", "acgme"), panels,
    )  # fmt: skip


# --- Security --------------------------------------------------------------------------------

_SIGN_IN_FAILURES = "~bad_password|unknown_user|locked|inactive"


def _security() -> DashboardSpec:
    failures, limited = catalog.AUTH_FAILURES, catalog.RATE_LIMITED
    suspicious, access = catalog.SUSPICIOUS_ACTIVITY, catalog.DATA_ACCESS
    panels = (
        _stat("Failed sign-ins (5 m)", "Failed sign-in attempts over the last 5 minutes.",
              _sum(_increase(failures, "5m", reason=_SIGN_IN_FAILURES)), "short",
              thresholds=(t.FAILED_SIGN_INS_PER_5M,), alerts=("ResidencyFailedSignInSpike",)),
        _stat("Rate-limit violations (5 m)",
              "Requests refused by a rate limit over the last 5 minutes.",
              _sum(_increase(limited, "5m")), "short",
              thresholds=(t.RATE_LIMITED_PER_5M,), alerts=("ResidencyRateLimitSpike",)),
        _stat("Suspicious activity (10 m)",
              "Suspicious activity events over the last 10 minutes.",
              _sum(_increase(suspicious, "10m")), "short",
              thresholds=(1,), alerts=("ResidencySuspiciousActivity",)),
        _stat("Data access (1 h)", "Reads and changes of protected data in the last hour.",
              _sum(_increase(access, "1h")), "short",
              alerts=("ResidencyUnusualDataAccess",)),
        PanelSpec(
            "Failed sign-in attempts by reason (5 m)",
            "Failed authentication attempts per 5 minutes, by reason; the line is the alert "
            "threshold (all sign-in reasons together).",
            (Query(_sum(_increase(failures, "5m"), "reason"), "{{reason}}"),),
            thresholds=(t.FAILED_SIGN_INS_PER_5M,), alerts=("ResidencyFailedSignInSpike",),
        ),
        PanelSpec(
            "Rate-limit violations by scope (5 m)",
            "Requests refused by a rate limit per 5 minutes, by scope.",
            (Query(_sum(_increase(limited, "5m"), "scope"), "{{scope}}"),),
            thresholds=(t.RATE_LIMITED_PER_5M,), alerts=("ResidencyRateLimitSpike",),
        ),
        PanelSpec(
            "Suspicious activity by kind (10 m)",
            "Brute force, refresh-token reuse, cross-resident access, export volume.",
            (Query(_sum(_increase(suspicious, "10m"), "kind"), "{{kind}}"),),
            thresholds=(1,), alerts=("ResidencySuspiciousActivity",), sparse=True,
        ),
        PanelSpec(
            "Data access events",
            "Reads and changes of protected data per second, by resource type and action.",
            (Query(_sum(_rate(access), "resource_type, action"),
                   "{{resource_type}} {{action}}"),),
            "ops", alerts=("ResidencyUnusualDataAccess",),
        ),
        PanelSpec(
            "Access denied (5 m)",
            "Requests refused for lack of role or ownership per 5 minutes, by resource type.",
            (Query(_sum(_increase(catalog.ACCESS_DENIED, "5m"), "resource_type"),
                   "{{resource_type}}"),),
        ),
    )  # fmt: skip
    return DashboardSpec(
        "residency-security", "Residency Scheduler / Security",
        "Sign-in failures, rate limits, suspicious activity and protected-data access.",
        ("security",), panels,
    )  # fmt: skip


# --- Generation jobs -------------------------------------------------------------------------


def _generation() -> DashboardSpec:
    runs = catalog.GENERATION_DURATION
    moves = catalog.SWAP_TRANSITIONS
    mean = ratio(_sum(_rate(runs, "1h", "sum")), _sum(_rate(runs, "1h", "count")))
    panels = (
        _stat("Failed generation runs (1 h)",
              "Runs that ended infeasible, timed out or failed in the last hour.",
              _sum(_increase(runs, "1h", "count", outcome="~infeasible|timeout|error")),
              "short", thresholds=(1,), alerts=("ResidencyScheduleGenerationFailing",)),
        _stat("Generation p95 (1 h)", "95th percentile wall time of runs in the last hour.",
              quantile(0.95, runs, "1h", **SCOPE), "s",
              thresholds=(t.GENERATION_P95_SECONDS,),
              alerts=("ResidencyScheduleGenerationSlow",)),
        _stat("Swap requests pending", "Swap requests awaiting a decision.",
              f"max({_s(catalog.SWAPS_PENDING)})", "short",
              alerts=("ResidencySwapBacklogAgeing",)),
        _stat("Mean generation time (1 h)", "Mean wall time of runs in the last hour.", mean,
              "s"),
        PanelSpec(
            "Generation runs by outcome (1 h)", "Runs per hour by how they ended.",
            (Query(_sum(_increase(runs, "1h", "count"), "outcome"), "{{outcome}}"),),
            alerts=("ResidencyScheduleGenerationFailing",), sparse=True,
        ),
        PanelSpec(
            "Generation time (p50, p95, p99)",
            "Wall time of runs over the last hour; the line is the p95 alert threshold.",
            tuple(
                Query(quantile(q, runs, "1h", **SCOPE), f"p{round(q * 100)}")
                for q in (0.5, 0.95, 0.99)
            ),
            "s", thresholds=(t.GENERATION_P95_SECONDS,),
            alerts=("ResidencyScheduleGenerationSlow",), sparse=True,
        ),
        PanelSpec(
            "Swap transitions (1 h)", "Swap request state changes per hour, by state entered.",
            (Query(_sum(_increase(moves, "1h"), "to_state"), "{{to_state}}"),),
            alerts=("ResidencySwapBacklogAgeing",), sparse=True,
        ),
        PanelSpec(
            "User actions", "Actions taken by signed-in users per second, by action.",
            (Query(_sum(_rate(catalog.USER_ACTIONS), "action"), "{{action}}"),), "ops",
        ),
    )  # fmt: skip
    return DashboardSpec(
        "residency-generation", "Residency Scheduler / Generation jobs",
        "Schedule generation runs, their time and outcome, and the swap workflow.",
        ("generation", "swaps"), panels,
    )  # fmt: skip


# --- Telemetry health ------------------------------------------------------------------------


def _telemetry() -> DashboardSpec:
    pushes, dropped = catalog.PUSHES, catalog.TRACING_SPANS_DROPPED
    refresh = catalog.REFRESH_FAILURES
    scrape = 'scrape_duration_seconds{job=~"$job",instance=~"$instance"}'
    up = 'up{job=~"$job",instance=~"$instance"}'
    panels = (
        _stat("Targets up", "Scrape targets of the job that answer GET /metrics.",
              f"sum({up})", "short", alerts=("ResidencyTargetDown", "ResidencyMetricsAbsent")),
        _stat("Pushgateway failures (15 m)",
              "Pushes that failed after every retry in the last 15 minutes.",
              _sum(_increase(pushes, "15m", result="failure")), "short", thresholds=(1,),
              alerts=("ResidencyPushgatewayExportFailing",)),
        _stat("Spans dropped (10 m)", "Sampled spans that never reached their exporter.",
              _sum(_increase(dropped, "10m")), "short", thresholds=(1,),
              alerts=("ResidencySpansDropped",)),
        _stat("Refresh failures (10 m)", "Scrape-time gauge refreshes that failed.",
              _sum(_increase(refresh, "10m")), "short", thresholds=(1,),
              alerts=("ResidencyMetricsRefreshFailing",)),
        PanelSpec(
            "Scrape duration", "How long Prometheus takes to scrape each target.",
            (Query(scrape, "{{instance}}"),), "s", alerts=("ResidencyTargetDown",),
        ),
        PanelSpec(
            "Pushgateway pushes (15 m)", "Batches pushed per 15 minutes, by result, and retries.",
            (
                Query(_sum(_increase(pushes, "15m"), "result"), "{{result}}"),
                Query(_sum(_increase(catalog.PUSH_RETRIES, "15m")), "retries"),
            ),
            alerts=("ResidencyPushgatewayExportFailing",),
        ),
        PanelSpec(
            "Dropped spans (10 m)", "Spans lost per 10 minutes, by exporter and reason.",
            (Query(_sum(_increase(dropped, "10m"), "exporter, reason"),
                   "{{exporter}} {{reason}}"),),
            thresholds=(1,), alerts=("ResidencySpansDropped",),
        ),
        PanelSpec(
            "Metrics refresh failures (10 m)",
            "Scrape-time refreshes that failed per 10 minutes, by hook (the gauge keeps its "
            "last value).",
            (Query(_sum(_increase(refresh, "10m"), "hook"), "{{hook}}"),),
            thresholds=(1,), alerts=("ResidencyMetricsRefreshFailing",),
        ),
    )  # fmt: skip
    return DashboardSpec(
        "residency-telemetry", "Residency Scheduler / Telemetry health",
        "Is the monitoring itself working: scrapes, pushes, traces, scrape-time refreshes.",
        ("telemetry",), panels,
    )  # fmt: skip


def dashboard_specs() -> tuple[DashboardSpec, ...]:
    return (_overview(), _compliance(), _security(), _generation(), _telemetry())
