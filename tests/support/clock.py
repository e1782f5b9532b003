"""A clock that tests and benchmarks move by hand, so lockout and expiry tests never sleep."""

from __future__ import annotations

import time


class ManualClock:
    """A :data:`app.security.clock.Clock` that only moves when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


SAMPLE_SCHEDULE_NOT_STARTED = 1_780_272_000.0
"""2026-06-01T00:00Z: before the first shift of :func:`tests.support.schedules.schedule_file`,
so swaps of its shifts are not refused as already worked."""
