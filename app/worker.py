"""``residency-scheduler worker``: generation jobs run in a process of their own.

With ``GENERATION_WORKER=external`` API processes only queue jobs, and workers take them, one
at a time each: as many as you like, on any machine that reaches the database and the queue
(``REDIS_URL``; without it, the SQLite queue file is shared by the processes of one machine).
A worker logs, traces (the ``schedule_generation`` span) and counts its generations like the
app; the counts reach Prometheus through ``PUSHGATEWAY_URL`` or, on the API's machine, a
shared ``PROMETHEUS_MULTIPROC_DIR``.

SIGTERM or Ctrl-C: take no new job and let the one being solved finish; a second signal stops
at once, and that job is failed in a coordinator's words ("start the generation again").
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from app.core.config import Settings
from app.core.logging.events import EventLog
from app.core.metrics.install import build_metrics
from app.db.engine import Database
from app.events import bus
from app.generation.jobs import GenerationJobs
from app.security.active_users import MemoryActiveUsers
from app.tracing.config import TracingConfig
from app.tracing.setup import flush_spans, setup_tracing

logger = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Run generation jobs in the foreground until SIGTERM or Ctrl-C."""
    asyncio.run(serve_jobs(settings))


async def serve_jobs(settings: Settings) -> None:
    if settings.tracing_requested:
        setup_tracing(TracingConfig.from_settings(settings))
    database = Database(
        settings.database_url,
        pool_size=2,
        max_overflow=2,
        connect_timeout=settings.database_connect_timeout,
        pool_timeout=settings.database_pool_timeout,
        statement_timeout=settings.database_statement_timeout,
    )
    jobs = GenerationJobs.from_settings(settings, database, embedded=True)
    window = float(settings.active_users_window_seconds)
    metrics = build_metrics(settings, database, MemoryActiveUsers(window))
    stopping, interrupt = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (interrupt if stopping.is_set() else stopping).set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(database.dispose)
        stack.push_async_callback(flush_spans)
        stack.enter_context(bus.subscribed(EventLog().handlers))
        if metrics is not None:
            await stack.enter_async_context(metrics.running(database))
        jobs.start()
        logger.info("generation worker ready; SIGTERM or Ctrl-C stops it")
        await stopping.wait()
        logger.info("generation worker stopping")
        await jobs.close(interrupt=interrupt)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signum)
    logger.info("generation worker stopped")
