"""The routes this area adds under /api/v1: auth, users, swaps and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter

from app.audit.api import router as audit_router
from app.auth.api import router as auth_router
from app.auth.users_api import router as users_router
from app.swaps.api import router as swaps_router


def security_routers() -> list[APIRouter]:
    return [auth_router, users_router, swaps_router, audit_router]
