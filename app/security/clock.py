"""Wall-clock time as a replaceable function, so lockout and expiry tests never sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Seconds since the epoch, like :func:`time.time`."""

system_clock: Clock = time.time


def as_utc_naive(timestamp: float) -> datetime:
    """The naive-UTC datetime the database columns store."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def from_utc_naive(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


class ClockRef:
    """The one clock an app's security parts share; tests swap what it reads."""

    def __init__(self, source: Clock = system_clock) -> None:
        self.source = source

    def __call__(self) -> float:
        return self.source()

    def use(self, source: Clock) -> None:
        self.source = source
