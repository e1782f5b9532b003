"""Swap request states, the moves between them, and the event each state change publishes.

:data:`TRANSITIONS` is the one definition of the state machine: the service moves a swap only
by one of the :class:`Move` constants below, and the metrics catalog exports a transition
counter series for every pair from the start (the pending gauge reads the database).
"""

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


CREATED = SwapState.PENDING
"""The state a new swap request starts in."""
OPEN = (SwapState.PENDING, SwapState.ACCEPTED)
"""Awaiting an answer or a decision; a swap can be cancelled or rejected only from these."""


@dataclass(frozen=True, slots=True)
class Move:
    """One action of the service: a swap in any of ``sources`` enters ``target``."""

    sources: tuple[SwapState, ...]
    target: SwapState


ACCEPT = Move((SwapState.PENDING,), SwapState.ACCEPTED)
"""The counterpart agrees."""
DECLINE = Move((SwapState.PENDING,), SwapState.REJECTED)
"""The counterpart says no."""
CANCEL = Move(OPEN, SwapState.CANCELLED)
"""The requester withdraws it, or a shift of it changed hands in another swap."""
REJECT = Move(OPEN, SwapState.REJECTED)
"""A coordinator says no (before or after the counterpart accepted)."""
APPROVE = Move((SwapState.ACCEPTED,), SwapState.APPROVED)
"""A coordinator says yes ..."""
EXECUTE = Move((SwapState.APPROVED,), SwapState.EXECUTED)
"""... and the shifts change owners, in the same transaction."""
MOVES = (ACCEPT, DECLINE, CANCEL, REJECT, APPROVE, EXECUTE)

TRANSITIONS: tuple[tuple[SwapState | None, SwapState], ...] = tuple(
    dict.fromkeys(
        [(None, CREATED), *((source, move.target) for move in MOVES for source in move.sources)]
    )
)
"""Every legal (from, to) state change, ``None`` for creation; each once, in a fixed order."""


@dataclass(frozen=True)
class SwapTransitioned:
    from_state: SwapState | None  # None when the request is created
    to_state: SwapState
