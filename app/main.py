"""create_app(): the one place where the service is wired together.

Everything (services, routes, error handlers, the request telemetry layer, /metrics, tracing,
logging) is built here at construction time. The lifespan, one ``AsyncExitStack``, starts what
runs while the app serves (the logs' and the metrics' event subscriptions, pool watching, the
Pushgateway exporter) and undoes it all, in reverse order, when the app stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from app import __version__
from app.api.errors import install_error_handlers
from app.api.proxies_and_hosts import install_proxies_and_hosts
from app.api.validation import install_input_guards
from app.core.config import Settings, get_settings
from app.core.logging import AccessLog, configure_logging
from app.core.logging.events import EventLog
from app.core.metrics.http import http_metrics
from app.core.request_telemetry import Telemetry, TelemetryMiddleware
from app.events import bus
from app.routes import ROUTERS
from app.services import Services, build_services
from app.tracing import install_tracing
from app.tracing.setup import flush_spans


class SchedulerApp(FastAPI):
    """FastAPI with the request telemetry layer outside Starlette's error middleware, so
    unhandled errors are observed like every other request."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return TelemetryMiddleware(stack, self.state.telemetry)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)  # first: everything built below logs through it
    services = build_services(settings)
    telemetry = Telemetry(access_log=AccessLog())
    docs = settings.api_docs_enabled

    app = SchedulerApp(
        title="Residency Scheduler",
        version=__version__,
        description="Schedules residents and checks every schedule against ACGME duty hours.",
        lifespan=lambda _app: _lifespan(services),
        # Our own request layer does tracing, metrics and logs in one pass; FastAPI's built-in
        # OpenTelemetry would add a second server span and per-dependency spans.
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
        # API_DOCS (off in production unless set): the schema and both documentation pages
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.services = services
    app.state.telemetry = telemetry
    install_tracing(settings, telemetry, services.database.engine)
    install_error_handlers(app)
    install_input_guards(app, settings)  # MAX_BODY_BYTES, MAX_IMPORT_BYTES; safe 422s
    install_proxies_and_hosts(app, settings)  # TRUSTED_HOSTS, TRUSTED_PROXIES
    for router in ROUTERS:
        app.include_router(router)
    if services.metrics is not None:  # built knowing the routes: each has its 500 series at 0
        telemetry.metrics = http_metrics(services.metrics.metrics, app.routes)
    return app


@asynccontextmanager
async def _lifespan(services: Services) -> AsyncIterator[None]:
    """Each part is undone in reverse order: the exporter's last push and the span flush
    happen before the connections they may need are closed."""
    async with AsyncExitStack() as stack:
        stack.push_async_callback(services.database.dispose)
        if services.redis is not None:
            stack.push_async_callback(services.redis.aclose)
        stack.push_async_callback(flush_spans)
        stack.enter_context(bus.subscribed(EventLog().handlers))  # one log line per event
        if services.metrics is not None:
            await stack.enter_async_context(services.metrics.running(services.database))
        # Last in, first out: a job given up at shutdown is still counted and logged.
        services.generation_jobs.start()  # GENERATION_WORKER=embedded: this process runs jobs
        stack.push_async_callback(services.generation_jobs.close)
        yield
