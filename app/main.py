"""create_app(): the one place where the service is wired together.

Everything (routes, error handlers, the request telemetry layer, /metrics, tracing, logging) is
attached here at construction time; the lifespan only opens and closes connections and
background work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from app import __version__
from app.api.errors import install_error_handlers
from app.api.health import router as health_router
from app.api.router import api_routers
from app.core.config import Settings, get_settings
from app.core.logging import install_logging
from app.core.metrics import install_metrics
from app.core.request_telemetry import Telemetry, TelemetryMiddleware
from app.db.engine import Database
from app.generation.jobs import GenerationJobs
from app.security.install import install_security
from app.tracing import install_tracing

LifecycleHook = Callable[[], Awaitable[None]]


class SchedulerApp(FastAPI):
    """FastAPI with the request telemetry layer outside Starlette's error middleware, so
    unhandled errors are observed like every other request."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return TelemetryMiddleware(stack, self.state.telemetry)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    generation_jobs = GenerationJobs(database)
    telemetry = Telemetry()
    startup: list[LifecycleHook] = []
    shutdown: list[LifecycleHook] = [generation_jobs.close, database.dispose]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for start in startup:
            await start()
        try:
            yield
        finally:
            for stop in shutdown:
                await stop()

    app = SchedulerApp(
        title="Residency Scheduler",
        version=__version__,
        description="Schedules residents and checks every schedule against ACGME duty hours.",
        lifespan=lifespan,
        # Our own request layer does tracing, metrics and logs in one pass; FastAPI's built-in
        # OpenTelemetry would add a second server span and per-dependency spans.
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.generation_jobs = generation_jobs
    app.state.telemetry = telemetry
    app.state.startup = startup  # async callables run at startup (e.g. background exporters)
    app.state.shutdown = shutdown  # async callables run at shutdown, in order

    # --- wiring: logging, security, metrics, tracing (each attaches itself to the app) ---
    install_logging(app, settings)  # first: every later install logs through it
    install_security(app, settings)  # auth, rate limits, active users, cache, audit
    install_metrics(app, settings)
    install_tracing(app, settings)

    install_error_handlers(app)
    app.include_router(health_router)
    for router in api_routers():
        app.include_router(router)
    return app
