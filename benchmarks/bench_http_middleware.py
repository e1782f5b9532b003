"""Per-request CPU cost of HTTP metrics: our request layer with only the metrics part attached,
against prometheus-fastapi-instrumentator and starlette_exporter, over a plain app.

Run: ``.venv/bin/python benchmarks/bench_http_middleware.py [--requests 2000] [--rounds 15]``.

Each app has 31 or 101 routes (``/r{i}/{item_id}``) and every request goes to the last one,
where a middleware that walks the route table pays most. Requests drive the ASGI app directly
in-process (no network, no server); time is the process CPU time, variants interleave round by
round, and the median of the rounds is reported. Overhead = variant - plain app.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.responses import PlainTextResponse
from starlette_exporter import PrometheusMiddleware

from app.core.metrics.http import SharedHttpMetrics, http_metrics
from app.core.metrics.registry import AppMetrics
from app.core.request_telemetry import Telemetry, TelemetryMiddleware

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
ROUTE_COUNTS = (31, 101)
VARIANTS = ("plain", "layer", "ours", "ours_shared", "instrumentator", "starlette_exporter")
"""``layer``: our request layer with no part attached (request id only), to show what the
metrics part adds on top of it; ``ours``: the layer with only the metrics attached, as one
process runs it; ``ours_shared``: the same with the prometheus_client-backed store that
``serve --workers N`` uses (here without multiprocess files)."""


def build(variant: str, routes: int) -> FastAPI:
    app = FastAPI()

    def add(i: int) -> None:
        async def endpoint(item_id: int) -> PlainTextResponse:
            return PlainTextResponse("ok")

        app.add_api_route(f"/r{i}/{{item_id}}", endpoint, methods=["GET"], name=f"r{i}")

    for i in range(routes):
        add(i)
    if variant == "layer":
        app.add_middleware(TelemetryMiddleware, telemetry=Telemetry())
    elif variant == "ours":
        telemetry = Telemetry(metrics=http_metrics(AppMetrics()))
        app.add_middleware(TelemetryMiddleware, telemetry=telemetry)
    elif variant == "ours_shared":
        telemetry = Telemetry(metrics=SharedHttpMetrics(AppMetrics()))
        app.add_middleware(TelemetryMiddleware, telemetry=telemetry)
    elif variant == "instrumentator":
        Instrumentator(registry=CollectorRegistry()).instrument(app)
    elif variant == "starlette_exporter":
        app.add_middleware(PrometheusMiddleware, prefix=f"bench_{routes}", group_paths=True)
    return app


def scope_for(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def drive(app: ASGIApp, path: str, requests: int) -> float:
    """CPU seconds per request for ``requests`` requests."""
    template = scope_for(path)
    statuses: list[int] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    gc.collect()
    started = time.process_time()
    for _ in range(requests):
        await app(dict(template), receive, send)
    elapsed = time.process_time() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / requests


Rounds = list[dict[tuple[str, int], float]]


async def measure(requests: int, rounds: int) -> Rounds:
    """Per round, CPU seconds per request of every (variant, routes); variants run back to back
    in a shuffled order within a round, so each round's differences are paired."""
    apps = {(v, n): build(v, n) for v in VARIANTS for n in ROUTE_COUNTS}
    for (_, n), app in apps.items():  # warm up: build middleware stacks, caches, children
        await drive(app, f"/r{n - 1}/42", 200)
    keys = list(apps)
    results: Rounds = []
    for _ in range(rounds):
        random.shuffle(keys)
        results.append(
            {key: await drive(apps[key], f"/r{key[1] - 1}/42", requests) for key in keys}
        )
    return results


def median_of(results: Rounds, value: Callable[[dict[tuple[str, int], float]], float]) -> float:
    return statistics.median(value(r) for r in results)


def overhead(variant: str, n: int) -> Callable[[dict[tuple[str, int], float]], float]:
    return lambda r: r[(variant, n)] - r[("plain", n)]


def table(results: Rounds) -> str:
    us = 1e6
    lines = [
        "| routes | variant | CPU µs/request | overhead µs/request | overhead vs ours |",
        "|---:|---|---:|---:|---:|",
    ]
    for n in ROUTE_COUNTS:
        ours = median_of(results, overhead("ours", n))
        for variant in VARIANTS:
            cost = statistics.median(r[(variant, n)] for r in results)
            if variant == "plain":
                lines.append(f"| {n} | {variant} | {cost * us:.1f} | - | - |")
                continue
            extra = median_of(results, overhead(variant, n))
            lines.append(
                f"| {n} | {variant} | {cost * us:.1f} | {extra * us:+.1f} | {extra / ours:.1f}x |"
            )
    summary = []
    for n in ROUTE_COUNTS:

        def ratio(r: dict[tuple[str, int], float], n: int = n) -> float:
            cheaper = min(overhead(p, n)(r) for p in ("instrumentator", "starlette_exporter"))
            return overhead("ours", n)(r) / cheaper

        part = statistics.median(r[("ours", n)] - r[("layer", n)] for r in results)
        summary.append(
            f"{n} routes: ours / cheaper peer overhead = {median_of(results, ratio):.2f} "
            f"(goal <= 0.20); the metrics part alone (ours - layer) {part * us:+.1f} µs"
        )
    growth = median_of(results, lambda r: overhead("ours", 101)(r) - overhead("ours", 31)(r))
    summary.append(f"ours 31 -> 101 routes: {growth * us:+.1f} µs (flat if about 0)")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in summary) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    args = parser.parse_args()
    results = asyncio.run(measure(args.requests, args.rounds))
    sys.stdout.write(
        f"HTTP metrics overhead, {args.rounds} rounds x {args.requests} requests "
        "to the last route, CPU time; medians over rounds of paired (same-round) "
        "differences\n\n"
    )
    sys.stdout.write(table(results))


if __name__ == "__main__":
    main()
