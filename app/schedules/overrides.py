"""A coordinator's recorded decision to keep a schedule change that breaks an ACGME rule."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped


class ComplianceOverride(Timestamped, Base):
    __tablename__ = "compliance_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    rules: Mapped[str] = mapped_column(String(255), nullable=False)  # comma-separated rule ids
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
