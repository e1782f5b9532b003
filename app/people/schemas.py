"""Request and response bodies for people."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from app.people.models import PersonKind

CODE_PATTERN = r"^[A-Za-z0-9._-]+$"


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    kind: PersonKind = PersonKind.RESIDENT
    pgy: int | None = Field(default=None, ge=1, le=10)
    active: bool = True

    @model_validator(mode="after")
    def _pgy_for_residents(self) -> PersonCreate:
        if self.kind == PersonKind.RESIDENT and self.pgy is None:
            raise ValueError("pgy is required for a resident")
        if self.kind == PersonKind.FACULTY and self.pgy is not None:
            raise ValueError("pgy applies to residents only")
        return self


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=64, pattern=CODE_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    pgy: int | None = Field(default=None, ge=1, le=10)
    active: bool | None = None


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str | None
    email: str | None
    kind: PersonKind
    pgy: int | None
    active: bool
    created_at: datetime
