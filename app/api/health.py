"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.api.dependencies import get_database
from app.db.engine import Database

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and serving; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(database: Annotated[Database, Depends(get_database)]) -> JSONResponse:
    """Ready to take traffic: the database answers a query."""
    try:
        await database.ping()
    except Exception as exc:
        logger.warning("readiness check failed: database unreachable (%s)", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status_code=503
        )
    return JSONResponse({"status": "ok", "checks": {"database": "ok"}})
