"""Domain events (``app.events``) as log lines: one line per event, the story a metric counts.

The log stream subscribes to the same events as the metrics, so a Loki query finds each fact a
counter counted (``{service="residency-scheduler"} |= "login_failed"``). Every line is written by
the ``app.domain`` logger; its ``event`` is a fixed name and its fields are the event's own
enumerated values (reasons, rule ids, states, counts): never a user id, username, name, email or
address. A signed-in caller is followed by the ``user_pseudonym`` every line of a request
carries (:class:`app.core.logging.processors.RequestContext`).

Security facts (failed sign-ins, lockouts, denied access, rate limits, suspicious activity) and
outages are ``warning``; everything else is ``info``, except cache lookups, which happen on
most requests and are ``debug``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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
from app.core.logging.config import get_logger
from app.security.events import RedisUnavailable
from app.swaps.events import SwapTransitioned

DOMAIN_LOGGER = "app.domain"

SIGN_IN_REASONS = frozenset({"bad_password", "unknown_user", "inactive"})
"""Reasons of :class:`AuthenticationFailed` that are a refused sign-in (``login_failed``);
``locked`` is a lockout (``login_locked``), the rest are rejected tokens (``token_rejected``)."""

EVENT_NAMES = (
    "login_failed",
    "login_locked",
    "token_rejected",
    "access_denied",
    "rate_limited",
    "suspicious_activity",
    "data_accessed",
    "user_action",
    "schedule_validated",
    "schedule_generated",
    "override_recorded",
    "swap_transitioned",
    "cache_lookup",
    "redis_unavailable",
)
"""Every ``event`` value this module writes."""


def authentication_event(reason: str) -> str:
    if reason == "locked":
        return "login_locked"
    return "login_failed" if reason in SIGN_IN_REASONS else "token_rejected"


class EventLog:
    """Log lines from domain events; ``handlers`` is what a lifespan subscribes to the bus."""

    def __init__(self, logger_name: str = DOMAIN_LOGGER) -> None:
        self._log = get_logger(logger_name)
        self.handlers: dict[type, Callable[[Any], None]] = {
            AuthenticationFailed: self.authentication_failed,
            AccessDenied: self.access_denied,
            RateLimitExceeded: self.rate_limit_exceeded,
            SuspiciousActivity: self.suspicious_activity,
            DataAccessed: self.data_accessed,
            UserAction: self.user_action,
            ScheduleValidated: self.schedule_validated,
            ScheduleGenerated: self.schedule_generated,
            OverrideRecorded: self.override_recorded,
            SwapTransitioned: self.swap_transitioned,
            CacheLookup: self.cache_lookup,
            RedisUnavailable: self.redis_unavailable,
        }

    def _write(self, level: int, event: str, **fields: Any) -> None:
        self._log.log(level, event, **fields)

    def authentication_failed(self, event: AuthenticationFailed) -> None:
        name = authentication_event(event.reason)
        self._write(logging.WARNING, name, reason=event.reason)

    def access_denied(self, event: AccessDenied) -> None:
        self._write(logging.WARNING, "access_denied", resource_type=event.resource_type)

    def rate_limit_exceeded(self, event: RateLimitExceeded) -> None:
        self._write(logging.WARNING, "rate_limited", scope=event.scope)

    def suspicious_activity(self, event: SuspiciousActivity) -> None:
        self._write(logging.WARNING, "suspicious_activity", kind=event.kind)

    def data_accessed(self, event: DataAccessed) -> None:
        self._write(
            logging.INFO, "data_accessed", resource_type=event.resource_type, action=event.action
        )

    def user_action(self, event: UserAction) -> None:
        self._write(logging.INFO, "user_action", action=event.action)

    def schedule_validated(self, event: ScheduleValidated) -> None:
        findings = {
            f"{rule}:{severity}": count for (rule, severity), count in event.counts.items() if count
        }
        self._write(
            logging.INFO,
            "schedule_validated",
            source=event.source,
            valid=event.valid,
            compliance_score=event.compliance_score,
            findings=findings,
            active_schedule=event.covers_active_schedule,
        )

    def schedule_generated(self, event: ScheduleGenerated) -> None:
        self._write(
            logging.WARNING if event.outcome == "error" else logging.INFO,
            "schedule_generated",
            outcome=event.outcome,
            duration_seconds=round(event.duration_seconds, 3),
            residents=event.residents,
        )

    def override_recorded(self, event: OverrideRecorded) -> None:
        self._write(logging.INFO, "override_recorded", rules=list(event.rules))

    def swap_transitioned(self, event: SwapTransitioned) -> None:
        source = "created" if event.from_state is None else str(event.from_state)
        self._write(
            logging.INFO, "swap_transitioned", from_state=source, to_state=str(event.to_state)
        )

    def cache_lookup(self, event: CacheLookup) -> None:
        self._write(logging.DEBUG, "cache_lookup", cache=event.cache, hit=event.hit)

    def redis_unavailable(self, event: RedisUnavailable) -> None:
        self._write(logging.WARNING, "redis_unavailable", part=event.part)
