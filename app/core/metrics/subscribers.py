"""Domain events (``app.events``) turned into metrics.

Each app has its own registry and its own :class:`MetricsSink`, whose handlers the app's
lifespan subscribes to the process bus and unsubscribes when it ends. Label values are folded
into the catalog's allowed values (``other`` for the unexpected).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import Gauge

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
from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.core.metrics.spec import Label
from app.core.metrics.vocabulary import OTHER
from app.security.events import RedisUnavailable
from app.swaps.events import SwapTransitioned

logger = logging.getLogger(__name__)


def bounded(value: object, label: Label) -> str:
    """``value`` as a label value, or ``other`` when it is not one the catalog allows."""
    text = str(value)
    allowed = label.values
    return text if allowed is None or text in allowed else OTHER


def show_active_schedule(
    current: Gauge, score: Gauge, counts: Mapping[tuple[str, str], int], compliance_score: float
) -> None:
    """Set the active schedule's gauges: findings by (rule, severity), every known pair
    included (0 when absent), and the score as a ratio."""
    found: dict[tuple[str, str], int] = {}
    for (rule, severity), count in counts.items():
        key = (bounded(rule, catalog.RULE), bounded(severity, catalog.SEVERITY))
        found[key] = found.get(key, 0) + count
    for rule, severity in catalog.ACGME_CURRENT_VIOLATIONS.initial:
        current.labels(rule, severity).set(found.pop((rule, severity), 0))
    for (rule, severity), count in found.items():  # folded into "other"
        current.labels(rule, severity).set(count)
    score.set(max(0.0, min(1.0, compliance_score / 100)))


class MetricsSink:
    """One app's metrics, updated from domain events."""

    def __init__(self, metrics: AppMetrics) -> None:
        m = metrics
        self._violations = m.counter(catalog.ACGME_VIOLATIONS)
        self._current = m.gauge(catalog.ACGME_CURRENT_VIOLATIONS)
        self._score = m.gauge(catalog.COMPLIANCE_SCORE)
        self._validations = m.counter(catalog.SCHEDULE_VALIDATIONS)
        self._generation = m.histogram(catalog.GENERATION_DURATION)
        self._overrides = m.counter(catalog.OVERRIDES)
        self._swaps = m.counter(catalog.SWAP_TRANSITIONS)
        self._actions = m.counter(catalog.USER_ACTIONS)
        self._auth_failures = m.counter(catalog.AUTH_FAILURES)
        self._denied = m.counter(catalog.ACCESS_DENIED)
        self._rate_limited = m.counter(catalog.RATE_LIMITED)
        self._suspicious = m.counter(catalog.SUSPICIOUS_ACTIVITY)
        self._data_access = m.counter(catalog.DATA_ACCESS)
        self._cache = m.counter(catalog.CACHE_LOOKUPS)
        self._redis_errors = m.counter(catalog.REDIS_ERRORS)
        self.handlers: dict[type, Callable[[Any], None]] = {
            ScheduleValidated: self.schedule_validated,
            ScheduleGenerated: self.schedule_generated,
            OverrideRecorded: self.override_recorded,
            SwapTransitioned: self.swap_transitioned,
            UserAction: self.user_action,
            AuthenticationFailed: self.authentication_failed,
            AccessDenied: self.access_denied,
            RateLimitExceeded: self.rate_limit_exceeded,
            SuspiciousActivity: self.suspicious_activity,
            DataAccessed: self.data_accessed,
            CacheLookup: self.cache_lookup,
            RedisUnavailable: self.redis_unavailable,
        }

    def schedule_validated(self, event: ScheduleValidated) -> None:
        found: dict[tuple[str, str], int] = {}
        for (rule, severity), count in event.counts.items():
            key = (bounded(rule, catalog.RULE), bounded(severity, catalog.SEVERITY))
            found[key] = found.get(key, 0) + count
        for (rule, severity), count in found.items():
            if count > 0:
                self._violations.labels(rule, severity).inc(count)
        result = "valid" if event.valid else "invalid"
        self._validations.labels(bounded(event.source, catalog.VALIDATION_SOURCE), result).inc()
        if event.covers_active_schedule:
            show_active_schedule(self._current, self._score, found, event.compliance_score)

    def schedule_generated(self, event: ScheduleGenerated) -> None:
        outcome = bounded(event.outcome, catalog.OUTCOME)
        self._generation.labels(outcome).observe(max(0.0, event.duration_seconds))

    def override_recorded(self, event: OverrideRecorded) -> None:
        for rule in event.rules:
            self._overrides.labels(bounded(rule, catalog.RULE)).inc()

    def swap_transitioned(self, event: SwapTransitioned) -> None:
        source = (
            catalog.SWAP_CREATED_FROM
            if event.from_state is None
            else bounded(event.from_state, catalog.SWAP_FROM)
        )
        self._swaps.labels(source, bounded(event.to_state, catalog.SWAP_TO)).inc()

    def user_action(self, event: UserAction) -> None:
        self._actions.labels(bounded(event.action, catalog.USER_ACTION)).inc()

    def authentication_failed(self, event: AuthenticationFailed) -> None:
        self._auth_failures.labels(bounded(event.reason, catalog.AUTH_REASON)).inc()

    def access_denied(self, event: AccessDenied) -> None:
        self._denied.labels(bounded(event.resource_type, catalog.RESOURCE_TYPE)).inc()

    def rate_limit_exceeded(self, event: RateLimitExceeded) -> None:
        self._rate_limited.labels(bounded(event.scope, catalog.RATE_LIMIT_SCOPE)).inc()

    def suspicious_activity(self, event: SuspiciousActivity) -> None:
        self._suspicious.labels(bounded(event.kind, catalog.SUSPICIOUS_KIND)).inc()

    def data_accessed(self, event: DataAccessed) -> None:
        resource = bounded(event.resource_type, catalog.RESOURCE_TYPE)
        self._data_access.labels(resource, bounded(event.action, catalog.ACCESS_ACTION)).inc()

    def cache_lookup(self, event: CacheLookup) -> None:
        result = "hit" if event.hit else "miss"
        self._cache.labels(bounded(event.cache, catalog.CACHE), result).inc()

    def redis_unavailable(self, event: RedisUnavailable) -> None:
        self._redis_errors.labels(bounded(event.part, catalog.REDIS_PART)).inc()
