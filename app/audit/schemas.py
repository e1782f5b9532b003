"""Audit events as admins read them: ids and enumerated actions, nothing else."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    action: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
