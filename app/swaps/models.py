"""Shift swap requests between residents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped, str_enum, utcnow
from app.swaps.events import SwapState


class SwapRequest(Timestamped, Base):
    __tablename__ = "swap_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    counterpart_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    # None for a give-away; the counterpart's shift for a one-for-one trade.
    counterpart_shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="CASCADE")
    )
    state: Mapped[SwapState] = mapped_column(
        str_enum(SwapState),
        default=SwapState.PENDING,
        nullable=False,
    )
    override_justification: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
