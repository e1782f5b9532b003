"""Running one generation job, in whichever process took its id off the queue.

:class:`JobRunner` is what the queue calls, in a consumer's worker thread: it opens its own
event loop and database connections (that thread belongs to no app), claims the job's row
(only one claim succeeds, so a message delivered twice runs once), solves with the row's
program while writing progress and a heartbeat about once a second, then stores the result
as the active schedule, exactly as the API did when jobs lived in its process. When the time
limit runs out while placing shifts, the best year so far (some team-blocks unstaffed) is kept
with the job instead, for the coordinator to download; it never becomes the active schedule.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.events import ScheduleGenerated
from app.compliance.service import announce, checked
from app.core.config import Settings
from app.db.base import utcnow
from app.db.engine import Database
from app.events import publish
from app.generation.models import STALE_AFTER, WORKER_STOPPED, GenerationJobRecord, JobStatus
from app.generation.program import Program, parse_program
from app.schedules.generated import store_generated
from app.tracing import add_span_attributes, trace_function

if TYPE_CHECKING:
    from app.generation.generator import GenerationResult, Progress

logger = logging.getLogger(__name__)

Job = GenerationJobRecord
BEAT_SECONDS = 1.0  # progress and heartbeat writes while solving: about one a second
UNEXPECTED = "the generator failed unexpectedly; see the service log"


def kept_with_job(job_id: str) -> str:
    """What a job with a partial year adds to its explanation."""
    return (
        "the incomplete year is kept with this job, not made the active schedule: download it "
        f"from GET /api/v1/generation-jobs/{job_id}/schedule"
    )


def worker_name() -> str:
    """``host:pid:tag``: who runs a job; the tag tells apart two consumers of one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-128:]


class JobRunner:
    """Runs queued jobs by id for the consumer named ``worker`` (see :func:`run_job`)."""

    def __init__(self, settings: Settings, worker: str) -> None:
        self.settings = settings
        self.worker = worker

    def __call__(self, job_id: str) -> None:
        asyncio.run(self._with_database(lambda database: run_job(database, job_id, self.worker)))

    def recover(self, enqueue: Callable[[str], None]) -> None:
        """Before taking jobs: fail those of dead workers, queue the queued ones again."""
        asyncio.run(self._with_database(lambda database: recover(database, enqueue)))

    async def _with_database(self, work: Callable[[Database], Any]) -> None:
        s = self.settings
        database = Database(
            s.database_url,
            pool_size=2,
            max_overflow=2,
            connect_timeout=s.database_connect_timeout,
            pool_timeout=s.database_pool_timeout,
            statement_timeout=s.database_statement_timeout,
        )
        try:
            await work(database)
        finally:
            await database.dispose()


@dataclass(frozen=True)
class _Claimed:
    id: str
    seed: int
    time_limit: float | None
    program: dict[str, Any]
    worker: str


async def run_job(database: Database, job_id: str, worker: str) -> JobStatus | None:
    """Run the queued job ``job_id`` as ``worker``: its final status, or None when it was not
    queued (already run, or unknown to this database)."""
    job = await _claim(database, job_id, worker)
    if job is None:
        logger.info("generation job is not waiting; skipped", extra={"job_id": job_id})
        return None
    return await _execute(database, job)


async def _claim(database: Database, job_id: str, worker: str) -> _Claimed | None:
    now = utcnow()
    async with database.session() as session:
        claimed = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=now, heartbeat_at=now, worker=worker)
        )
        if _count(claimed) != 1:
            return None
        row = (
            await session.execute(
                select(Job.seed, Job.time_limit, Job.program).where(Job.id == job_id)
            )
        ).one()
    return _Claimed(job_id, row.seed, row.time_limit, row.program, worker)


@trace_function("schedule_generation")
async def _execute(database: Database, job: _Claimed) -> JobStatus | None:
    residents = 0
    try:
        program = parse_program(job.program)
        residents = len(program.roster())
        add_span_attributes(resident_count=residents, blocks=program.blocks)
        result, last = await _solve(database, job, program)
        return await _finish(database, job, program, result, last)
    except Exception:
        logger.exception("generation job failed unexpectedly", extra={"job_id": job.id})
        add_span_attributes(outcome="error")
        publish(ScheduleGenerated("error", 0.0, residents))
        await _settle(database, job, status="failed", outcome="error", explanation=UNEXPECTED)
        return "failed"


async def _solve(
    database: Database, job: _Claimed, program: Program
) -> tuple[GenerationResult, Progress | None]:
    """The solve in a thread of its own; this loop writes progress and the heartbeat."""
    from app.generation.generator import generate_schedule  # loads OR-Tools

    latest: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        latest[:] = [progress]  # the solver's thread; the loop below reads it

    solving = asyncio.ensure_future(
        asyncio.to_thread(
            generate_schedule,
            program,
            seed=job.seed,
            time_limit=job.time_limit,
            on_progress=on_progress,
            keep_partial=True,  # a timeout while placing shifts keeps the year so far
        )
    )
    written: Progress | None = None
    while True:
        done, _ = await asyncio.wait({solving}, timeout=BEAT_SECONDS)
        if done:
            return solving.result(), (latest[0] if latest else None)
        current = latest[0] if latest else None
        try:
            await _beat(database, job, current if current is not written else None)
            written = current
        except Exception:  # a database hiccup must not stop the solve; the next beat retries
            logger.warning("could not record generation progress", exc_info=True)


def _progress(progress: Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase,
        "solutions": progress.solutions,
        "objective": progress.objective,
        "bound": progress.bound,
        "elapsed": round(progress.elapsed, 3),
    }


def _mine(job: _Claimed) -> Any:
    return (Job.id == job.id) & (Job.status == "running") & (Job.worker == job.worker)


async def _beat(database: Database, job: _Claimed, progress: Progress | None) -> None:
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = _progress(progress)
    async with database.session() as session:
        beat = await session.execute(update(Job).where(_mine(job)).values(**values))
    if _count(beat) == 0:
        logger.warning("generation job was given up while solving", extra={"job_id": job.id})


async def _finish(
    database: Database,
    job: _Claimed,
    program: Program,
    result: GenerationResult,
    last: Progress | None,
) -> JobStatus | None:
    add_span_attributes(outcome=result.status)
    publish(ScheduleGenerated(result.status, result.wall_time, len(program.roster())))
    done: dict[str, Any] = {
        "outcome": result.status,
        "wall_time": result.wall_time,
        "objective": result.objective,
        # refused leave requests are part of the answer, even for a schedule that was made
        "explanation": "; ".join(filter(None, [result.explanation, *result.refused_leave])) or None,
    }
    if last is not None:
        done["progress"] = _progress(last)
    if result.schedule is None:
        return await _settle(database, job, status="failed", **done)
    if result.status == "timeout":  # the best year so far: kept with the job, never stored
        done["explanation"] = "; ".join(filter(None, [done["explanation"], kept_with_job(job.id)]))
        partial = await asyncio.to_thread(result.schedule.to_json_dict)
        return await _settle(
            database,
            job,
            status="failed",
            shifts=len(result.schedule.shifts),
            partial_schedule=partial,
            **done,
        )
    report = checked(result.schedule, "generation")
    async with database.session() as session:  # the job and the schedule commit together
        if not await _settle_in(session, job, status="succeeded", **done):
            return None
        summary = await store_generated(session, program, result)
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(shifts=summary.shifts, academic_year_id=summary.academic_year_id)
        )
    # Stored as the active schedule: its report now drives the "current violations" gauges.
    announce(report, "generation", whole=True)
    add_span_attributes(shifts=summary.shifts)
    return "succeeded"


async def _settle(
    database: Database, job: _Claimed, *, status: JobStatus, **values: Any
) -> JobStatus | None:
    async with database.session() as session:
        return status if await _settle_in(session, job, status=status, **values) else None


async def _settle_in(
    session: AsyncSession, job: _Claimed, *, status: JobStatus, **values: Any
) -> bool:
    """Record the end of ``job`` unless it was given up meanwhile (its worker was taken for
    dead): then the result is dropped, never stored over the failure already reported."""
    settled = await session.execute(
        update(Job).where(_mine(job)).values(status=status, finished_at=utcnow(), **values)
    )
    if _count(settled) == 1:
        return True
    logger.warning("generation job was given up while solving; result dropped")
    return False


def _count(result: Any) -> int:
    return int(result.rowcount)


# --- jobs whose worker is gone -------------------------------------------------------------


async def fail_abandoned(session: AsyncSession, *, workers: Collection[str] = ()) -> int:
    """Running jobs whose worker has been silent for STALE_AFTER seconds, or is one of
    ``workers`` (stopped, or no longer a process on this machine), become failed with an
    explanation a coordinator can act on. Returns how many."""
    now = utcnow()
    silent = or_(
        Job.heartbeat_at.is_(None), Job.heartbeat_at < now - timedelta(seconds=STALE_AFTER)
    )
    gone = or_(silent, Job.worker.in_(list(workers))) if workers else silent
    candidates = (
        await session.execute(
            select(Job.id, Job.started_at, Job.program).where(Job.status == "running", gone)
        )
    ).all()
    failed = 0
    for job_id, started_at, program in candidates:
        given_up = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status="failed", outcome="error", explanation=WORKER_STOPPED, finished_at=now)
        )
        if _count(given_up) == 1:
            failed += 1
            logger.warning("generation job failed: its worker stopped", extra={"job_id": job_id})
            publish(ScheduleGenerated("error", _seconds(started_at, now), _residents(program)))
    return failed


def _seconds(started_at: datetime | None, now: datetime) -> float:
    return max(0.0, (now - started_at).total_seconds()) if started_at else 0.0


def _residents(program: dict[str, Any]) -> int:
    try:
        return len(parse_program(program).roster())
    except ValueError:
        return 0


def gone_from_this_machine(workers: Iterable[str]) -> list[str]:
    """The workers named ``host:pid:tag`` on this host whose process no longer exists."""
    host, me = socket.gethostname(), os.getpid()
    gone = []
    for name in workers:
        where, _, rest = name.partition(":")
        pid_text = rest.partition(":")[0]
        if where != host or not pid_text.isdigit() or int(pid_text) == me:
            continue
        try:
            os.kill(int(pid_text), 0)  # signal 0: does the process exist?
        except ProcessLookupError:
            gone.append(name)
        except PermissionError:  # it exists (another user's)
            continue
    return gone


async def recover(database: Database, enqueue: Callable[[str], None]) -> None:
    """Before a consumer starts: fail the jobs of workers that are gone, and queue the
    queued jobs again (a message lost with a queue that was reset; a duplicate is skipped)."""
    async with database.session() as session:
        running = await session.scalars(
            select(Job.worker).where(Job.status == "running").distinct()
        )
        gone = gone_from_this_machine(w for w in running if w)
        await fail_abandoned(session, workers=gone)
        queued = list(
            await session.scalars(
                select(Job.id).where(Job.status == "queued").order_by(Job.created_at)
            )
        )
    for job_id in queued:
        await asyncio.to_thread(enqueue, job_id)
