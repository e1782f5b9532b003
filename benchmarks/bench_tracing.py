"""Per-request cost of the app's request tracing against OpenTelemetry's FastAPIInstrumentor.

Run: ``.venv/bin/python benchmarks/bench_tracing.py [--requests 2000] [--rounds 9]``.

Every variant is the same FastAPI app (``GET /items/{item_id}?q=x`` returning JSON), called
in-process through ASGI (no client or socket in the measurement). Spans go through the same
batch processor to an exporter that drops them, so exporting does not dominate. Rounds
interleave the variants; overheads are each variant's best round against the plain app's, in
the same run (absolute times on a shared machine are noise; medians are printed alongside).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from fastapi import FastAPI
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from app.core.request_telemetry import Telemetry, TelemetryMiddleware
from app.tracing import TracingConfig, setup_tracing
from app.tracing.processor import CountingBatchProcessor
from app.tracing.switch import PROCESS

ASGIApp = Callable[..., Awaitable[None]]


class DropExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def processor() -> CountingBatchProcessor:
    return CountingBatchProcessor(DropExporter(), "console", max_queue_size=1 << 16)


def build_app(**kwargs: Any) -> FastAPI:
    app = FastAPI(**kwargs)

    @app.get("/items/{item_id}")
    async def item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"id": item_id, "q": q}

    return app


class Variant:
    def __init__(self, name: str, app: ASGIApp, provider: TracerProvider | None = None) -> None:
        self.name = name
        self.app = app
        self.provider = provider  # made current (PROCESS) while this variant runs
        self.samples: list[float] = []


def ours(rate: float) -> Variant:
    app = build_app()
    provider = setup_tracing(TracingConfig(sample_rate=rate), app)
    assert provider is not None
    provider.add_span_processor(processor())
    return Variant(f"app.tracing, sample_rate {rate}", app, provider)


def otel_instrumentor(rate: float) -> Variant:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    app = build_app()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(rate)))
    provider.add_span_processor(processor())
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, meter_provider=NoOpMeterProvider()
    )
    return Variant(f"FastAPIInstrumentor, sample_rate {rate}", app)


def fastapi_native(rate: float) -> Variant:
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(rate)))
    provider.add_span_processor(processor())
    telemetry = {"tracer_provider": provider, "metrics": False, "logs": False}
    return Variant(f"FastAPI native telemetry, sample_rate {rate}", build_app(telemetry=telemetry))


def variants() -> list[Variant]:
    plain = Variant("plain app", build_app())
    layer_app = build_app()
    layer_app.add_middleware(TelemetryMiddleware, telemetry=Telemetry())
    layer = Variant("request layer, no parts", layer_app)
    return [
        plain,
        layer,
        ours(1.0),
        ours(0.1),
        otel_instrumentor(1.0),
        otel_instrumentor(0.1),
        fastapi_native(1.0),
    ]


SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/items/42",
    "raw_path": b"/items/42",
    "root_path": "",
    "query_string": b"q=x",
    "headers": [(b"host", b"bench"), (b"user-agent", b"bench")],
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
}


async def run(app: ASGIApp, requests: int) -> float:
    """Seconds per request over ``requests`` sequential requests."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    elapsed = time.perf_counter() - started
    assert set(status) == {200}, set(status)
    return elapsed / requests


async def measure(requests: int, rounds: int) -> list[Variant]:
    measured = variants()
    for variant in measured:  # warm up: imports, middleware stacks, caches
        PROCESS.use(variant.provider or PROCESS.backend)
        await run(variant.app, 200)
    for _ in range(rounds):
        for variant in measured:
            if variant.provider is not None:
                PROCESS.use(variant.provider)
            gc.collect()
            variant.samples.append(await run(variant.app, requests))
    return measured


def table(measured: list[Variant]) -> str:
    """Overheads use each variant's best round (the least disturbed by other work on a shared
    machine); medians are shown for the spread."""
    best = {v.name: min(v.samples) * 1e6 for v in measured}
    median = {v.name: statistics.median(v.samples) * 1e6 for v in measured}
    plain, layer = best["plain app"], best["request layer, no parts"]
    instrumentor = best["FastAPIInstrumentor, sample_rate 1.0"] - plain
    lines = [
        "| variant | µs/request best (median) | overhead vs plain | / FastAPIInstrumentor@1.0 |",
        "|---|---:|---:|---:|",
    ]
    for name, value in best.items():
        overhead = value - plain
        ratio = f"{overhead / instrumentor:.2f}" if name != "plain app" else "-"
        lines.append(
            f"| {name} | {value:.1f} ({median[name]:.1f}) | {overhead:+.1f} µs | {ratio} |"
        )
    ours_full = best["app.tracing, sample_rate 1.0"] - layer
    ours_unsampled = best["app.tracing, sample_rate 0.1"] - layer
    lines.append("")
    lines.append(
        f"Tracing alone (app.tracing minus the request layer it plugs into): "
        f"{ours_full:+.1f} µs at sample_rate 1.0 ({ours_full / instrumentor:.2f} of the "
        f"instrumentor's {instrumentor:+.1f} µs), {ours_unsampled:+.1f} µs at 0.1."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    measured = asyncio.run(measure(args.requests, args.rounds))
    sys.stdout.write(table(measured) + "\n")


if __name__ == "__main__":
    main()
