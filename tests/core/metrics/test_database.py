"""Pool gauges follow SQLAlchemy's checkouts and checkins, on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.metrics import catalog as c
from app.core.metrics.database import PoolMetrics
from app.core.metrics.registry import AppMetrics
from app.main import create_app
from tests.support.lifespan import serving


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
