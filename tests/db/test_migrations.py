"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
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
