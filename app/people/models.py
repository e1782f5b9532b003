"""Residents and faculty."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped, str_enum


class PersonKind(StrEnum):
    RESIDENT = "resident"
    FACULTY = "faculty"


class Person(Timestamped, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The program's own short identifier ("r01"): the resident id of the schedule file.
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind), nullable=False)
    pgy: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
