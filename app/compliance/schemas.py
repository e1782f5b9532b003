"""Response bodies of the compliance API (the report shape is the spec's)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ViolationRead(BaseModel):
    rule: str
    section: str
    severity: str
    resident: str
    start: str
    end: str
    value: float
    limit: float
    message: str


class ReportRead(BaseModel):
    valid: bool
    compliance_score: float
    violations: list[ViolationRead]


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int | None
    person_id: int
    rules: str
    justification: str
    actor_user_id: int | None
    created_at: datetime
