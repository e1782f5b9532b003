"""Microseconds per JSON log line on the request path, against the standard library.

Run: ``.venv/bin/python benchmarks/bench_logging.py [--lines N] [--rounds N] [--rotation-runs N]``.

Every candidate writes the same access-log line (timestamp, level, logger, event, service,
environment, version, request_id, route, method, status, duration_ms) inside a request context,
to standard output (redirected to /dev/null while timing) and, where the row says so, to a file
too. Rounds interleave the candidates so machine noise hits all of them alike; the table shows
the median µs per line and the ratio to stdlib + python-json-logger.

A second table (``--rotation-runs 0`` skips it) runs 4 processes x 25,000 lines into one file
rotating at 1 MB, a few times, and counts the lines that survive: the standard library's
RotatingFileHandler against this service's locked rotation.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pythonjsonlogger.json import JsonFormatter

from app import __version__
from app.core.config import Settings
from app.core.context import request_id_var
from app.core.logging import AccessLog, configure_logging, get_logger
from app.core.logging.config import LoggingPlan, _processors
from app.core.logging.processors import add_timestamp
from app.core.request_telemetry import RequestInfo

INFO = RequestInfo(
    method="GET",
    route="/api/v1/people/{person_id}",
    status=200,
    duration=0.004321,
    request_id="0f8e2b1c9d7a4e6f8a1b2c3d4e5f6a7b",
)
FIELDS = {
    "route": INFO.route,
    "method": INFO.method,
    "status": INFO.status,
    "duration_ms": 4.321,
    "request_id": INFO.request_id,
}
STATIC = {"service": "residency-scheduler", "environment": "production", "version": __version__}


@contextmanager
def stdout_to_devnull() -> Any:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def settings(log_file: str | None) -> Settings:
    secret = "0123456789abcdef" * 3  # production requires JWT_SECRET (pseudonym key too)
    return Settings(environment="production", log_file=log_file, jwt_secret=secret)


def stdlib_logger(name: str, handlers: list[logging.Handler]) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers[:] = handlers
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def python_json_logger(name: str, file: Path | None) -> logging.Logger:
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        static_fields=STATIC,
        json_ensure_ascii=False,
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if file is not None:
        handlers.append(logging.handlers.RotatingFileHandler(file, maxBytes=100 << 20))
    for handler in handlers:
        handler.setFormatter(formatter)
    return stdlib_logger(name, handlers)


def plain_text_logger(name: str) -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    return stdlib_logger(name, [handler])


def processor_formatter_logger(name: str) -> logging.Logger:
    """structlog's documented stdlib integration, with this service's processors."""
    shared, render = _processors(LoggingPlan.from_settings(settings(None)))

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            add_timestamp,
            structlog.stdlib.ExtraAdder(),
            *shared,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    return stdlib_logger(name, [handler])


Call = Callable[[], None]
Setup = Callable[[], tuple[Call, Call]]


def _nothing() -> None:
    pass


def build_candidates(tmp: Path) -> list[tuple[str, Setup]]:
    """(row label, setup) pairs; setup configures and returns (per-line call, teardown)."""
    access = AccessLog()
    tracer = TracerProvider().get_tracer("bench")

    def ours(log_file: str | None) -> Setup:
        def setup() -> tuple[Call, Call]:
            configure_logging(settings(log_file))
            return lambda: access(INFO), _nothing

        return setup

    def ours_in_span() -> tuple[Call, Call]:
        configure_logging(settings(None))
        span = tracer.start_span("request")
        token = otel_context.attach(trace.set_span_in_context(span))
        return lambda: access(INFO), lambda: otel_context.detach(token)

    def ours_stdlib_record() -> tuple[Call, Call]:
        configure_logging(settings(None))
        logger = logging.getLogger("app.access.stdlib")
        return lambda: logger.info("request", extra=FIELDS), _nothing

    def peer(file: Path | None) -> Setup:
        def setup() -> tuple[Call, Call]:
            logger = python_json_logger(f"peer.{file is not None}", file)
            return lambda: logger.info("request", extra=FIELDS), _nothing

        return setup

    def processor_formatter() -> tuple[Call, Call]:
        logger = processor_formatter_logger("peer.processor_formatter")
        return lambda: logger.info("request", extra=FIELDS), _nothing

    def plain_text() -> tuple[Call, Call]:
        logger = plain_text_logger("peer.plain")
        msg = "request %s %s %s"
        return lambda: logger.info(msg, INFO.method, INFO.route, INFO.status), _nothing

    return [
        ("stdlib + python-json-logger, stdout", peer(None)),
        ("**this service** (structlog), stdout", ours(None)),
        ("this service, stdout, inside an OTel span (+trace_id/span_id)", ours_in_span),
        ("this service, a stdlib `logging` call, stdout", ours_stdlib_record),
        ("structlog's ProcessorFormatter, same processors, stdout", processor_formatter),
        ("stdlib + python-json-logger, stdout + RotatingFileHandler", peer(tmp / "peer.log")),
        ("**this service**, stdout + LOG_FILE (locked rotation)", ours(str(tmp / "ours.log"))),
        ("stdlib plain-text formatter (not JSON), stdout", plain_text),
    ]


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def time_lines(call: Callable[[], None], lines: int) -> float:
    started = time.perf_counter()
    for _ in range(lines):
        call()
    return (time.perf_counter() - started) / lines * 1e6


def disabled_cost(lines: int) -> tuple[float, float]:
    """ns per call of a DEBUG line when the level is INFO: structlog vs stdlib."""
    configure_logging(settings(None))
    log = get_logger("bench.disabled")
    stdlib = python_json_logger("peer.disabled", None)
    results = []
    for call in (lambda: log.debug("x", a=1), lambda: stdlib.debug("x", extra={"a": 1})):
        started = time.perf_counter()
        for _ in range(lines * 10):
            call()
        results.append((time.perf_counter() - started) / (lines * 10) * 1e9)
    return results[0], results[1]


def request_path_table(lines: int, rounds: int) -> None:
    token = request_id_var.set(INFO.request_id)
    with tempfile.TemporaryDirectory() as directory:
        candidates = build_candidates(Path(directory))
        samples: dict[str, list[float]] = {label: [] for label, _ in candidates}
        with stdout_to_devnull():
            for round_number in range(rounds):
                order = (
                    candidates[round_number % len(candidates) :]
                    + candidates[: round_number % len(candidates)]
                )
                for label, setup in order:
                    call, teardown = setup()
                    time_lines(call, lines // 10)  # warm up
                    samples[label].append(time_lines(call, lines))
                    teardown()
            debug_ours, debug_stdlib = disabled_cost(lines)
    request_id_var.reset(token)
    baseline = statistics.median(samples[candidates[0][0]])
    python = sys.version.split()[0]
    out(f"Per JSON line, median of {rounds} rounds x {lines:,} lines (Python {python})\n")
    out("| logger | µs per line | vs stdlib + python-json-logger |")
    out("|---|---:|---:|")
    for label, _ in candidates:
        median = statistics.median(samples[label])
        out(f"| {label} | {median:.1f} | {median / baseline:.2f}x |")
    out(
        f"\nA disabled level (DEBUG call at INFO): this service {debug_ours:.0f} ns, "
        f"stdlib {debug_stdlib:.0f} ns per call.\n"
    )


# --- rotation: lines that survive 4 processes rotating one file ---


def rotation_worker(mode: str, path: str, worker: int, count: int, go: str) -> None:
    if mode == "stdlib":
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1 << 20, backupCount=1000)
        logger = stdlib_logger("rotation", [handler])
        write: Callable[[str], None] = logger.info
    else:
        from app.core.logging.rotation import RotatingFileSink

        write = RotatingFileSink(path, 1 << 20, 1000).write
    while not Path(go).exists():
        time.sleep(0.005)
    padding = "p" * 200
    for seq in range(count):
        write(json.dumps({"worker": worker, "seq": seq, "padding": padding}))


def rotation_run(mode: str, processes: int, count: int) -> tuple[int, int, int]:
    """One run: (lines lost, lines duplicated, lines that are not JSON)."""
    with tempfile.TemporaryDirectory() as directory:
        path, go = Path(directory) / "app.log", Path(directory) / "go"
        argv = [sys.executable, __file__, "--rotation-worker", mode, str(path)]
        workers = [subprocess.Popen([*argv, str(n), str(count), str(go)]) for n in range(processes)]
        go.touch()
        for process in workers:
            process.wait()
        seen: Counter[tuple[int, int]] = Counter()
        broken = 0
        for file in Path(directory).iterdir():
            if not file.name.startswith("app.log"):
                continue
            for line in file.read_text().splitlines():
                try:
                    record = json.loads(line)
                    seen[(record["worker"], record["seq"])] += 1
                except (ValueError, KeyError):
                    broken += 1
        duplicated = sum(n - 1 for n in seen.values())
        return processes * count - len(seen), duplicated, broken


def rotation_table(runs: int, processes: int = 4, count: int = 25_000) -> None:
    out(
        f"{processes} processes x {count:,} lines into one file rotating at 1 MB (1000 backups), "
        f"{runs} runs; lost lines depend on how the processes happen to overlap\n"
    )
    out("| handler | lines lost, each run | duplicated | not JSON |")
    out("|---|---:|---:|---:|")
    for mode, label in (
        ("stdlib", "logging.handlers.RotatingFileHandler"),
        ("ours", "this service's RotatingFileSink"),
    ):
        results = [rotation_run(mode, processes, count) for _ in range(runs)]
        lost = " / ".join(f"{r[0]:,}" for r in results)
        duplicated = sum(r[1] for r in results)
        broken = sum(r[2] for r in results)
        out(f"| {label} | {lost} | {duplicated:,} | {broken:,} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--rotation-worker":
        mode, path, worker, count, go = sys.argv[2:7]
        rotation_worker(mode, path, int(worker), int(count), go)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--rotation-runs", type=int, default=3, help="0 skips the table")
    args = parser.parse_args()
    request_path_table(args.lines, args.rounds)
    if args.rotation_runs:
        rotation_table(args.rotation_runs)


if __name__ == "__main__":
    main()
