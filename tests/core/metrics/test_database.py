"""Pool metrics follow SQLAlchemy's checkouts and checkins, on SQLite and PostgreSQL: the
gauges, the busy seconds (also of connections still out at a scrape), checkout waits and
timeouts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.config import Settings
from app.core.metrics import catalog as c
from app.core.metrics.database import PoolMetrics
from app.core.metrics.registry import AppMetrics
from app.main import create_app
from tests.support.api import client_for
from tests.support.lifespan import serving
from tests.support.metrics import scrape, value

HOLD = 0.5  # seconds a test keeps a connection checked out


def gauges(metrics: AppMetrics) -> tuple[float | None, ...]:
    get = metrics.registry.get_sample_value
    return (
        get(c.DB_POOL_SIZE.name),
        get(c.DB_POOL_CHECKED_OUT.name),
        get(c.DB_POOL_OVERFLOW.name),
    )


async def test_app_pool_gauges_follow_connections(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"database_pool_size": 3}))
    metrics, engine = app.state.services.metrics.metrics, app.state.services.database.engine
    size = engine.pool.size()
    async with serving(app):
        assert gauges(metrics) == (size, 0, 0)
        async with AsyncExitStack() as stack:
            for held in (1, 2):
                await stack.enter_async_context(engine.connect())
                assert gauges(metrics) == (size, held, 0)
        assert gauges(metrics) == (size, 0, 0)


async def test_overflow_counts_connections_beyond_the_pool_size(tmp_path: Path) -> None:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path}/o.db", pool_size=1, max_overflow=2
    )
    metrics = AppMetrics()
    pool = PoolMetrics(engine, metrics)
    async with AsyncExitStack() as stack:
        for _ in range(3):
            await stack.enter_async_context(engine.connect())
        assert gauges(metrics) == (1, 3, 2)
    assert gauges(metrics) == (1, 0, 0)
    pool.close()
    async with engine.connect():
        assert gauges(metrics) == (1, 0, 0)  # no longer listening
    await engine.dispose()


def sample(metrics: AppMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def small_pool(url: str, *, timeout: float) -> AsyncEngine:
    """One connection, no overflow: a second checkout waits for the first."""
    return create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=timeout)


async def test_busy_seconds_count_a_connection_held_across_a_scrape(settings: Settings) -> None:
    """A checkout longer than the scrape interval shows at the scrape, not only at checkin."""
    app = create_app(settings)
    busy = c.DB_POOL_BUSY_SECONDS.name
    engine = app.state.services.database.engine
    async with client_for(app) as client:
        before = value(await scrape(client), busy) or 0.0
        async with engine.connect():
            await asyncio.sleep(HOLD)
            during = value(await scrape(client), busy) or 0.0
            await asyncio.sleep(HOLD)
        after = value(await scrape(client), busy) or 0.0
    assert during - before >= HOLD * 0.9  # still checked out: counted up to the scrape
    assert after - before >= 2 * HOLD * 0.9
    assert after - before < 2 * HOLD + 30  # generous: no more than the hold, plus the scrapes'
    assert after >= during


async def test_a_second_lifespan_watches_the_pool_again(settings: Settings) -> None:
    """Closing the watcher gives the busy counter back to the registry and the engine its own
    raw_connection; the next lifespan takes both over again."""
    app = create_app(settings)
    metrics, engine = app.state.services.metrics.metrics, app.state.services.database.engine
    for _ in range(2):
        async with serving(app):
            assert "raw_connection" in vars(engine.sync_engine)
            async with engine.connect():
                await asyncio.sleep(0.05)
        assert "raw_connection" not in vars(engine.sync_engine)
    assert sample(metrics, c.DB_POOL_BUSY_SECONDS.name) >= 2 * 0.05 * 0.9
    assert sample(metrics, c.DB_POOL_WAIT.count) >= 2


async def test_wait_is_observed_when_the_pool_is_exhausted(database_url: str) -> None:
    engine = small_pool(database_url, timeout=30)
    metrics = AppMetrics()
    pool = PoolMetrics(engine, metrics)
    held = asyncio.Event()

    async def hold() -> None:
        async with engine.connect():
            held.set()
            await asyncio.sleep(HOLD)

    try:
        holder = asyncio.create_task(hold())
        await held.wait()
        async with engine.connect():  # waits until the holder checks in
            pass
        await holder
    finally:
        pool.close()
        await engine.dispose()
    assert sample(metrics, c.DB_POOL_WAIT.count) == 2
    assert sample(metrics, c.DB_POOL_WAIT.bucket, le="0.1") <= 1  # only the first was quick
    assert sample(metrics, c.DB_POOL_WAIT.sum) >= HOLD * 0.5
    assert sample(metrics, c.DB_POOL_TIMEOUTS.name) == 0
    assert sample(metrics, c.DB_POOL_BUSY_SECONDS.name) >= HOLD * 0.9


async def test_timeouts_are_counted_when_no_connection_frees_up(database_url: str) -> None:
    engine = small_pool(database_url, timeout=0.2)
    metrics = AppMetrics()
    pool = PoolMetrics(engine, metrics)
    try:
        async with engine.connect():
            for _ in range(2):
                with pytest.raises(exc.TimeoutError):
                    async with engine.connect():
                        pass
    finally:
        pool.close()
        await engine.dispose()
    assert sample(metrics, c.DB_POOL_TIMEOUTS.name) == 2
    assert sample(metrics, c.DB_POOL_WAIT.count) == 3  # the timed-out checkouts waited too
    assert sample(metrics, c.DB_POOL_WAIT.bucket, le="0.1") == 1
    assert sample(metrics, c.DB_POOL_WAIT.sum) >= 2 * 0.2 * 0.9


WORKER = """
import asyncio, json, sys
from pathlib import Path
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import create_async_engine
from app.core.metrics import catalog
from app.core.metrics.database import PoolMetrics
from app.core.metrics.registry import AppMetrics

directory = {directory!r}

def busy():
    files = [str(path) for path in Path(directory).glob("*.db")]
    for metric in MultiProcessCollector.merge(files):
        for sample in metric.samples:
            if sample.name == catalog.DB_POOL_BUSY_SECONDS.name:
                return sample.value
    return None

async def main():
    engine = create_async_engine({url!r})
    pool = PoolMetrics(engine, AppMetrics(multiprocess_dir=directory), tick=0.05)
    async with engine.connect():
        await asyncio.sleep({hold})
        during = busy()  # what any worker's scrape would read now
    pool.close()
    await engine.dispose()
    print(json.dumps({{"during": during, "after": busy()}}))

asyncio.run(main())
"""


def test_busy_seconds_reach_the_shared_files_while_a_connection_is_held(tmp_path: Path) -> None:
    """Several workers: a scrape reads every worker's files, so each worker writes its open
    checkouts' time there as it goes."""
    directory = tmp_path / "multiproc"
    directory.mkdir()
    code = WORKER.format(
        directory=str(directory), url=f"sqlite+aiosqlite:///{tmp_path}/w.db", hold=HOLD
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, timeout=120, capture_output=True
    )
    values = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert values["during"] >= HOLD * 0.5
    assert values["after"] >= HOLD * 0.9
