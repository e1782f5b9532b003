"""Rotations (WARDS, ICU, night float, ambulatory…) and who is on which in each block."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped


class Rotation(Timestamped, Base):
    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class RotationAssignment(Base):
    __tablename__ = "rotation_assignments"
    __table_args__ = (UniqueConstraint("block_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_id: Mapped[int] = mapped_column(
        ForeignKey("blocks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="RESTRICT"), nullable=False
    )
