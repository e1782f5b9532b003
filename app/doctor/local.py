"""Checks of what this machine's settings point at: the database, the trace exporters, the
sampling in effect and the log file. Each returns one :class:`CheckResult`, never raises."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.metrics.catalog import TRACING_SPANS_DROPPED
from app.db.engine import build_engine, is_sqlite
from app.db.migrate import head_revision, stored_revision
from app.doctor.result import CheckResult, fail, ok, skip
from app.tracing.config import TracingConfig
from app.tracing.exporters import plan_exporters

CONNECT_TIMEOUT = 3.0
DATABASE = "database"
OTLP = "trace endpoint"
SAMPLING = "tracing"
LOG_FILE = "log file"


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL Settings accepted; never echo it if it cannot be parsed
        return "DATABASE_URL"


def _missing_sqlite_file(url: str) -> bool:
    file = make_url(url).database if is_sqlite(url) else None
    return bool(file) and file != ":memory:" and not Path(str(file)).exists()


async def check_database(settings: Settings) -> CheckResult:
    where = _safe_url(settings.database_url)
    needed = head_revision()
    fix_migrate = "run `residency-scheduler migrate` (with the same DATABASE_URL)"
    if _missing_sqlite_file(settings.database_url):  # connecting would create an empty one
        return fail(DATABASE, f"{where}: no such database file", fix_migrate)
    engine = build_engine(settings.database_url, connect_timeout=CONNECT_TIMEOUT, pool_timeout=5)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT * 2):
            async with engine.connect() as connection:
                stored = await stored_revision(connection)
    except Exception as exc:
        return fail(
            DATABASE,
            f"cannot connect to {where} ({type(exc).__name__})",
            "start the database, or set DATABASE_URL to one this machine can reach "
            "(postgresql://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH)",
        )
    finally:
        await engine.dispose()
    if stored == needed:
        return ok(DATABASE, f"{where} at revision {needed}")
    return fail(
        DATABASE, f"{where} is at {stored or 'no schema'}; the code needs {needed}", fix_migrate
    )


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"//{url}")
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "localhost", parts.port or default


def _reachable(host: str, port: int) -> str | None:
    """None when a TCP connection to ``host:port`` opens; else why not."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def check_otlp(settings: Settings) -> CheckResult:
    config = TracingConfig.from_settings(settings)
    targets = [plan for plan in plan_exporters(config) if plan.target is not None]
    if not targets:
        return skip(OTLP, "not configured: no OTEL_EXPORTER_OTLP_ENDPOINT or JAEGER_ENDPOINT set")
    found: list[str] = []
    for plan in targets:
        assert plan.target is not None
        host, port = _host_port(plan.target.url)
        problem = _reachable(host, port)
        where = f"{plan.name} {plan.target.protocol} {plan.target.url}"
        if problem is not None:
            return fail(
                OTLP,
                f"{where}: cannot connect to {host}:{port} ({problem})",
                "start the OpenTelemetry Collector or Jaeger (>= 1.35, OTLP on 4317/4318), or "
                "set OTEL_EXPORTER_OTLP_ENDPOINT / JAEGER_ENDPOINT to where it listens; spans "
                f"are counted in {TRACING_SPANS_DROPPED.name} meanwhile",
            )
        found.append(where)
    note = "" if settings.tracing_requested else " (but tracing is off: TRACING_ENABLED=false)"
    return ok(OTLP, "; ".join(found) + note)


def check_sampling(settings: Settings) -> CheckResult:
    config = TracingConfig.from_settings(settings)
    service = f"service.name={config.service_name}"
    if not settings.tracing_requested:
        return skip(
            SAMPLING,
            f"tracing is off ({service}); set OTEL_EXPORTER_OTLP_ENDPOINT or TRACING_ENABLED=true",
        )
    rate = f"sample rate {config.sample_rate:g} (parent-based)"
    if config.sample_rate == 0:
        return fail(
            SAMPLING,
            f"{service}, {rate}: no new trace is ever kept",
            "set OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1 "
            "(or unset both: every trace is kept)",
        )
    return ok(SAMPLING, f"{service}, {rate}")


def _unwritable(path: Path) -> str | None:
    """Why the service could not append to ``path`` (None when it could), changing nothing."""
    if path.exists():
        if path.is_dir():
            return "it is a directory"
        try:
            with path.open("ab"):
                return None
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


def check_log_file(settings: Settings) -> CheckResult:
    if not settings.log_file:
        return skip(LOG_FILE, "LOG_FILE is not set: logs go to standard output only")
    path = Path(settings.log_file).expanduser()
    problem = _unwritable(path)
    if problem is not None:
        return fail(
            LOG_FILE,
            f"cannot write {path}: {problem}",
            "point LOG_FILE at a file in a directory the service's user can write (e.g. "
            "/var/log/residency-scheduler/app.log, created and owned by that user), or unset it",
        )
    return ok(LOG_FILE, f"{path} is writable")
