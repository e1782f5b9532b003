"""Time to render ``GET /metrics`` for the app's registry, as ``create_app()`` builds it.

Run: ``.venv/bin/python benchmarks/bench_metrics_render.py [--rounds 30] [--statuses 3]``.

Every route of the app (from its OpenAPI document) gets traffic with ``--statuses`` status
codes, so each has its counter and histogram series; then the whole exposition (app registry,
host collector, process/platform/GC collectors) is rendered as Prometheus text, OpenMetrics,
and text + gzip, as a scrape would. CPU time, median of the rounds. Rendering runs in a worker
thread in the app, so this is scrape latency, not time the event loop is blocked.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from app.core.config import Settings
from app.core.metrics.endpoint import render
from app.core.request_telemetry import METHODS, RequestInfo
from app.db.migrate import upgrade_database
from app.main import create_app

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
STATUSES = (200, 404, 401, 422, 500)


async def populated_app(statuses: int) -> tuple[object, int]:
    directory = tempfile.mkdtemp(prefix="bench-render-")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{directory}/b.db", environment="test")
    await upgrade_database(settings.database_url)
    app = create_app(settings)
    http = app.state.telemetry.metrics
    routes = 0
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method.upper() not in METHODS:
                continue
            routes += 1
            for status in STATUSES[:statuses]:
                for _ in range(5):
                    duration = random.lognormvariate(-4, 1.2)  # ~20 ms median, long tail
                    http.begin(method.upper())
                    http.end(RequestInfo(method.upper(), path, status, duration, "r" * 8), None)
    await app.state.services.database.dispose()
    return app, routes


def time_render(source: object, accept: str, encoding: str, rounds: int) -> tuple[float, int]:
    sizes = []
    times = []
    for _ in range(rounds):
        started = time.process_time()
        body, _ = render(source, accept, encoding)  # type: ignore[arg-type]
        times.append(time.process_time() - started)
        sizes.append(len(body))
    return statistics.median(times), sizes[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--statuses", type=int, default=3, choices=range(1, 6))
    args = parser.parse_args()
    app, routes = asyncio.run(populated_app(args.statuses))
    source = app.state.services.metrics.metrics.exposition  # type: ignore[attr-defined]
    text, _ = render(source, "", "")
    series = sum(1 for line in text.decode().splitlines() if line and not line.startswith("#"))
    sys.stdout.write(
        f"/metrics render: {routes} routes x {args.statuses} statuses, {series} series, "
        f"median of {args.rounds} renders (CPU time)\n\n"
        "| format | ms/render | bytes |\n|---|---:|---:|\n"
    )
    for name, accept, encoding in (
        ("text 0.0.4", "", ""),
        ("OpenMetrics 1.0", OPENMETRICS, ""),
        ("text 0.0.4 + gzip", "", "gzip"),
    ):
        seconds, size = time_render(source, accept, encoding, args.rounds)
        sys.stdout.write(f"| {name} | {seconds * 1e3:.2f} | {size} |\n")


if __name__ == "__main__":
    main()
