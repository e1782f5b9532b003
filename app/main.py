"""create_app(): the one place where the service is wired together.

Everything (routes, error handlers, and later middleware, /metrics and tracing) is attached here
at construction time; the lifespan only opens and closes connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.api.errors import install_error_handlers
from app.api.health import router as health_router
from app.api.router import build_api_router
from app.core.config import Settings, get_settings
from app.db.engine import Database


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app = FastAPI(
        title="Residency Scheduler",
        version=__version__,
        description="Schedules residents and checks every schedule against ACGME duty hours.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(build_api_router())
    return app
