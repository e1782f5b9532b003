"""The academic year, its 28-day blocks, shifts and leave."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped, str_enum
from app.schedules.file_format import ShiftKind


class LeaveKind(StrEnum):
    VACATION = "vacation"
    SICK = "sick"
    PARENTAL = "parental"
    OTHER = "other"


class AcademicYear(Timestamped, Base):
    __tablename__ = "academic_years"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program: Mapped[str] = mapped_column(String(200), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive
    active: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # IANA zone of the stored local times (spec: ``timezone``); None: wall-clock durations
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A generated year's holidays (ISO dates, its program's calendar), which holiday calls are
    # counted on; None (an imported year): the US federal holidays.
    holidays: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class Block(Base):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("year_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year_id: Mapped[int] = mapped_column(
        ForeignKey("academic_years.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive


class Shift(Timestamped, Base):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="positive_length"),
        CheckConstraint("worked_minutes >= 0", name="worked_minutes"),
        Index("ix_shifts_person_start", "person_id", "start_at"),
        Index("ix_shifts_start", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), nullable=False
    )
    start_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    end_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    kind: Mapped[ShiftKind] = mapped_column(str_enum(ShiftKind), nullable=False)
    worked_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Leave(Timestamped, Base):
    __tablename__ = "leave"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period"),
        Index("ix_leave_person_start", "person_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), nullable=False
    )
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive
    kind: Mapped[LeaveKind] = mapped_column(
        str_enum(LeaveKind),
        default=LeaveKind.VACATION,
        nullable=False,
    )
