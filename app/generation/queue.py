"""The generation job queue: huey on Redis (``REDIS_URL``) or on a SQLite file.

A queued message carries a job id and nothing else; the job (program, status, progress,
outcome) is a row in the database, which any replica reads. Huey only hands ids to whichever
consumer is free: one embedded in each API process (``GENERATION_WORKER=embedded``) or the
``residency-scheduler worker`` processes. A message delivered twice is harmless: running a
job starts by claiming its row, and only one claim succeeds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.consumer import Consumer, Worker  # type: ignore[import-untyped]
from redis import ConnectionPool
from sqlalchemy.engine import make_url

from app.core.config import Settings

logger = logging.getLogger(__name__)

QUEUE_NAME = "residency-scheduler-generation"
TASK_NAME = "generation.run"
QUEUE_FILE_NAME = "generation-queue.db"
REDIS_READ_SECONDS = 1
POLL_MAX_SECONDS = 1.0  # a SQLite queue is polled; an idle consumer looks at least this often
UNREACHABLE_RETRY_SECONDS = 5.0


def queue_file(settings: Settings) -> Path:
    """GENERATION_QUEUE_FILE, else ``generation-queue.db`` beside the SQLite database (else in
    ``./data``, where the default database lives)."""
    if settings.generation_queue_file:
        return Path(settings.generation_queue_file)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / QUEUE_FILE_NAME
    return Path("data") / QUEUE_FILE_NAME


def build_huey(settings: Settings) -> Any:
    """Redis when REDIS_URL is set (shared by every replica and worker), else a SQLite file
    (shared by the processes of one machine). Results are in the database, not in huey."""
    if settings.redis_url:
        timeout = settings.redis_timeout_seconds
        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=timeout,  # a stopped or frozen Redis: bounded waits
            socket_timeout=REDIS_READ_SECONDS + timeout,  # a BRPOP lasts REDIS_READ_SECONDS
        )
        return RedisHuey(
            QUEUE_NAME,
            results=False,
            connection_pool=pool,
            blocking=True,  # BRPOP: a job starts as soon as it is queued
            read_timeout=REDIS_READ_SECONDS,  # and a stopping consumer notices soon after
        )
    # The file and its tables are made on first use (JobQueue), not when an app is built.
    return SqliteHuey(
        QUEUE_NAME, results=False, filename=str(queue_file(settings)), create_tables=False
    )


class _Worker(Worker):  # type: ignore[misc]
    """Huey's worker, with one warning line (not a traceback every second) and a longer pause
    while the queue cannot be reached (a stopped or frozen Redis)."""

    def loop(self, now: Any = None) -> None:
        try:
            task = self.huey.dequeue()
        except Exception as exc:
            logger.warning("generation queue unreachable (%s); retrying", type(exc).__name__)
            self.stop_flag.wait(UNREACHABLE_RETRY_SECONDS)
            return
        if task is None:
            if not self.huey.storage.blocking:
                self.sleep()
            return
        self.delay = self.default_delay
        try:
            self.huey.execute(task, now)
        except Exception:
            logger.exception("generation task failed")


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers (the process hosting it, uvicorn or the
    ``worker`` command, owns SIGINT and SIGTERM) and without its start-up banner."""

    worker_class = _Worker

    def start(self) -> None:
        self.scheduler.start()
        for _, thread in self.worker_threads:
            thread.start()


class JobQueue:
    """One huey instance with the one task registered: ``enqueue`` from any process,
    ``consumer`` to run what is queued in this one."""

    def __init__(
        self,
        huey: Any,
        run: Callable[[str], None],
        *,
        on_start: Callable[[Callable[[str], None]], None] | None = None,
    ) -> None:
        self.huey = huey
        filename = getattr(huey.storage, "filename", None)
        self.where = str(filename) if filename is not None else "redis"  # for the logs
        self._task = huey.task(name=TASK_NAME)(run)
        self._ready = False
        self._lock = threading.Lock()
        if on_start is not None:  # in the consumer's worker thread, before its first job
            huey.on_startup(name="generation.recover")(lambda: on_start(self.enqueue))

    def _prepare(self) -> None:
        """A SQLite queue's folder and tables, made once, on first use."""
        with self._lock:
            if self._ready:
                return
            filename = getattr(self.huey.storage, "filename", None)
            if filename is not None:
                Path(filename).parent.mkdir(parents=True, exist_ok=True)
                self.huey.storage.initialize_schema()
            self._ready = True

    def enqueue(self, job_id: str) -> None:
        self._prepare()
        self._task(job_id)

    def consumer(self) -> JobConsumer:
        self._prepare()
        return JobConsumer(self.huey)

    def close(self) -> None:
        close = getattr(self.huey.storage, "close", None)
        if close is not None:
            close()


class JobConsumer:
    """One worker thread taking job ids off the queue. ``stop`` takes no new job; a solve in
    progress is not waited for (its job is failed by the caller, see ``GenerationJobs``)."""

    def __init__(self, huey: Any) -> None:
        self._consumer = _Consumer(
            huey,
            workers=1,  # one solve at a time: CP-SAT already uses both cores
            periodic=False,
            initial_delay=0.1,
            backoff=1.5,
            max_delay=POLL_MAX_SECONDS,
            scheduler_interval=60,  # no delayed or periodic tasks: the scheduler idles
            check_worker_health=False,
        )
        self._started = False

    def start(self) -> None:
        self._consumer.start()
        self._started = True

    def stop(self) -> None:
        """Take no new job (a solve in progress runs on; see ``wait``)."""
        self._consumer.stop_flag.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the worker thread to end after ``stop``; True
        when it has (no solve was left running)."""
        if not self._started:
            return True
        deadline = time.monotonic() + timeout
        threads: list[threading.Thread] = [t for _, t in self._consumer.worker_threads]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)
