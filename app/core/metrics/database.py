"""Database connection pool gauges, kept current by SQLAlchemy pool events.

``checkout``/``checkin`` events move a count of connections in use (SQLAlchemy fires
``checkin`` before the connection is back in the pool, so reading the pool's own counters
inside the event would be off by one). Overflow is the part of that count beyond the pool
size: connections borrowed from ``max_overflow`` headroom.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics


class PoolMetrics:
    def __init__(self, engine: AsyncEngine, metrics: AppMetrics) -> None:
        self._engine = engine.sync_engine
        size = getattr(self._engine.pool, "size", None)
        self.size = size() if callable(size) else 0  # NullPool/StaticPool keep no fixed size
        self.checked_out = 0
        self._lock = threading.Lock()  # a garbage-collected connection checks in from any thread
        self._size_gauge = metrics.gauge(catalog.DB_POOL_SIZE)
        self._checked_out_gauge = metrics.gauge(catalog.DB_POOL_CHECKED_OUT)
        self._overflow_gauge = metrics.gauge(catalog.DB_POOL_OVERFLOW)
        self._size_gauge.set(self.size)
        event.listen(self._engine, "checkout", self._on_checkout)
        event.listen(self._engine, "checkin", self._on_checkin)
        event.listen(self._engine, "detach", self._on_checkin)  # leaves the pool for good

    def _on_checkout(self, *_args: Any) -> None:
        self._move(+1)

    def _on_checkin(self, *_args: Any) -> None:
        self._move(-1)

    def _move(self, delta: int) -> None:
        with self._lock:
            self.checked_out = max(0, self.checked_out + delta)
            self._checked_out_gauge.set(self.checked_out)
            self._overflow_gauge.set(max(0, self.checked_out - self.size) if self.size else 0)

    def close(self) -> None:
        """Stop listening (the engine outlives nothing here, but tests build many apps)."""
        for name, handler in (
            ("checkout", self._on_checkout),
            ("checkin", self._on_checkin),
            ("detach", self._on_checkin),
        ):
            if event.contains(self._engine, name, handler):
                event.remove(self._engine, name, handler)
