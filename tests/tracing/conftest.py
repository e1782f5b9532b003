"""Tracing fixtures: local OTLP receivers, a migrated database template, a traced app."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from app.tracing import TracingConfig, setup_tracing
from app.tracing.setup import configure_process
from app.tracing.switch import PROCESS
from tests.support.otlp import (
    OtlpGrpcReceiver,
    OtlpHttpReceiver,
    OtlpReceiver,
    otlp_grpc_receiver,
    otlp_http_receiver,
)

_ENVIRONMENT = (
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SDK_DISABLED",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "TRACING_ENABLED",
    "TRACING_CONSOLE",
    "JAEGER_ENDPOINT",
)


@pytest.fixture(autouse=True)
def clean_tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OTEL_* leaking in from the shell, and tracing off again after each test."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    yield
    configure_process(TracingConfig(enabled=False))


@pytest.fixture(scope="session")
def grpc_receiver() -> Iterator[OtlpGrpcReceiver]:
    with otlp_grpc_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def http_receiver() -> Iterator[OtlpHttpReceiver]:
    with otlp_http_receiver() as receiver:
        yield receiver


@pytest.fixture(params=["grpc", "http"])
def receiver(
    request: pytest.FixtureRequest,
    grpc_receiver: OtlpGrpcReceiver,
    http_receiver: OtlpHttpReceiver,
) -> OtlpReceiver:
    """Each OTLP transport in turn, emptied for the test."""
    chosen: OtlpReceiver = grpc_receiver if request.param == "grpc" else http_receiver
    chosen.clear()
    return chosen


@pytest.fixture(scope="session")
async def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tracing") / "template.db"
    await upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def database_url(template_database: Path, tmp_path: Path) -> str:
    path = tmp_path / "scheduler.db"
    shutil.copy(template_database, path)
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class TracedApp:
    app: FastAPI
    client: httpx.AsyncClient
    provider: TracerProvider | None

    def flush(self) -> None:
        assert self.provider is not None
        assert self.provider.force_flush(10_000)


@pytest.fixture
def traced_app(database_url: str) -> Callable[..., object]:
    """``async with traced_app(config) as t:`` a create_app() app traced with ``config``."""

    @asynccontextmanager
    async def build(config: TracingConfig) -> AsyncIterator[TracedApp]:
        app = create_app(Settings(database_url=database_url, environment="test"))
        provider = setup_tracing(config, app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield TracedApp(app, c, provider)
        finally:
            await app.state.services.database.dispose()

    return build


@pytest.fixture
def memory_spans() -> Iterator[InMemorySpanExporter]:
    """Route app.tracing's tracers to an in-memory exporter (no setup_tracing, no network)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = PROCESS.use(provider)
    yield exporter
    PROCESS.use(previous)
