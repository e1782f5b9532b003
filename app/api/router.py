"""Every versioned route, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from app.compliance.api import router as compliance_router
from app.generation.api import router as generation_router
from app.people.api import router as people_router
from app.rotations.api import router as rotations_router
from app.schedules.api import router as schedules_router

API_PREFIX = "/api/v1"


def build_api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for child in (
        people_router,
        rotations_router,
        schedules_router,
        compliance_router,
        generation_router,
    ):
        router.include_router(child)
    return router
