"""Load test of the real service on PostgreSQL + Redis: full observability on against off.

Run: ``.venv/bin/python benchmarks/bench_load.py [--duration 10] [--users 16] [--rounds 4]``
(or ``BENCH_LOAD_DURATION``, ``BENCH_LOAD_WARMUP``, ``BENCH_LOAD_USERS``, ``BENCH_LOAD_ROUNDS``,
``BENCH_LOAD_WORKERS``, ``BENCH_LOAD_MIX``, ``BENCH_LOAD_MODES``; ``--keep`` keeps the services'
output and logs); progress goes to stderr, the tables to stdout. About 3 minutes by default.

One real PostgreSQL 15 and one Redis (``tests/support/servers.py``); a database migrated and
seeded once by the ``residency-scheduler`` command (``migrate``, ``create-user``, ``seed --demo
small``) and copied (``CREATE DATABASE ... TEMPLATE``) for each mode, so both start from the same
data, each with its own Redis database. Two ``residency-scheduler serve`` processes (uvicorn,
``--workers 1`` by default) run side by side, one per mode, and are driven in turn, one slice
at a time (``--warmup`` + ``--duration`` seconds; the other service idles), in the order off on,
on off, off on...: on a shared machine whatever else runs then weighs on both modes alike.

Each slice is an asyncio httpx client: ``--users`` virtual users in a closed loop (no think
time; all use one access token, signed in before the clock starts), picking per iteration, by
weight, a read (people, a week of shifts, the compliance report, swaps: equally likely), a
write (create a leave of the user's own resident then delete it, or re-save one of that
resident's shifts with ``PATCH``, which runs the ACGME guard) or a sign-in (``POST
/api/v1/auth/login`` with the right password: argon2id, the most expensive request by far).
Latency is measured by the client, per request, after the warm-up; percentiles pool every
slice of a mode, throughput is its requests over its measured seconds.

- ``on``: metrics on, ``/metrics`` scraped once per second (with ``METRICS_TOKEN``), tracing with
  ``OTEL_TRACES_SAMPLER=always_on`` exporting OTLP/HTTP to a sink in a separate process (it
  answers every export and counts its spans), JSON logs at ``INFO`` to ``LOG_FILE``
  and to stdout (a file).
- ``off``: ``METRICS_ENABLED=false`` (no metrics at all), ``TRACING_ENABLED=false`` and
  ``OTEL_SDK_DISABLED=true``, ``LOG_LEVEL=WARNING`` (no access-log lines), no scrape.
- ``--modes metrics,tracing,logs`` (``BENCH_LOAD_MODES``) adds services with one part of ``on``
  each (metrics with the scrape, tracing, logs), and a table of what each costs alone.
  ``BENCH_LOAD_MIX=read=100`` (cached reads only) shows the telemetry's cost per request best.

The sign-in rate limit (``RATE_LIMIT_LOGIN``, 5/minute per IP) and the per-user API limit
(``RATE_LIMIT_API``, 200/minute) are raised for both modes: every virtual user comes from
127.0.0.1 and signs in as the same admin. Client, services and PostgreSQL share the machine:
read the on/off ratios and the CPU per request, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import math
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import asyncpg  # type: ignore[import-untyped]
import httpx
import psutil

from tests.support.processes import CLI
from tests.support.servers import LOOPBACK, free_port, postgres_server, redis_server

API = "/api/v1"
READS = ("people", "shifts", "compliance", "swaps")
WRITES = ("leave_create", "leave_delete", "shift_update")
GROUPS = {"read": READS, "write": WRITES, "sign-in": ("login",)}
OK = {200, 201, 204}
ADMIN = "bench.admin"
DEFAULT_MIX = "read=85,write=14,signin=1"
ENV_PREFIXES = (
    "OTEL_", "TRACING_", "LOG_", "METRICS_", "DATABASE_", "REDIS_", "PUSHGATEWAY_",
    "PROMETHEUS_", "RATE_LIMIT_", "LOCKOUT_", "JWT_", "JAEGER_", "TRUSTED_", "ENVIRONMENT",
)  # fmt: skip


def log(message: str) -> None:
    sys.stderr.write(f"[bench_load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------- OTLP sink


def _sink_main(port: Any, counts: Any) -> None:
    """A collector that answers every OTLP/HTTP export with an empty (valid) response."""

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = ExportTraceServiceRequest.FromString(body)
            spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
            with counts.get_lock():
                counts[0] += 1
                counts[1] += len(body)
                counts[2] += spans
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


@contextlib.contextmanager
def otlp_sink() -> Any:
    context = multiprocessing.get_context("fork")
    port = context.Value("i", 0)
    counts = context.Array("d", 3)  # export requests, bytes, spans
    process = context.Process(target=_sink_main, args=(port, counts), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while not port.value:
        if time.monotonic() > deadline:
            raise RuntimeError("the OTLP sink did not start")
        time.sleep(0.02)
    try:
        yield f"http://{LOOPBACK}:{port.value}", counts, process.pid
    finally:
        process.terminate()
        process.join(5)


# ------------------------------------------------------------------- database, server


def base_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    env["HOME"] = str(workdir)  # nothing from a developer's dotfiles
    return env


def cli(args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> None:
    result = subprocess.run(
        [str(CLI), *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"residency-scheduler {' '.join(args)} failed:\n{result.stderr}")


def prepare_template(dsn: str, workdir: Path, password: str) -> None:
    env = {**base_env(workdir), "DATABASE_URL": dsn, "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING"}
    cli(["migrate"], env, workdir)
    cli(["create-user", ADMIN, "--role", "admin", "--password-stdin"], env, workdir, password)
    cli(["seed", "--demo", "small"], env, workdir)


async def copy_database(admin_dsn: str, template: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()


def tree_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` and its children (alive ones)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for proc in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_file: Path | None

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid)


@contextlib.contextmanager
def serve(env: dict[str, str], workdir: Path, workers: int) -> Any:
    port = free_port()
    env = {**env, "HOST": LOOPBACK, "PORT": str(port)}
    output = workdir / "serve.out"
    argv = [str(CLI), "serve", "--workers", str(workers)]
    with output.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(trust_env=False, timeout=2) as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"serve exited:\n{output.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{url}/ready").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve not ready:\n{output.read_text()[-3000:]}")
                time.sleep(0.1)
        log_file = Path(env["LOG_FILE"]) if env.get("LOG_FILE") else None
        yield Server(url, process, log_file)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ------------------------------------------------------------------------------ load


@dataclass
class Plan:
    """What the virtual users work on: per user a resident and one of their shifts."""

    password: str
    token: str
    week: tuple[date, date]
    residents: list[tuple[int, int, str]]  # person id, shift id, shift kind


@dataclass
class Result:
    mode: str
    duration: float
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    server_cpu: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the window, by owner
    load: float = 0.0  # the machine's 1-minute load average at the end of the slice
    started: float = field(default_factory=time.monotonic)
    extra: dict[str, float] = field(default_factory=dict)


async def sign_in(http: httpx.AsyncClient, password: str) -> httpx.Response:
    return await http.post(f"{API}/auth/login", json={"username": ADMIN, "password": password})


async def make_plan(http: httpx.AsyncClient, password: str, users: int) -> Plan:
    token = (await sign_in(http, password)).raise_for_status().json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    years = (await http.get(f"{API}/academic-years", headers=headers)).raise_for_status().json()
    start = date.fromisoformat(next(y for y in years if y["active"])["start"]) + timedelta(28)
    people = await http.get(
        f"{API}/people", params={"kind": "resident", "limit": 1000}, headers=headers
    )
    ids = [p["id"] for p in people.raise_for_status().json()["items"]]
    residents = []
    for i in range(users):
        person = ids[i % len(ids)]
        shifts = await http.get(
            f"{API}/shifts",
            params={"person_id": person, "start": start.isoformat(), "limit": 1},
            headers=headers,
        )
        shift = shifts.raise_for_status().json()["items"][0]
        residents.append((person, shift["id"], shift["kind"]))
    return Plan(password, token, (start, start + timedelta(6)), residents)


class Driver:
    def __init__(self, url: str, plan: Plan, result: Result, mix: dict[str, float]) -> None:
        self.url, self.plan, self.result = url, plan, result
        self.choices = list(mix)
        self.weights = list(mix.values())
        self.measure_from = self.stop_at = 0.0

    async def timed(self, op: str, call: Any) -> httpx.Response | None:
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            response = await call
            kind = str(response.status_code)
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
        finished = time.perf_counter()
        if self.measure_from <= started and finished <= self.stop_at:
            self.result.samples[op].append(finished - started)
            if response is None or response.status_code not in OK:
                self.result.errors[op] += 1
                self.result.error_kinds[f"{op} {kind}"] += 1
        return response

    async def user(self, index: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(index)
        person, shift_id, shift_kind = self.plan.residents[index]
        first, last = self.plan.week
        reads: dict[str, tuple[str, dict[str, Any]]] = {
            "people": (f"{API}/people", {"limit": 50}),
            "shifts": (f"{API}/shifts", {"start": first.isoformat(), "end": last.isoformat()}),
            "compliance": (f"{API}/compliance/report", {}),
            "swaps": (f"{API}/swaps", {}),
        }
        # leave far outside the seeded data: a user's own resident, one at a time, never clashes
        day, n = date(2041 + index, 1, 1), 0
        while time.perf_counter() < self.stop_at:
            kind = rng.choices(self.choices, self.weights)[0]
            if kind == "read":
                op = rng.choice(READS)
                path, params = reads[op]
                await self.timed(op, http.get(path, params=params))
            elif kind == "signin":
                await self.timed("login", sign_in(http, self.plan.password))
            elif rng.random() < 0.5:
                body: dict[str, Any] = {"kind": shift_kind}
                await self.timed("shift_update", http.patch(f"{API}/shifts/{shift_id}", json=body))
            else:
                start = day + timedelta(n % 300)
                n += 1
                body = {"person_id": person, "start": str(start), "end": str(start), "kind": "sick"}
                created = await self.timed("leave_create", http.post(f"{API}/leave", json=body))
                if created is not None and created.status_code == 201:
                    leave = created.json()["id"]
                    await self.timed("leave_delete", http.delete(f"{API}/leave/{leave}"))

    async def scraper(self, http: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        size = 0
        while time.perf_counter() < self.stop_at:
            tick = time.perf_counter()
            response = await self.timed("metrics", http.get("/metrics", headers=headers))
            if response is not None:
                size = len(response.content)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
        self.result.extra["metrics_bytes"] = size


def client(url: str, users: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=users + 2, max_keepalive_connections=users + 2)
    return httpx.AsyncClient(base_url=url, trust_env=False, timeout=30, limits=limits)


async def drive(
    server: Server,
    result: Result,
    plan: Plan,
    args: argparse.Namespace,
    scrape_token: str | None,
    postgres_pid: int | None,
) -> None:
    driver = Driver(server.url, plan, result, args.mix)
    clients = [client(server.url, 1) for _ in range(args.users)]
    for http in clients:  # the plan's sign-in: argon2id costs too much to repeat 16 times here
        http.headers["Authorization"] = f"Bearer {plan.token}"
    now = time.perf_counter()
    driver.measure_from = now + args.warmup
    driver.stop_at = driver.measure_from + args.duration
    tasks = [asyncio.create_task(driver.user(i, http)) for i, http in enumerate(clients)]
    if scrape_token is not None:
        scrape_client = client(server.url, 1)
        tasks.append(asyncio.create_task(driver.scraper(scrape_client, scrape_token)))
    await asyncio.sleep(max(0.0, driver.measure_from - time.perf_counter()))
    meters = {
        "serve": server.cpu_seconds,
        "postgres": lambda: tree_cpu_seconds(postgres_pid),
        "client": lambda: sum(psutil.Process().cpu_times()[:2]),  # this process only
        "machine": machine_busy_seconds,
    }
    before = {name: meter() for name, meter in meters.items()}
    await asyncio.sleep(max(0.0, driver.stop_at - time.perf_counter()))
    result.cpu = {name: meter() - before[name] for name, meter in meters.items()}
    result.server_cpu = result.cpu["serve"]
    await asyncio.gather(*tasks)
    for http in clients:
        await http.aclose()
    if scrape_token is not None:
        await scrape_client.aclose()


# ----------------------------------------------------------------------------- runs


MODES = ("off", "on", "metrics", "tracing", "logs")
"""``off`` and ``on`` always run; the others (``--modes``) turn on one part at a time, to find
which part of ``on`` costs what."""


def mode_env(mode: str, common: dict[str, str], workdir: Path, sink: str) -> dict[str, str]:
    env = {
        **common,
        "METRICS_ENABLED": "false",
        "TRACING_ENABLED": "false",
        "OTEL_SDK_DISABLED": "true",
        "LOG_LEVEL": "WARNING",
    }
    if mode in ("on", "metrics"):  # and a scrape every second
        env |= {"METRICS_ENABLED": "true", "METRICS_TOKEN": common["JWT_SECRET"][:32]}
    if mode in ("on", "tracing"):
        env |= {
            "TRACING_ENABLED": "true",
            "OTEL_SDK_DISABLED": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink,
            "OTEL_TRACES_SAMPLER": "always_on",
        }
    if mode in ("on", "logs"):
        env |= {
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "LOG_FILE": str(workdir / "logs" / "app.log"),
        }
    return env


def report_server_errors(mode: str, output: Path) -> None:
    """Name on stderr what the service logged at ERROR or above (e.g. the cause of a 500)."""
    problems = [
        line
        for line in output.read_text(errors="replace").splitlines()
        if '"level":"error"' in line or '"level":"critical"' in line or "Traceback" in line
    ]
    if problems:
        log(f"{mode}: the service logged {len(problems)} error lines; first: {problems[0][:1500]}")


@dataclass
class Target:
    """One running service of one mode, with what the virtual users need to drive it."""

    mode: str
    server: Server
    plan: Plan
    scrape_token: str | None
    workdir: Path


def start_target(
    mode: str, pg: Any, redis_url: str, sink: str, args: Any, password: str, workdir: Path
) -> Any:
    """``serve`` in ``mode`` on its own copy of the seeded database and its own Redis db."""
    name = f"load_{mode}"
    asyncio.run(copy_database(pg.dsn(driver=None, database="postgres"), "seeded", name))
    common = {
        **base_env(workdir),
        "ENVIRONMENT": "production",
        "TRUSTED_HOSTS": LOOPBACK,
        "JWT_SECRET": secrets.token_hex(32),
        "DATABASE_URL": pg.dsn(database=name),
        "REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/{MODES.index(mode) + 1}",
        "RATE_LIMIT_LOGIN": "1000000/minute",
        "RATE_LIMIT_API": "1000000/minute",
    }
    env = mode_env(mode, common, workdir, sink)

    @contextlib.contextmanager
    def running() -> Iterator[Target]:
        with serve(env, workdir, args.workers) as server:

            async def plan() -> Plan:
                async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
                    return await make_plan(http, password, args.users)

            yield Target(mode, server, asyncio.run(plan()), env.get("METRICS_TOKEN"), workdir)
        report_server_errors(mode, workdir / "serve.out")

    return running()


def one_slice(target: Target, sink: Any, args: Any, postgres_pid: int | None) -> Result:
    """Drive ``target`` for ``--warmup`` + ``--duration`` seconds; the other one stays idle."""
    result = Result(target.mode, args.duration)
    exports_before, bytes_before, spans_before = sink[1][0], sink[1][1], sink[1][2]
    sink_cpu = psutil.Process(sink[2])
    sink_before = sum(sink_cpu.cpu_times()[:2])
    asyncio.run(drive(target.server, result, target.plan, args, target.scrape_token, postgres_pid))
    result.load = os.getloadavg()[0]
    result.extra["otlp_exports"] = sink[1][0] - exports_before
    result.extra["otlp_bytes"] = sink[1][1] - bytes_before
    result.extra["spans"] = sink[1][2] - spans_before
    result.extra["sink_cpu"] = sum(sink_cpu.cpu_times()[:2]) - sink_before
    return result


# --------------------------------------------------------------------------- report


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary(result: Result, ops: tuple[str, ...]) -> dict[str, float]:
    values = [v for op in ops for v in result.samples.get(op, [])]
    return {
        "count": len(values),
        "rps": len(values) / result.duration,
        "p50": pct(values, 0.50) * 1000,
        "p95": pct(values, 0.95) * 1000,
        "p99": pct(values, 0.99) * 1000,
        "errors": sum(result.errors.get(op, 0) for op in ops),
    }


def pooled(results: list[Result]) -> Result:
    """Every round of one mode as one run: samples pooled, durations added."""
    merged = Result(results[0].mode, sum(r.duration for r in results))
    for r in results:
        for op, values in r.samples.items():
            merged.samples[op].extend(values)
        for op, count in r.errors.items():
            merged.errors[op] += count
    return merged


ALL = READS + WRITES + ("login",)
ROWS: list[tuple[str, tuple[str, ...]]] = [
    *((name, ops) for name, ops in GROUPS.items()),
    ("**all API requests**", ALL),
    ("`/metrics` scrape", ("metrics",)),
]


def ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio(a: float, b: float) -> str:
    return "-" if math.isnan(a) or math.isnan(b) or not b else f"{a / b:.2f}"


def table(runs: dict[str, list[Result]]) -> str:
    out = [
        "| operation | observability | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, ops in ROWS:
        for mode in ("off", "on"):
            if label.startswith("`/metrics`") and mode == "off":
                continue
            s = summary(pooled(runs[mode]), ops)
            out.append(
                f"| {label} | {mode} | {s['count']:.0f} | {s['rps']:.1f} | {ms(s['p50'])} | "
                f"{ms(s['p95'])} | {ms(s['p99'])} | {s['errors']:.0f} |"
            )
    out += [
        "",
        "| endpoint | off p50 / p99 ms | on p50 / p99 ms | p99 on/off |",
        "|---|---|---|---:|",
    ]
    for op in ALL:
        off, on = summary(pooled(runs["off"]), (op,)), summary(pooled(runs["on"]), (op,))
        out.append(
            f"| {op} | {ms(off['p50'])} / {ms(off['p99'])} | {ms(on['p50'])} / {ms(on['p99'])} | "
            f"{ratio(on['p99'], off['p99'])} |"
        )
    off_all, on_all = summary(pooled(runs["off"]), ALL), summary(pooled(runs["on"]), ALL)

    def requests(r: Result) -> int:
        return sum(len(r.samples.get(op, [])) for op in (*ALL, "metrics"))

    cpu = {
        m: sum(r.server_cpu for r in rs) / sum(map(requests, rs)) * 1e3 for m, rs in runs.items()
    }

    def cores(mode: str, name: str) -> float:
        return sum(r.cpu.get(name, 0.0) for r in runs[mode]) / sum(r.duration for r in runs[mode])

    per_round = ", ".join(
        f"{summary(on, ALL)['rps'] / summary(off, ALL)['rps']:.2f}"
        for off, on in zip(runs["off"], runs["on"], strict=True)
    )
    keys = {k for r in runs["on"] for k in r.extra}
    extra = {k: sum(r.extra.get(k, 0) for r in runs["on"]) for k in keys}
    seconds = sum(r.duration for r in runs["on"])
    order = sorted((r for rs in runs.values() for r in rs), key=lambda r: r.started)
    errors: dict[str, int] = defaultdict(int)
    for r in order:
        for kind, count in r.error_kinds.items():
            errors[f"{r.mode}: {kind}"] += count
    lines = [
        f"**throughput on/off = {on_all['rps'] / off_all['rps']:.2f}** "
        f"(each pair of slices: {per_round}); "
        f"latency on/off: p50 {on_all['p50'] / off_all['p50']:.2f}, "
        f"p95 {on_all['p95'] / off_all['p95']:.2f}, **p99 {on_all['p99'] / off_all['p99']:.2f}**",
        f"server CPU per request (all of `serve`'s processes, measured window, `/metrics` "
        f"included): off {cpu['off']:.2f} ms, on {cpu['on']:.2f} ms "
        f"({cpu['on'] / cpu['off']:.2f}x)",
        f"telemetry of the `on` service: {extra.get('otlp_exports', 0) / seconds:.1f} OTLP "
        "exports/s "
        f"(about {extra.get('spans', 0) / max(1, on_all['count']):.0f} spans per API request, "
        f"{extra.get('otlp_bytes', 0) / seconds / 1e3:.0f} kB/s; the sink used "
        f"{extra.get('sink_cpu', 0):.1f} s CPU in all), "
        f"{extra.get('log_lines', 0):.0f} JSON lines in LOG_FILE (whole run, warm-ups "
        "included), "
        f"`/metrics` {extra.get('metrics_bytes', 0) / len(runs['on']) / 1e3:.0f} kB per scrape",
        "cores busy in the measured window, off / on: "
        + ", ".join(
            f"{name} {cores('off', name):.2f} / {cores('on', name):.2f}"
            for name in ("serve", "postgres", "client", "machine")
        )
        + " (machine: all 2 cores, other people's jobs included)",
        "1-minute load average after each slice, in order (2 cores; others' jobs included): "
        + ", ".join(f"{r.mode} {r.load:.1f}" for r in order),
        "errors: "
        + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) if errors else "none"),
    ]
    text = "\n".join(out) + "\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    if len(runs) > 2:
        text += "\n" + parts_table(runs, cpu)
    return text


def parts_table(runs: dict[str, list[Result]], cpu: dict[str, float]) -> str:
    """One row per mode: what each part of ``on`` costs alone."""
    off = summary(pooled(runs["off"]), ALL)
    out = [
        "| observability | API req/s | / off | p50 ms | p99 ms | server CPU ms/request | / off |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, results in runs.items():
        s = summary(pooled(results), ALL)
        out.append(
            f"| {mode} | {s['rps']:.1f} | {ratio(s['rps'], off['rps'])} | {ms(s['p50'])} | "
            f"{ms(s['p99'])} | {cpu[mode]:.2f} | {ratio(cpu[mode], cpu['off'])} |"
        )
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- main


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip() not in ("read", "write", "signin"):
            raise argparse.ArgumentTypeError(f"mix: unknown kind {key!r} (read, write, signin)")
        mix[key.strip()] = float(value)
    return mix


def parse_modes(text: str) -> list[str]:
    modes = ["off", "on"]
    for mode in (m.strip() for m in text.split(",") if m.strip()):
        if mode not in MODES:
            raise argparse.ArgumentTypeError(f"modes: unknown {mode!r} ({', '.join(MODES)})")
        if mode not in modes:
            modes.append(mode)
    return modes


def env_default(name: str, default: str) -> str:
    return os.environ.get(name) or default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration", type=float, default=float(env_default("BENCH_LOAD_DURATION", "10")),
        help="measured seconds per slice (BENCH_LOAD_DURATION)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup", type=float, default=float(env_default("BENCH_LOAD_WARMUP", "3")),
        help="unmeasured seconds at the start of each slice (BENCH_LOAD_WARMUP)",
    )  # fmt: skip
    parser.add_argument(
        "--users", type=int, default=int(env_default("BENCH_LOAD_USERS", "16")),
        help="concurrent virtual users (BENCH_LOAD_USERS)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=int(env_default("BENCH_LOAD_ROUNDS", "4")),
        help="slices per mode, in off-on, on-off order (BENCH_LOAD_ROUNDS)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=int(env_default("BENCH_LOAD_WORKERS", "1")),
        help="serve --workers (BENCH_LOAD_WORKERS)",
    )  # fmt: skip
    parser.add_argument(
        "--mix", type=parse_mix, default=env_default("BENCH_LOAD_MIX", DEFAULT_MIX),
        help="weights per iteration (BENCH_LOAD_MIX)",
    )  # fmt: skip
    parser.add_argument(
        "--modes", type=parse_modes, default=env_default("BENCH_LOAD_MODES", "off,on"),
        help="also: metrics, tracing, logs: one part on at a time (BENCH_LOAD_MODES)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep serve.out and logs")
    args = parser.parse_args()
    password = secrets.token_urlsafe(24)
    runs: dict[str, list[Result]] = {mode: [] for mode in args.modes}
    started = time.perf_counter()
    root = tempfile.mkdtemp(prefix="bench-load-")
    with (
        contextlib.ExitStack() as cleanup,
        postgres_server("seeded") as pg,
        redis_server() as redis,
        otlp_sink() as sink,
        contextlib.ExitStack() as services,  # stopped first, while PostgreSQL still runs
    ):
        if args.keep:
            log(f"keeping the servers' output and logs in {root}")
        else:
            cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        log("migrating and seeding (seed --demo small)")
        (Path(root) / "seed").mkdir()
        prepare_template(pg.dsn(), Path(root) / "seed", password)
        targets = {}
        for mode in args.modes:
            workdir = Path(root) / mode
            workdir.mkdir()
            running = start_target(mode, pg, redis.url, sink[0], args, password, workdir)
            targets[mode] = services.enter_context(running)
        for number in range(args.rounds):  # off on, on off, off on...: drift hits all alike
            for mode in args.modes if number % 2 == 0 else args.modes[::-1]:
                log(f"round {number + 1}: {mode}, {args.warmup:g} + {args.duration:g} s")
                runs[mode].append(one_slice(targets[mode], sink, args, pg._postmaster_pid()))
        log_file = targets["on"].server.log_file
        if log_file is not None and log_file.exists():
            with log_file.open("rb") as lines:
                runs["on"][-1].extra["log_lines"] = sum(1 for _ in lines)
    mix = ", ".join(f"{k} {v:g}" for k, v in args.mix.items())
    sys.stdout.write(
        f"Mixed load, {args.users} virtual users (closed loop), {args.duration:g} s measured after "
        f"{args.warmup:g} s warm-up per slice, {args.rounds} slices per mode "
        f"({' '.join(args.modes)}, then backwards...), "
        f"`serve --workers {args.workers}` on PostgreSQL 15 + Redis, weights {mix}; "
        f"{time.perf_counter() - started:.0f} s in all\n\n"
    )
    sys.stdout.write(table(runs))


if __name__ == "__main__":
    main()
