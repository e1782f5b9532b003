"""Database connection pool metrics, kept current by SQLAlchemy pool events.

Gauges: ``checkout``/``checkin`` events keep the set of connections in use (SQLAlchemy fires
``checkin`` before the connection is back in the pool, so reading the pool's own counters
inside the event would be off by one). Overflow is the part of that count beyond the pool
size: connections borrowed from ``max_overflow`` headroom.

Busy seconds: a checkout's time is added when it checks in, and the time of connections still
checked out is added up to "now" -- at collection in one process (the registry collects the
counter through :meth:`PoolMetrics.collect`), every :data:`TICK_SECONDS` with several workers
(a scrape reads every worker's files, so each worker writes its own open checkouts' time). A
query longer than the scrape interval therefore shows while it runs.

Waits and timeouts: SQLAlchemy has no event before a checkout, so the sync engine's
``raw_connection`` -- through which every ``Connection``, ORM session and ``AsyncConnection``
checks out -- is wrapped on the engine instance while this object lives: it times each
checkout and counts the pool's ``TimeoutError``. Being on the engine, the wrapper survives
``dispose()`` replacing the pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client.metrics_core import Metric
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics

TICK_SECONDS = 1.0
"""With several workers: how often each adds its open checkouts' time to the busy counter."""


class PoolMetrics:
    def __init__(
        self, engine: AsyncEngine, metrics: AppMetrics, *, tick: float = TICK_SECONDS
    ) -> None:
        self._engine = engine.sync_engine
        size = getattr(self._engine.pool, "size", None)
        self.size = size() if callable(size) else 0  # NullPool/StaticPool keep no fixed size
        self._lock = threading.Lock()  # a garbage-collected connection checks in from any thread
        self._out: dict[object, float] = {}  # connection record -> when its time was counted
        self._size_gauge = metrics.gauge(catalog.DB_POOL_SIZE)
        self._checked_out_gauge = metrics.gauge(catalog.DB_POOL_CHECKED_OUT)
        self._overflow_gauge = metrics.gauge(catalog.DB_POOL_OVERFLOW)
        self._busy = metrics.counter(catalog.DB_POOL_BUSY_SECONDS)
        self._wait = metrics.histogram(catalog.DB_POOL_WAIT)
        self._timeouts = metrics.counter(catalog.DB_POOL_TIMEOUTS)
        self._size_gauge.set(self.size)
        event.listen(self._engine, "checkout", self._on_checkout)
        event.listen(self._engine, "checkin", self._on_checkin)
        event.listen(self._engine, "detach", self._on_checkin)  # leaves the pool for good
        self._wrap_raw_connection()
        self._registry = metrics.registry if metrics.multiprocess_dir is None else None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if not self._collect_busy_through_self():
            self._ticker = threading.Thread(
                target=self._tick, args=(tick,), name="db-pool-busy", daemon=True
            )
            self._ticker.start()

    @property
    def checked_out(self) -> int:
        return len(self._out)

    # --- checkouts and checkins (pool events) ----------------------------------------------

    def _on_checkout(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        with self._lock:
            self._out.setdefault(record, time.monotonic())  # a re-checkout keeps its start
            self._set_gauges()

    def _on_checkin(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        with self._lock:
            since = self._out.pop(record, None)
            if since is not None:
                self._busy.inc(max(0.0, time.monotonic() - since))
            self._set_gauges()

    def _set_gauges(self) -> None:
        count = len(self._out)
        self._checked_out_gauge.set(count)
        self._overflow_gauge.set(max(0, count - self.size) if self.size else 0)

    def credit(self) -> None:
        """Add the time of connections still checked out, up to now, to the busy counter."""
        with self._lock:
            now = time.monotonic()
            busy = 0.0
            for record, since in self._out.items():
                busy += max(0.0, now - since)
                self._out[record] = now
            if busy:
                self._busy.inc(busy)

    # --- the busy counter, up to now at every collection ------------------------------------

    def _collect_busy_through_self(self) -> bool:
        """One process: the registry collects the busy counter through :meth:`collect`.
        False with several workers, or when another PoolMetrics already does it."""
        if self._registry is None:
            return False
        try:
            self._registry.unregister(self._busy)
        except KeyError:
            return False
        self._registry.register(self)
        return True

    def describe(self) -> Iterable[Metric]:
        return self._busy.describe()

    def collect(self) -> Iterable[Metric]:
        self.credit()
        return self._busy.collect()

    def _tick(self, every: float) -> None:
        while not self._stop.wait(every):
            self.credit()

    # --- checkout waits and timeouts --------------------------------------------------------

    def _wrap_raw_connection(self) -> None:
        attributes = vars(self._engine)
        self._previous: object | None = attributes.get("raw_connection")  # another wrapper
        self._raw_connection: Callable[[], Any] = self._engine.raw_connection
        self._timed = self._timed_raw_connection  # one bound method, to recognise it later
        self._timing = True
        attributes["raw_connection"] = self._timed

    def _timed_raw_connection(self) -> Any:
        if not self._timing:  # closed, but another wrapper was put on top of this one
            return self._raw_connection()
        started = time.perf_counter()
        try:
            return self._raw_connection()
        except exc.TimeoutError:  # the pool's "QueuePool limit ... reached, timed out"
            self._timeouts.inc()
            raise
        finally:
            self._wait.observe(time.perf_counter() - started)

    def _unwrap_raw_connection(self) -> None:
        self._timing = False
        attributes = vars(self._engine)
        if attributes.get("raw_connection") is not self._timed:
            return  # another wrapper went on top of ours: the chain stays, ours passes through
        if self._previous is None:
            del attributes["raw_connection"]
        else:
            attributes["raw_connection"] = self._previous

    def close(self) -> None:
        """Stop watching: the time of connections still out is counted up to now, then
        nothing more (the engine may outlive this object; tests build many apps)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        for name, handler in (
            ("checkout", self._on_checkout),
            ("checkin", self._on_checkin),
            ("detach", self._on_checkin),
        ):
            if event.contains(self._engine, name, handler):
                event.remove(self._engine, name, handler)
        self._unwrap_raw_connection()
        self.credit()
        with self._lock:
            self._out.clear()
        if self._registry is not None and self._ticker is None:
            self._registry.unregister(self)
            self._registry.register(self._busy)
