"""Generation jobs: CP-SAT runs off the event loop, one at a time, with pollable status.

Jobs live in the process that accepted them (a restart forgets them; the stored schedule is
what persists). The solver runs in a single worker thread: OR-Tools releases the GIL while it
searches, and two cores are better spent on one solve than on two.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from app.compliance.events import ScheduleGenerated
from app.compliance.service import announce, checked
from app.db.engine import Database
from app.events import publish
from app.generation import Program
from app.schedules.generated import store_generated

if TYPE_CHECKING:
    from app.generation.generator import GenerationResult, Progress
from app.tracing import add_span_attributes, trace_function

logger = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "succeeded", "failed"]
MAX_PENDING = 4


class TooManyJobsError(RuntimeError):
    pass


@dataclass
class GenerationJob:
    id: str
    seed: int
    time_limit: float | None
    status: JobStatus = "queued"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    progress: Progress | None = None
    outcome: str | None = None
    explanation: str | None = None
    objective: float | None = None
    wall_time: float | None = None
    shifts: int | None = None
    academic_year_id: int | None = None


class GenerationJobs:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._jobs: dict[str, GenerationJob] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cp-sat")
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, job_id: str) -> GenerationJob | None:
        return self._jobs.get(job_id)

    def all(self) -> list[GenerationJob]:
        return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def submit(self, program: Program, *, seed: int, time_limit: float | None) -> GenerationJob:
        pending = sum(j.status in ("queued", "running") for j in self._jobs.values())
        if pending >= MAX_PENDING:
            raise TooManyJobsError(f"{pending} generation jobs are already waiting or running")
        job = GenerationJob(id=uuid.uuid4().hex, seed=seed, time_limit=time_limit)
        self._jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, program))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    @trace_function("schedule_generation")
    async def _run(self, job: GenerationJob, program: Program) -> None:
        add_span_attributes(resident_count=len(program.roster()), blocks=program.blocks)
        loop = asyncio.get_running_loop()

        def solve() -> GenerationResult:
            job.status = "running"

            def on_progress(progress: Progress) -> None:
                job.progress = progress

            from app.generation.generator import generate_schedule

            return generate_schedule(
                program, seed=job.seed, time_limit=job.time_limit, on_progress=on_progress
            )

        try:
            result = await loop.run_in_executor(self._executor, solve)
            await self._finish(job, program, result)
        except Exception:
            logger.exception("generation job failed unexpectedly")
            job.status, job.outcome = "failed", "error"
            add_span_attributes(outcome="error")
            job.explanation = "the generator failed unexpectedly; see the service log"
            publish(ScheduleGenerated("error", 0.0, len(program.roster())))
        finally:
            job.finished_at = datetime.now(UTC)

    async def _finish(self, job: GenerationJob, program: Program, result: GenerationResult) -> None:
        job.outcome, job.wall_time = result.status, result.wall_time
        job.objective, job.explanation = result.objective, result.explanation
        add_span_attributes(outcome=result.status)
        publish(ScheduleGenerated(result.status, result.wall_time, len(program.roster())))
        if result.schedule is None:
            job.status = "failed"
            return
        report = checked(result.schedule, "generation")
        async with self._database.session() as session:
            summary = await store_generated(session, program, result)
        # Stored as the active schedule: its report now drives the "current violations" gauges.
        announce(report, "generation", whole=True)
        job.shifts, job.academic_year_id = summary.shifts, summary.academic_year_id
        add_span_attributes(shifts=summary.shifts)
        job.status = "succeeded"

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
