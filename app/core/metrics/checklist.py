"""The guide's Monitoring Checklist, item by item: the metrics that serve it and a PromQL
query that answers it. ``docs/metrics.md`` prints them; the end-to-end test runs every query
against a real Prometheus scraping the app. Queries aggregate with ``sum()`` before dividing,
so ratios are right across routes, workers and replicas.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.metrics import catalog as c
from app.core.metrics.spec import MetricSpec


@dataclass(frozen=True, slots=True)
class Query:
    title: str
    promql: str


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    section: str
    item: str
    queries: tuple[Query, ...]

    @property
    def metrics(self) -> tuple[MetricSpec, ...]:
        return tuple(spec for spec in c.CATALOG if self.item in spec.checklist)


def _rate(name: str, selector: str = "", window: str = "5m") -> str:
    return f"rate({name}{selector}[{window}])"


def _quantile(q: float, spec: MetricSpec, window: str = "5m") -> str:
    return f"histogram_quantile({q}, sum by (le) ({_rate(spec.bucket, window=window)}))"


_IDLE = '{mode="idle"}'
_5XX = '{status=~"5.."}'
_HIT = '{result="hit"}'

CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("System Metrics", "CPU usage", (
        Query(
            "host CPU busy (0-1)",
            f"1 - sum({_rate(c.HOST_CPU_SECONDS.name, _IDLE)}) "
            f"/ sum({_rate(c.HOST_CPU_SECONDS.name)})",
        ),
        Query("service CPU (cores)", f"sum({_rate(c.PROCESS_CPU.name)})"),
    )),
    ChecklistItem("System Metrics", "Memory usage", (
        Query(
            "host memory used (0-1)",
            f"1 - sum({c.HOST_MEMORY_AVAILABLE.name}) / sum({c.HOST_MEMORY_TOTAL.name})",
        ),
        Query("service resident memory (bytes)", f"sum({c.PROCESS_RESIDENT_MEMORY.name})"),
    )),
    ChecklistItem("System Metrics", "Disk I/O", (
        Query(
            "disk bytes/s (read + written)",
            f"sum({_rate(c.HOST_DISK_READ.name)}) + sum({_rate(c.HOST_DISK_WRITTEN.name)})",
        ),
    )),
    ChecklistItem("System Metrics", "Network I/O", (
        Query(
            "network bytes/s (in + out)",
            f"sum({_rate(c.HOST_NET_RECEIVED.name)}) "
            f"+ sum({_rate(c.HOST_NET_TRANSMITTED.name)})",
        ),
    )),
    ChecklistItem("System Metrics", "Process metrics", (
        Query("open file descriptors", f"sum({c.PROCESS_OPEN_FDS.name})"),
        Query("workers", f"sum({c.SERVER_WORKERS.name})"),
    )),
    ChecklistItem("Application Metrics", "Request rate", (
        Query("requests/s", f"sum({_rate(c.HTTP_REQUESTS.name)})"),
        Query("requests in progress", f"sum({c.HTTP_REQUESTS_IN_PROGRESS.name})"),
    )),
    ChecklistItem("Application Metrics", "Response time (p50, p95, p99)", (
        Query("p50 (s)", _quantile(0.5, c.HTTP_REQUEST_DURATION)),
        Query("p95 (s)", _quantile(0.95, c.HTTP_REQUEST_DURATION)),
        Query("p99 (s)", _quantile(0.99, c.HTTP_REQUEST_DURATION)),
    )),
    ChecklistItem("Application Metrics", "Error rate", (
        Query(
            "5xx share of requests (0-1)",
            f"(sum({_rate(c.HTTP_REQUESTS.name, _5XX)}) or vector(0)) "
            f"/ sum({_rate(c.HTTP_REQUESTS.name)})",
        ),
    )),
    ChecklistItem("Application Metrics", "Active users", (
        Query("active users", f"max({c.ACTIVE_USERS.name})"),
    )),
    ChecklistItem("Application Metrics", "Database connections", (
        Query("connections busy (mean over 5m)", f"sum(rate({c.DB_POOL_BUSY_SECONDS.name}[5m]))"),
        Query(
            "pool busy (0-1)",
            f"sum(rate({c.DB_POOL_BUSY_SECONDS.name}[5m])) / sum({c.DB_POOL_SIZE.name})",
        ),
        Query("connections in use at the scrape", f"sum({c.DB_POOL_CHECKED_OUT.name})"),
    )),
    ChecklistItem("Application Metrics", "Cache hit rate", (
        Query(
            "hits / lookups (0-1)",
            f"sum({_rate(c.CACHE_LOOKUPS.name, _HIT)}) / sum({_rate(c.CACHE_LOOKUPS.name)})",
        ),
    )),
    ChecklistItem("Business Metrics", "ACGME violations", (
        Query(
            "findings in 24 h by rule",
            f"sum by (rule) (increase({c.ACGME_VIOLATIONS.name}[24h]))",
        ),
        Query(
            "current violations by rule",
            f"sum by (rule) ({c.ACGME_CURRENT_VIOLATIONS.name})",
        ),
    )),
    ChecklistItem("Business Metrics", "Schedule generation time", (
        Query("p95 generation time (s)", _quantile(0.95, c.GENERATION_DURATION, "1h")),
        Query("runs in 24 h", f"sum(increase({c.GENERATION_DURATION.count}[24h]))"),
    )),
    ChecklistItem("Business Metrics", "Swap requests", (
        Query(
            "transitions in 24 h",
            f"sum by (to_state) (increase({c.SWAP_TRANSITIONS.name}[24h]))",
        ),
        Query("awaiting decision", f"max({c.SWAPS_PENDING.name})"),
    )),
    ChecklistItem("Business Metrics", "User activity", (
        Query("actions/s by action", f"sum by (action) ({_rate(c.USER_ACTIONS.name)})"),
    )),
    ChecklistItem("Business Metrics", "Compliance score", (
        Query("compliance score (0-1)", f"min({c.COMPLIANCE_SCORE.name})"),
    )),
    ChecklistItem("Security Metrics", "Failed authentication attempts", (
        Query(
            "failures in 1 h by reason",
            f"sum by (reason) (increase({c.AUTH_FAILURES.name}[1h]))",
        ),
    )),
    ChecklistItem("Security Metrics", "Rate limit violations", (
        Query(
            "refusals in 1 h by scope",
            f"sum by (scope) (increase({c.RATE_LIMITED.name}[1h]))",
        ),
    )),
    ChecklistItem("Security Metrics", "Suspicious activity", (
        Query(
            "events in 1 h by kind",
            f"sum by (kind) (increase({c.SUSPICIOUS_ACTIVITY.name}[1h]))",
        ),
    )),
    ChecklistItem("Security Metrics", "Data access events", (
        Query(
            "accesses/s by resource and action",
            f"sum by (resource_type, action) ({_rate(c.DATA_ACCESS.name)})",
        ),
    )),
)  # fmt: skip
