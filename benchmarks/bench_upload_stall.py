"""How long a large schedule upload stalls ``/health`` on the same server process.

Run: ``.venv/bin/python benchmarks/bench_upload_stall.py [--mb 10] [--route validate]``.

Starts the app under uvicorn in a child process (SQLite in a temp dir, one worker), signs a
resident in (validate) or a coordinator (import), then POSTs a schedule file of about ``--mb``
megabytes while a client polls ``/health`` back to back. Prints a markdown table: the upload's
time and status, the slowest ``/health`` answer while the upload ran (and without one), the
server's longest event-loop stall during the upload (a 5 ms ticker inside the server; less
noisy than the client's view on a loaded machine), and its peak resident memory (VmHWM) before
and after the upload.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import httpx

ROUTES = {"validate": "/api/v1/compliance/validate", "import": "/api/v1/schedule/import"}
ROLES = {"validate": "resident", "import": "coordinator"}


def schedule_of_size(megabytes: float) -> bytes:
    """A valid three-year schedule file of about ``megabytes`` MB: residents working six 12-hour
    days a week, as many residents as the size needs."""
    start = date(2026, 7, 1)
    days = 3 * 365
    residents: list[dict[str, object]] = []
    shifts: list[dict[str, object]] = []
    size = 0
    while size < megabytes * 1_000_000:
        rid = f"r{len(residents):04}"
        residents.append({"id": rid, "pgy": 1 + len(residents) % 3})
        for d in range(days):
            if d % 7 == 6:
                continue
            day = start + timedelta(days=d)
            shifts.append(
                {"resident": rid, "start": f"{day}T07:00", "end": f"{day}T19:00", "kind": "day"}
            )
        size = len(shifts) * 80
    body = {
        "program": "Stall Test",
        "period": {"start": str(start), "end": str(start + timedelta(days=days - 1))},
        "residents": residents,
        "shifts": shifts,
    }
    return json.dumps(body).encode()


def _peak_rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def serve(database: str, port: int, role: str, token_file: str) -> None:
    """The child: migrate, create a user with ``role``, write its token, serve."""
    import uvicorn

    from app.auth.models import Role, User
    from app.core.config import Settings
    from app.db.migrate import upgrade_database
    from app.main import create_app

    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}", environment="test")

    async def setup() -> str:
        await upgrade_database(settings.database_url)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            person_id = None
            async with app.state.services.database.session() as session:
                if role == "resident":
                    from app.people.models import Person, PersonKind

                    person = Person(code="self", kind=PersonKind.RESIDENT, pgy=1)
                    session.add(person)
                    await session.flush()
                    person_id = int(person.id)
                user = User(
                    username="bench", password_hash="x", role=Role(role), person_id=person_id
                )
                session.add(user)
                await session.flush()
                user_id = int(user.id)
            return str(app.state.services.tokens.issue(user_id, Role(role), person_id))

    Path(token_file).write_text(asyncio.run(setup()))
    uvicorn.run(
        LagProbe(create_app(settings)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


class LagProbe:
    """Wraps the app: a ticker measures how late the event loop wakes it; ``GET /__lag`` answers
    the longest delay (ms) since the previous ``GET /__lag``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.worst = 0.0
        self.ticker: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - started - 0.005)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.ticker is None:
            self.ticker = asyncio.get_running_loop().create_task(self.tick())
        if scope["type"] == "http" and scope["path"] == "/__lag":
            worst, self.worst = self.worst, 0.0
            body = json.dumps({"worst_ms": worst * 1000}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class HealthPoller(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get(self.url).raise_for_status()
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.005)


def poll_health(url: str, seconds: float) -> list[float]:
    poller = HealthPoller(url)
    poller.start()
    time.sleep(seconds)
    poller.stop.set()
    poller.join()
    return poller.latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--route", choices=sorted(ROUTES), default="validate")
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        database, port, role, token_file = args.serve
        serve(database, int(port), role, token_file)
        return 0

    body = schedule_of_size(args.mb)
    port = 20000 + secrets.randbelow(20000)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        token_file = f"{tmp}/token"
        env = {
            **os.environ,
            "JWT_SECRET": secrets.token_urlsafe(32),
            "MAX_IMPORT_BYTES": str(max(20 * 1024 * 1024, len(body) + 1024)),
            "LOG_LEVEL": "WARNING",
        }
        serve_args = [f"{tmp}/app.db", str(port), ROLES[args.route], token_file]
        child = subprocess.Popen([sys.executable, __file__, "--serve", *serve_args], env=env)
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            token = Path(token_file).read_text()
            idle = poll_health(f"{base}/health", 2.0)
            peak_before, _ = _peak_rss_mb(child.pid)

            poller = HealthPoller(f"{base}/health")
            poller.start()
            time.sleep(0.3)
            httpx.get(f"{base}/__lag")
            started = time.perf_counter()
            response = httpx.post(
                base + ROUTES[args.route],
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=600,
            )
            upload_seconds = time.perf_counter() - started
            loop_stall = httpx.get(f"{base}/__lag").json()["worst_ms"]
            poller.stop.set()
            poller.join()
            peak_after, _ = _peak_rss_mb(child.pid)
        finally:
            child.terminate()
            child.wait(timeout=30)

    during = poller.latencies
    sys.stdout.write(
        "| route | body MB | upload s (status) | /health max idle ms | /health max during ms"
        " | /health answers during | server loop stall ms | peak RSS before MB"
        " | peak RSS after MB |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        f"| {args.route} | {len(body) / 1e6:.1f} | {upload_seconds:.2f} ({response.status_code})"
        f" | {max(idle) * 1000:.0f} | {max(during) * 1000:.0f} | {len(during)} | {loop_stall:.0f}"
        f" | {peak_before:.0f} | {peak_after:.0f} |\n"
    )
    return 0 if response.status_code < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
