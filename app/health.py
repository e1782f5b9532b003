"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.services import DatabaseDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(database: DatabaseDep) -> JSONResponse:
    """Ready to take traffic: the database answers a query."""
    try:
        await database.ping()
    except Exception as exc:
        logger.warning("readiness check failed: database unreachable (%s)", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status_code=503
        )
    return JSONResponse({"status": "ok", "checks": {"database": "ok"}})
