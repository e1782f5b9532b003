"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from app.db.engine import Database
from app.db.migrate import SchemaOutOfDate, head_revision, stored_revision
from app.services import AppServices, Services

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
T = TypeVar("T")
_abandoned: set[asyncio.Future[Any]] = set()  # probes given up on, finishing their cleanup


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(services: AppServices) -> JSONResponse:
    """Ready to take traffic: the database answers within ``READY_TIMEOUT_SECONDS`` and is at
    the schema this code needs (else 503: every API call would fail). Redis is reported but
    never fails the probe: every part using it fails open, so an unreachable Redis is
    ``"status": "degraded"`` with a 200."""
    timeout = services.settings.ready_timeout_seconds
    database, redis = await asyncio.gather(
        _database_ok(services, timeout), _redis_ok(services.redis, timeout)
    )
    checks = {"database": database}
    if redis is not None:
        checks["redis"] = "ok" if redis else "unreachable"
    if database != "ok":
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    status = "ok" if redis is not False else "degraded"
    return JSONResponse({"status": status, "checks": checks})


async def _database_ok(services: Services, seconds: float) -> str:
    """``ok``, ``unreachable``, or ``not migrated`` (run ``residency-scheduler migrate``)."""
    try:
        stored = await _within(seconds, _stored_revision(services.database))
    except Exception as exc:
        logger.warning("readiness check failed: database unreachable (%s)", type(exc).__name__)
        return "unreachable"
    if stored != head_revision():
        logger.warning("readiness check failed: %s", SchemaOutOfDate(stored, head_revision()))
        return "not migrated"
    return "ok"


async def _stored_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await stored_revision(connection)


async def _redis_ok(redis: Redis | None, seconds: float) -> bool | None:
    """None without Redis; False when it does not answer a PING within ``seconds``."""
    if redis is None:
        return None
    try:
        await _within(seconds, redis.ping())
    except Exception as exc:
        logger.warning("readiness: redis unreachable (%s); running degraded", type(exc).__name__)
        return False
    return True


async def _within(seconds: float, probe: Awaitable[T]) -> T:
    """Run ``probe``; raise ``TimeoutError`` after ``seconds`` without waiting for its cleanup
    (closing a connection to a frozen server waits out that server's own timeouts)."""
    task = asyncio.ensure_future(probe)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)
    raise TimeoutError(f"no answer within {seconds} s")


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failure while giving up is expected, not news
