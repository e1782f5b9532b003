"""/api/v1/schedule/generate and /api/v1/generation-jobs (and the year a timed-out job keeps)"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api import API_PREFIX
from app.audit.service import audit_access
from app.auth.dependencies import Editor
from app.auth.events import UserAction
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.events import publish
from app.generation import DemoSize, ProgramFileError, demo_program, parse_program
from app.generation.jobs import GenerationJob, TooManyJobsError
from app.services import DbSession, GenerationJobsDep

router = APIRouter(prefix=API_PREFIX, tags=["generation"])


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    demo: DemoSize | None = Field(default=None, description="Generate the demo program")
    program: dict[str, Any] | None = Field(default=None, description="A program definition")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    time_limit: float | None = Field(default=None, gt=0, le=3600, description="Seconds")

    @model_validator(mode="after")
    def _one_source(self) -> GenerateRequest:
        if (self.demo is None) == (self.program is None):
            raise ValueError("give exactly one of demo or program")
        return self


class ProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phase: str
    solutions: int
    objective: float | None
    bound: float | None
    elapsed: float


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    seed: int
    time_limit: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: ProgressRead | None
    outcome: str | None = Field(description="optimal, feasible, infeasible, timeout or error")
    explanation: str | None = Field(description="Why a run failed, in the program's terms")
    objective: float | None
    wall_time: float | None
    shifts: int | None = Field(description="Shifts of the stored year, or of the kept one")
    academic_year_id: int | None
    partial_schedule: bool = Field(
        description="The time limit ran out while placing shifts: the best year so far (some "
        "team-blocks unstaffed) is kept with the job, not stored as the active schedule; "
        "download it from /generation-jobs/{id}/schedule"
    )

    @classmethod
    def of(cls, job: GenerationJob) -> JobRead:
        return cls.model_validate(job)


@router.post("/schedule/generate", response_model=JobRead, status_code=status.HTTP_202_ACCEPTED)
async def start_generation(
    jobs: GenerationJobsDep, editor: Editor, body: GenerateRequest
) -> JobRead:
    """Start generating a year; poll ``/generation-jobs/{id}`` (any replica answers). On
    success the result becomes the active schedule; when the time limit runs out while placing
    shifts, the best year so far is kept with the job instead (``partial_schedule``). 409
    while 4 jobs wait or run."""
    try:
        program = demo_program(body.demo) if body.demo else parse_program(body.program)
    except ProgramFileError as exc:
        raise InvalidInputError(f"program: {exc}") from None
    try:
        job = await jobs.submit(
            program, seed=body.seed, time_limit=body.time_limit, requested_by=editor.user_id
        )
    except TooManyJobsError as exc:
        raise ConflictError(str(exc)) from None
    publish(UserAction(action="schedule_generate"))
    return JobRead.of(job)


@router.get("/generation-jobs", response_model=list[JobRead])
async def list_jobs(jobs: GenerationJobsDep, _: Editor) -> list[JobRead]:
    """The newest generation jobs (at most 100), from every replica and worker."""
    return [JobRead.of(j) for j in await jobs.all()]


@router.get("/generation-jobs/{job_id}", response_model=JobRead)
async def get_job(
    jobs: GenerationJobsDep, _: Editor, job_id: Annotated[str, Path(max_length=64)]
) -> JobRead:
    job = await jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"generation job {job_id} not found")
    return JobRead.of(job)


@router.get("/generation-jobs/{job_id}/schedule")
async def get_job_schedule(
    jobs: GenerationJobsDep,
    session: DbSession,
    editor: Editor,
    job_id: Annotated[str, Path(max_length=64)],
) -> dict[str, Any]:
    """The best year so far that a job whose time limit ran out while placing shifts keeps: a
    schedule file (the JSON of ``/schedule/export``) with some team-blocks unstaffed. It is
    not the active schedule; a coordinator may complete it and import it. 404 when the job
    keeps none. Audited as an export."""
    found, schedule = await jobs.partial_schedule(job_id)
    if not found:
        raise NotFoundError(f"generation job {job_id} not found")
    if schedule is None:
        raise NotFoundError(
            f"generation job {job_id} keeps no schedule: only a job whose time limit ran out "
            "while placing shifts keeps its best year so far (a finished job's year is the "
            "active schedule: GET /api/v1/schedule/export)"
        )
    await audit_access(
        session, actor_user_id=editor.user_id, resource_type="export", action="export"
    )
    return schedule
