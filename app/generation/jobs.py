"""Generation jobs: rows in the database, run through a job queue, pollable from any replica.

``POST /schedule/generate`` stores a job (``queued``) and queues its id on huey
(:mod:`app.generation.queue`: Redis with ``REDIS_URL``, else a SQLite file). A consumer takes
it: by default one embedded in each API process (``GENERATION_WORKER=embedded``, nothing else
to start), or ``residency-scheduler worker`` processes (``GENERATION_WORKER=external``). It
claims the row, solves in a thread of its own (OR-Tools releases the GIL; one solve at a time
per consumer: two cores are better spent on one solve than on two), writes progress and a
heartbeat about once a second and stores the result (:mod:`app.generation.runner`).

Any replica answers ``GET /generation-jobs/{id}`` from the row (and ``.../schedule``: the best
year so far that a job whose time limit ran out keeps), and a restart forgets nothing:
queued jobs wait for a consumer; a running job whose worker died (no heartbeat for
``STALE_AFTER`` seconds, or its process gone from this machine) is failed with an explanation
a coordinator can act on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.core.config import Settings
from app.db.base import utcnow
from app.db.engine import Database
from app.errors import DomainError
from app.generation.models import (
    PENDING,
    STALE_AFTER,
    WORKER_STOPPED,
    GenerationJobRecord,
    JobStatus,
)
from app.generation.program import Program
from app.generation.queue import JobConsumer, JobQueue, build_huey
from app.generation.runner import JobRunner, fail_abandoned, worker_name

logger = logging.getLogger(__name__)

Job = GenerationJobRecord
MAX_PENDING = 4
LISTED = 100  # GET /generation-jobs: the newest jobs
STOP_WAIT_SECONDS = 1.5  # an idle consumer thread ends within this; a solving one is not waited
QUEUE_DOWN = "the generation queue cannot be reached; try again in a moment"


class TooManyJobsError(RuntimeError):
    pass


class QueueUnavailableError(DomainError):
    status_code = 503


@dataclass(frozen=True)
class JobProgress:
    phase: str
    solutions: int
    objective: float | None
    bound: float | None
    elapsed: float


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


@dataclass
class GenerationJob:
    """A job as the API shows it (read from its row)."""

    id: str
    seed: int
    time_limit: float | None
    status: JobStatus = "queued"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: JobProgress | None = None
    outcome: str | None = None
    explanation: str | None = None
    objective: float | None = None
    wall_time: float | None = None
    shifts: int | None = None
    academic_year_id: int | None = None
    partial_schedule: bool = False  # a timeout's best year so far is kept with the job

    @classmethod
    def of(cls, row: GenerationJobRecord, *, partial_schedule: bool = False) -> GenerationJob:
        p = row.progress
        return cls(
            id=row.id,
            seed=row.seed,
            time_limit=row.time_limit,
            status=cast(JobStatus, row.status),  # written by this package only
            created_at=_aware(row.created_at) or datetime.now(UTC),
            started_at=_aware(row.started_at),
            finished_at=_aware(row.finished_at),
            progress=JobProgress(
                phase=str(p["phase"]),
                solutions=int(p["solutions"]),
                objective=p.get("objective"),
                bound=p.get("bound"),
                elapsed=float(p["elapsed"]),
            )
            if p
            else None,
            outcome=row.outcome,
            explanation=row.explanation,
            objective=row.objective,
            wall_time=row.wall_time,
            shifts=row.shifts,
            academic_year_id=row.academic_year_id,
            partial_schedule=partial_schedule,
        )


def _silent(row: GenerationJobRecord) -> bool:
    if row.status != "running":
        return False
    limit = utcnow() - timedelta(seconds=STALE_AFTER)
    return row.heartbeat_at is None or row.heartbeat_at < limit


class GenerationJobs:
    """Submit and read jobs (any process); run them here too when ``embedded``."""

    def __init__(self, database: Database, queue: JobQueue, *, worker: str, embedded: bool) -> None:
        self.database = database
        self.queue = queue
        self.worker = worker  # the name this process's consumer claims jobs under
        self.embedded = embedded
        self._consumer: JobConsumer | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, database: Database, *, embedded: bool | None = None
    ) -> GenerationJobs:
        """The jobs of ``settings``' database and queue; ``embedded`` (default: from
        GENERATION_WORKER) says whether :meth:`start` runs a consumer in this process."""
        worker = worker_name()
        runner = JobRunner(settings, worker)
        queue = JobQueue(build_huey(settings), runner, on_start=runner.recover)
        if embedded is None:
            embedded = settings.generation_worker == "embedded"
        return cls(database, queue, worker=worker, embedded=embedded)

    # --- the API's side ----------------------------------------------------------------------

    async def submit(
        self,
        program: Program,
        *,
        seed: int,
        time_limit: float | None,
        requested_by: int | None = None,
    ) -> GenerationJob:
        row = Job(
            id=uuid.uuid4().hex,
            status="queued",
            seed=seed,
            time_limit=time_limit,
            program=program.model_dump(mode="json"),
            requested_by=requested_by,
            created_at=utcnow(),
        )
        async with self.database.session() as session:
            await fail_abandoned(session)  # a dead worker's job no longer counts as pending
            pending = await session.scalar(
                select(func.count()).select_from(Job).where(Job.status.in_(PENDING))
            )
            if (pending or 0) < MAX_PENDING:
                session.add(row)
        if (pending or 0) >= MAX_PENDING:
            raise TooManyJobsError(f"{pending} generation jobs are already waiting or running")
        try:
            await asyncio.to_thread(self.queue.enqueue, row.id)
        except Exception:
            logger.exception("could not queue a generation job", extra={"job_id": row.id})
            async with self.database.session() as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == row.id, Job.status == "queued")
                    .values(status="failed", outcome="error", explanation=QUEUE_DOWN)
                    .values(finished_at=utcnow())
                )
            raise QueueUnavailableError(QUEUE_DOWN) from None
        return GenerationJob.of(row)

    async def get(self, job_id: str) -> GenerationJob | None:
        async with self.database.session() as session:
            rows = await self._read(session, Job.id == job_id)
        return rows[0] if rows else None

    async def all(self) -> list[GenerationJob]:
        """The newest jobs first (at most ``LISTED``)."""
        async with self.database.session() as session:
            return await self._read(session, None)

    async def partial_schedule(self, job_id: str) -> tuple[bool, dict[str, Any] | None]:
        """Whether the job exists, and the best year so far it keeps (a schedule file's JSON),
        if any: a job whose time limit ran out while placing shifts."""
        async with self.database.session() as session:
            row = (
                await session.execute(select(Job.partial_schedule).where(Job.id == job_id))
            ).one_or_none()
        return (row is not None, row[0] if row is not None else None)

    async def _read(
        self, session: AsyncSession, where: ColumnElement[bool] | None
    ) -> list[GenerationJob]:
        kept = Job.partial_schedule.is_not(None)  # the year itself is not read here
        query = (
            select(Job, kept)
            .options(defer(Job.program), defer(Job.partial_schedule))
            .order_by(Job.created_at.desc())
        )
        if where is not None:
            query = query.where(where)
        rows = (await session.execute(query.limit(LISTED))).all()
        if any(_silent(row[0]) for row in rows):  # a worker died: say so instead of "running"
            await fail_abandoned(session)
            query = query.execution_options(populate_existing=True)
            rows = (await session.execute(query.limit(LISTED))).all()
        return [GenerationJob.of(row[0], partial_schedule=bool(row[1])) for row in rows]

    # --- the embedded consumer ---------------------------------------------------------------

    def start(self) -> None:
        """When ``embedded``: take jobs off the queue in this process (one thread; before its
        first job it fails the jobs of dead workers and queues the queued ones again)."""
        if not self.embedded or self._consumer is not None:
            return
        self._consumer = self.queue.consumer()
        self._consumer.start()
        logger.info(
            "taking generation jobs off the queue",
            extra={"worker": self.worker, "queue": self.queue.where},
        )

    async def close(self, *, interrupt: asyncio.Event | None = None) -> None:
        """Stop taking jobs. A solve still running here is given up (its job failed, so no
        poller waits for a process that is going away), at once or, given ``interrupt``, when
        that is set before the solve ends."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop()
            finished = await asyncio.to_thread(consumer.wait, STOP_WAIT_SECONDS)
            if not finished and interrupt is not None:
                logger.info("finishing the generation in progress; signal again to stop now")
                while not finished and not interrupt.is_set():
                    finished = await asyncio.to_thread(consumer.wait, 0.25)
            if not finished:
                await self.abandon()
        await asyncio.to_thread(self.queue.close)

    async def abandon(self) -> int:
        """Fail the jobs this process's consumer is running (it is stopping)."""
        async with self.database.session() as session:
            given_up = await fail_abandoned(session, workers=[self.worker])
        if given_up:
            logger.warning(
                "generation stopped while solving", extra={"explanation": WORKER_STOPPED}
            )
        return given_up
