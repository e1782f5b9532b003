"""Concurrent readers of an audited list, on SQLite and on PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_concurrent_reads.py [--readers 16] [--duration 15]
[--backends sqlite,postgres] [--path /api/v1/people] [--app-root DIR]``; progress goes to
stderr, the table to stdout.

Every read of personal data writes an audit row (``app.audit``), so on SQLite every reader also
queues for the database's one write lock. For each backend: a database migrated, given a
coordinator and seeded (``seed --demo small``) by the ``residency-scheduler`` command; one
``serve`` process (uvicorn) on it; ``--readers`` clients in a closed loop (no think time), each
signed in once as the coordinator, ``GET`` the path for ``--warmup`` + ``--duration`` seconds with
a ``--timeout`` client timeout (a timeout or any answer but 200 is an error). Latency is
measured by the client. After the server has stopped, the audit rows written for the path are
counted against the 200 answers (none may be missing). PostgreSQL is a real PostgreSQL 15 from
``tests/support/servers.py``. ``--app-root`` serves another checkout (e.g. ``git archive HEAD``
unpacked) with this venv, to measure before and after a change. Client, server and database
share the machine: compare rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import asyncpg
import httpx

from tests.support.servers import LOOPBACK, free_port, postgres_server

API = "/api/v1"
USER, PASSWORD = "bench.coordinator", "bench-coordinator-password-0123"
ROOT = Path(__file__).resolve().parent.parent
AUDITED = {"/api/v1/people": "person", "/api/v1/shifts": "shift", "/api/v1/leave": "leave"}


def log(message: str) -> None:
    sys.stderr.write(f"[bench_concurrent_reads {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def command(app_root: Path) -> list[str]:
    """``residency-scheduler`` from ``app_root`` (this venv's packages)."""
    return [sys.executable, "-c", "from app.cli import main; main()"]


def environment(app_root: Path, workdir: Path, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TMPDIR")}
    return {
        **keep,
        "HOME": str(workdir),
        "PYTHONPATH": str(app_root),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "TRACING_ENABLED": "false",
        "RATE_LIMIT_API": "1000000/minute",
        "RATE_LIMIT_LOGIN": "1000000/minute",
    }


def cli(app_root: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [*command(app_root), *args],
        env=env,
        cwd=env["HOME"],
        input=stdin,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"residency-scheduler {' '.join(args)} failed:\n{result.stderr}")


@contextlib.contextmanager
def serve(app_root: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    output = Path(env["HOME"]) / "serve.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [*command(app_root), "serve", "--host", LOOPBACK, "--port", str(port)],
            env=env,
            cwd=env["HOME"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # graceful: the lifespan's shutdown runs
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def drive(url: str, args: argparse.Namespace) -> dict[str, float]:
    latencies: list[float] = []
    errors = {"timeout": 0, "other": 0}
    ok = 0
    limits = httpx.Limits(max_connections=args.readers + 4)
    async with httpx.AsyncClient(
        base_url=url, trust_env=False, timeout=args.timeout, limits=limits
    ) as http:
        login = await http.post(f"{API}/auth/login", json={"username": USER, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.raise_for_status().json()['access_token']}"}
        started = time.perf_counter()
        measure_from, stop_at = started + args.warmup, started + args.warmup + args.duration

        async def reader() -> None:
            nonlocal ok
            while time.perf_counter() < stop_at:
                begun = time.perf_counter()
                try:
                    response = await http.get(args.path, params={"limit": 50}, headers=headers)
                    status = response.status_code
                except httpx.TimeoutException:
                    status = -1
                except httpx.HTTPError:
                    status = -2
                ok += status == 200
                if begun >= measure_from:
                    latencies.append(time.perf_counter() - begun)
                    if status == -1:
                        errors["timeout"] += 1
                    elif status != 200:
                        errors["other"] += 1

        await asyncio.gather(*(reader() for _ in range(args.readers)))
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "rate": len(latencies) / args.duration,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": max(latencies) * 1000,
        "timeouts": errors["timeout"],
        "errors": errors["other"],
        "ok_total": ok,
    }


def prepare(app_root: Path, env: dict[str, str]) -> None:
    cli(app_root, env, "migrate")
    cli(
        app_root,
        env,
        "create-user",
        USER,
        "--role",
        "coordinator",
        "--password-stdin",
        stdin=PASSWORD,
    )
    cli(app_root, env, "seed", "--demo", "small")


def run(app_root: Path, env: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    prepare(app_root, env)
    with serve(app_root, env) as url:
        log(f"{args.readers} readers of {args.path}, {args.warmup:g}+{args.duration:g} s")
        return asyncio.run(drive(url, args))


def audit_rows_sqlite(path: Path, resource: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        query = "SELECT count(*) FROM audit_events WHERE action = 'list' AND resource_type = ?"
        return int(connection.execute(query, (resource,)).fetchone()[0])


async def audit_rows_postgres(dsn: str, resource: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) FROM audit_events WHERE action = 'list' AND resource_type = $1"
        return int(await connection.fetchval(query, resource))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--path", default="/api/v1/people", choices=sorted(AUDITED))
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--app-root", type=Path, default=ROOT)
    parser.add_argument("--label", default="", help="a name for the code measured (a column)")
    args = parser.parse_args()
    app_root = args.app_root.resolve()
    resource = AUDITED[args.path]
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
            workdir = Path(tmp)
            if backend == "sqlite":
                path = workdir / "bench.db"
                env = environment(app_root, workdir, f"sqlite+aiosqlite:///{path}")
                result = run(app_root, env, args)
                audited = audit_rows_sqlite(path, resource)
            else:
                with postgres_server("bench_reads") as pg:
                    env = environment(app_root, workdir, pg.dsn())
                    result = run(app_root, env, args)
                    audited = asyncio.run(audit_rows_postgres(pg.dsn(driver=None), resource))
            # the seed and the warm-up also list; every 200 must have left its row
            missing = max(0, int(result["ok_total"]) - audited)
            rows.append((backend, result, missing))
    lines = [
        f"{args.readers} concurrent readers of `GET {args.path}?limit=50` for {args.duration:g} s"
        f" (after {args.warmup:g} s warm-up), client timeout {args.timeout:g} s",
        "",
        "| code | backend | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | timeouts "
        "| other errors | audit rows missing |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, r, missing in rows:
        lines.append(
            f"| {args.label or app_root.name} | {backend} | {r['requests']:.0f} | {r['rate']:.0f} "
            f"| {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} "
            f"| {r['timeouts']:.0f} | {r['errors']:.0f} | {missing} |"
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
