"""Request and response bodies for shifts, leave and academic years."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.api.params import RowId
from app.schedules.file_format import MAX_WORKED_MINUTES, ShiftKind
from app.schedules.models import LeaveKind


def _wall_clock(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        raise ValueError("must be a local wall-clock time without a UTC offset")
    return value


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Body(BaseModel):
    """A request body: unknown fields are refused, and ``end`` must follow ``start`` when both
    are given (times must end after they start; whole days may end on the day they start)."""

    model_config = ConfigDict(extra="forbid")
    whole_days: ClassVar[bool] = False

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        start, end = getattr(self, "start", None), getattr(self, "end", None)
        if start is None or end is None:
            return self
        if self.whole_days and end < start:
            raise ValueError("end must not be before start")
        if not self.whole_days and end <= start:
            raise ValueError("end must be after start")
        return self


class ShiftCreate(_Body):
    person_id: RowId
    start: datetime
    end: datetime
    kind: ShiftKind
    worked_minutes: int = Field(default=0, ge=0, le=MAX_WORKED_MINUTES)
    override_justification: str | None = Field(default=None, max_length=2000)

    _naive = field_validator("start", "end")(_wall_clock)

    @model_validator(mode="after")
    def _worked_minutes(self) -> ShiftCreate:
        if self.worked_minutes and self.kind != ShiftKind.HOME_CALL:
            raise ValueError("worked_minutes applies to home_call shifts only")
        if self.worked_minutes * 60 > (self.end - self.start).total_seconds():
            raise ValueError("worked_minutes exceeds the shift's length")
        return self


class ShiftUpdate(_Body):
    person_id: RowId | None = None
    start: datetime | None = None
    end: datetime | None = None
    kind: ShiftKind | None = None
    worked_minutes: int | None = Field(default=None, ge=0, le=MAX_WORKED_MINUTES)
    override_justification: str | None = Field(default=None, max_length=2000)

    _naive = field_validator("start", "end")(_wall_clock)


class ShiftRead(_Row):
    id: int
    person_id: int
    start: datetime = Field(validation_alias="start_at")
    end: datetime = Field(validation_alias="end_at")
    kind: ShiftKind
    worked_minutes: int


class LeaveCreate(_Body):
    whole_days = True

    person_id: RowId
    start: date
    end: date
    kind: LeaveKind = LeaveKind.VACATION


class LeaveUpdate(_Body):
    whole_days = True

    start: date | None = None
    end: date | None = None
    kind: LeaveKind | None = None


class LeaveRead(_Row):
    id: int
    person_id: int
    start: date = Field(validation_alias="start_date")
    end: date = Field(validation_alias="end_date")
    kind: LeaveKind


class BlockRead(_Row):
    id: int
    number: int
    start: date = Field(validation_alias="start_date")
    end: date = Field(validation_alias="end_date")


class AcademicYearRead(_Row):
    id: int
    program: str
    start: date = Field(validation_alias="start_date")
    end: date = Field(validation_alias="end_date")
    active: bool
    timezone: str | None = Field(default=None, description="IANA zone of the local times")
    blocks: list[BlockRead] = []


class ImportSummary(BaseModel):
    academic_year_id: int
    residents_created: int
    residents_updated: int
    shifts: int
    leave: int
    shifts_replaced: int
