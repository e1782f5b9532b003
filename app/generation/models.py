"""Generation jobs as rows: what any replica or worker reads and writes about one run."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow

JobStatus = Literal["queued", "running", "succeeded", "failed"]
PENDING: tuple[JobStatus, ...] = ("queued", "running")
STALE_AFTER = 60.0
"""Seconds without a heartbeat after which a running job's worker is taken for dead (a
worker writes one about every second while it solves)."""
WORKER_STOPPED = "the worker stopped while solving; start the generation again"


class GenerationJobRecord(Base):
    __tablename__ = "generation_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    time_limit: Mapped[float | None] = mapped_column(Float)
    program: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # the definition
    requested_by: Mapped[int | None] = mapped_column(Integer)  # user id; None from a command
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who runs it ("host:pid") and when it last said so; a silent worker's job is failed.
    worker: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(16))
    explanation: Mapped[str | None] = mapped_column(Text)
    objective: Mapped[float | None] = mapped_column(Float)
    wall_time: Mapped[float | None] = mapped_column(Float)
    shifts: Mapped[int | None] = mapped_column(Integer)
    academic_year_id: Mapped[int | None] = mapped_column(Integer)  # no FK: years are replaced
    # A timeout's best year so far (a schedule file with unstaffed team-blocks): kept here for
    # the coordinator to download, never stored as the active schedule.
    partial_schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
