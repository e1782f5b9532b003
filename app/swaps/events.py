"""Swap request state changes (metrics count transitions; the pending gauge reads the database)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SwapState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    APPROVED = "approved"
    EXECUTED = "executed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SwapTransitioned:
    from_state: SwapState | None  # None when the request is created
    to_state: SwapState
