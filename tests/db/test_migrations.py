"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from app.db.engine import build_engine
from app.db.migrate import alembic_config, upgrade_database
from app.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


async def test_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        await upgrade_database(database_url)
        await upgrade_database(database_url)  # a second run is a no-op
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_blocks_of_years_stored_before_revision_2_are_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await upgrade_database(url, "c4e8a2f6b0d3")
    engine = build_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO academic_years (id, program, start_date, end_date, active, "
                    "created_at) VALUES (1, 'p', '2026-07-01', '2027-06-30', 1, '2026-01-01')"
                )
            )
            for n in range(1, 15):  # the old calendar: 13 x 28 days and a 1-day block 14
                first = date(2026, 7, 1) + timedelta(days=28 * (n - 1))
                last = min(first + timedelta(days=27), date(2027, 6, 30))
                await connection.execute(
                    text(
                        "INSERT INTO blocks (year_id, number, start_date, end_date) "
                        "VALUES (1, :n, :first, :last)"
                    ),
                    {"n": n, "first": first.isoformat(), "last": last.isoformat()},
                )
        await upgrade_database(url)
        async with engine.begin() as connection:
            rows = (
                await connection.execute(
                    text("SELECT number, start_date, end_date FROM blocks ORDER BY number")
                )
            ).all()
            before = (await connection.execute(text("SELECT version FROM cache_versions"))).scalar()
            await connection.execute(text("UPDATE academic_years SET timezone = 'UTC'"))
            after = (await connection.execute(text("SELECT version FROM cache_versions"))).scalar()
    finally:
        await engine.dispose()
    assert len(rows) == 13
    assert tuple(str(v) for v in rows[-1]) == ("13", "2027-06-02", "2027-06-30")
    assert after == before + 1  # the cache trigger on academic_years survived the new column


def _downgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_partial_years_and_holiday_calendars_are_plain_new_columns(
    database_url: str,
) -> None:
    """Revision e8b2c6d4f0a1 adds two nullable columns in place, both ways: stored years and
    jobs keep their rows, and the cache trigger on academic_years survives (on PostgreSQL it
    fires at commit)."""
    engine = build_engine(database_url)
    version = text("SELECT version FROM cache_versions")
    calendar = text("""UPDATE academic_years SET holidays = '["2026-07-15"]'""")

    async def bumps(change: Any) -> bool:
        async with engine.begin() as connection:
            before = (await connection.execute(version)).scalar()
            await connection.execute(change)
        async with engine.begin() as connection:
            return bool((await connection.execute(version)).scalar() == before + 1)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to, "d5f9b3a7c1e4")
            await connection.execute(
                text(
                    "INSERT INTO academic_years (id, program, start_date, end_date, active, "
                    "created_at) VALUES (1, 'p', '2026-07-01', '2027-06-30', true, "
                    "'2026-01-01')"
                )
            )
        await upgrade_database(database_url)
        async with engine.begin() as connection:
            stored = (await connection.execute(text("SELECT holidays FROM academic_years"))).all()
            jobs = await connection.execute(text("SELECT partial_schedule FROM generation_jobs"))
            assert stored == [(None,)] and jobs.all() == []
        assert await bumps(calendar)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to, "d5f9b3a7c1e4")
        assert await bumps(text("UPDATE academic_years SET timezone = 'UTC'"))
    finally:
        await engine.dispose()
    await upgrade_database(database_url)
