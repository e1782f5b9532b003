"""EventLog: one line per domain event, the same events the metrics count, no personal data."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
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
from app.core.context import user_id_var
from app.core.logging.events import DOMAIN_LOGGER, EVENT_NAMES, EventLog
from app.core.logging.testing import capture_logs
from app.core.metrics.registry import AppMetrics
from app.core.metrics.subscribers import MetricsSink
from app.events import bus, publish
from app.security.events import RedisUnavailable
from app.swaps.events import SwapState, SwapTransitioned
from tests.support.api import API, client_for, create_user
from tests.support.canaries import CANARIES, CANARY_EMAIL, CANARY_NAME, CANARY_PASSWORD

# (event, its line's ``event``, level, fields)
CASES: list[tuple[object, str, str, dict[str, Any]]] = [
    (AuthenticationFailed("bad_password"), "login_failed", "warning", {"reason": "bad_password"}),
    (AuthenticationFailed("unknown_user"), "login_failed", "warning", {"reason": "unknown_user"}),
    (AuthenticationFailed("locked"), "login_locked", "warning", {"reason": "locked"}),
    (
        AuthenticationFailed("expired_token"),
        "token_rejected",
        "warning",
        {"reason": "expired_token"},
    ),
    (AccessDenied("schedule"), "access_denied", "warning", {"resource_type": "schedule"}),
    (RateLimitExceeded("login"), "rate_limited", "warning", {"scope": "login"}),
    (SuspiciousActivity("brute_force"), "suspicious_activity", "warning", {"kind": "brute_force"}),
    (
        DataAccessed("export", "export"),
        "data_accessed",
        "info",
        {"resource_type": "export", "action": "export"},
    ),
    (UserAction("swap_request"), "user_action", "info", {"action": "swap_request"}),
    (
        ScheduleValidated(
            "upload",
            valid=False,
            compliance_score=87.5,
            counts={("hours_80_weekly", "violation"): 2, ("one_day_off_in_7", "violation"): 0},
            covers_active_schedule=True,
        ),
        "schedule_validated",
        "info",
        {
            "source": "upload",
            "valid": False,
            "compliance_score": 87.5,
            "findings": {"hours_80_weekly:violation": 2},
            "active_schedule": True,
        },
    ),
    (
        ScheduleGenerated("infeasible", 12.34567, 24),
        "schedule_generated",
        "info",
        {"outcome": "infeasible", "duration_seconds": 12.346, "residents": 24},
    ),
    (ScheduleGenerated("error", 0.0, 3), "schedule_generated", "warning", {"outcome": "error"}),
    (
        OverrideRecorded(("hours_80_weekly", "in_house_call_q3")),
        "override_recorded",
        "info",
        {"rules": ["hours_80_weekly", "in_house_call_q3"]},
    ),
    (
        SwapTransitioned(None, SwapState.PENDING),
        "swap_transitioned",
        "info",
        {"from_state": "created", "to_state": "pending"},
    ),
    (
        SwapTransitioned(SwapState.APPROVED, SwapState.EXECUTED),
        "swap_transitioned",
        "info",
        {"from_state": "approved", "to_state": "executed"},
    ),
    (
        CacheLookup("schedule", hit=True),
        "cache_lookup",
        "debug",
        {"cache": "schedule", "hit": True},
    ),
    (RedisUnavailable("limiter"), "redis_unavailable", "warning", {"part": "limiter"}),
]

BOILERPLATE = {"timestamp", "level", "logger", "event", "service", "environment", "version"}


@pytest.fixture
def debug_logging() -> None:
    from app.core.config import Settings
    from app.core.logging import configure_logging

    configure_logging(Settings(environment="test", log_level="DEBUG"))


@pytest.mark.parametrize(("event", "name", "level", "fields"), CASES)
def test_each_event_is_one_line_with_its_enumerated_fields(
    debug_logging: None, event: object, name: str, level: str, fields: dict[str, Any]
) -> None:
    with bus.subscribed(EventLog().handlers), capture_logs() as lines:
        publish(event)
    (line,) = lines
    assert (line["logger"], line["event"], line["level"]) == (DOMAIN_LOGGER, name, level)
    assert {key: line[key] for key in fields} == fields
    extra = set(line) - BOILERPLATE - {"request_id", "user_pseudonym"}
    assert extra <= set(fields) | {"findings", "active_schedule", "duration_seconds", "residents"}
    assert name in EVENT_NAMES


def test_the_log_subscribes_to_every_event_the_metrics_count() -> None:
    assert set(EventLog().handlers) == set(MetricsSink(AppMetrics()).handlers)
    assert {type(event) for event, *_ in CASES} == set(EventLog().handlers)


def test_a_signed_in_caller_is_a_pseudonym_never_an_id() -> None:
    token = user_id_var.set(4242)
    try:
        with bus.subscribed(EventLog().handlers), capture_logs() as lines:
            publish(UserAction("person_edit"))
    finally:
        user_id_var.reset(token)
    (line,) = lines
    assert line["user_pseudonym"].startswith("u_")
    assert "4242" not in lines.raw[0]


async def test_a_failed_sign_in_through_the_api_is_a_line_loki_finds(
    log_app: FastAPI, log_file: Path
) -> None:
    """``{service="residency-scheduler"} |= "login_failed"`` finds it, with no personal data,
    whatever the caller typed as username and password (the canaries)."""
    async with client_for(log_app) as client:
        await create_user(log_app, "admin", username=CANARY_EMAIL, password="right-password-1")
        with capture_logs() as lines:
            wrong = {"username": CANARY_EMAIL, "password": CANARY_PASSWORD}
            assert (await client.post(f"{API}/auth/login", json=wrong)).status_code == 401
            unknown = {"username": CANARY_NAME, "password": CANARY_PASSWORD}
            assert (await client.post(f"{API}/auth/login", json=unknown)).status_code == 401
    found = [raw for raw in lines.raw if "login_failed" in raw]  # the query's line filter
    assert len(found) == 2
    failed = lines.find(event="login_failed")
    assert [line["reason"] for line in failed] == ["bad_password", "unknown_user"]
    assert all(line["level"] == "warning" and line["request_id"] for line in failed)
    access = lines.find(event="request", status=401)
    assert {line["request_id"] for line in access} == {line["request_id"] for line in failed}
    written = await asyncio.to_thread(log_file.read_text)
    assert written.count('"login_failed"') == 2  # the file Promtail ships, too
    for canary in CANARIES:
        assert canary not in written
        assert not any(canary in raw for raw in lines.raw)


async def test_no_line_once_the_app_has_stopped(log_app: FastAPI) -> None:
    async with client_for(log_app):
        pass
    with capture_logs() as lines:
        publish(RateLimitExceeded("api"))
    assert lines.find(logger=DOMAIN_LOGGER) == []
