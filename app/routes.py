"""Every router of the service, in one list (``create_app()`` includes them in this order).

Each versioned router declares the full ``/api/v1`` prefix itself, so the route template the
request telemetry layer reads from ``scope["route"]`` is the whole path.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.audit.api import router as audit_router
from app.auth.api import router as auth_router
from app.auth.users_api import router as users_router
from app.compliance.api import router as compliance_router
from app.core.metrics.endpoint import router as metrics_router
from app.generation.api import router as generation_router
from app.health import router as health_router
from app.people.api import router as people_router
from app.people.calendar_api import router as calendar_router
from app.rotations.api import router as rotations_router
from app.schedules.api import router as schedules_router
from app.schedules.fairness_api import router as fairness_router
from app.swaps.api import router as swaps_router

ROUTERS: tuple[APIRouter, ...] = (
    health_router,
    metrics_router,
    people_router,
    calendar_router,
    rotations_router,
    schedules_router,
    fairness_router,
    compliance_router,
    generation_router,
    auth_router,
    users_router,
    swaps_router,
    audit_router,
)
