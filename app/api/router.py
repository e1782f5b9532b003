"""Every versioned route; each router declares the full /api/v1 prefix itself."""

from __future__ import annotations

from fastapi import APIRouter

from app.compliance.api import router as compliance_router
from app.generation.api import router as generation_router
from app.people.api import router as people_router
from app.rotations.api import router as rotations_router
from app.schedules.api import router as schedules_router


def api_routers() -> list[APIRouter]:
    return [
        people_router,
        rotations_router,
        schedules_router,
        compliance_router,
        generation_router,
    ]
