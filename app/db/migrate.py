"""Bring a database to the newest schema with Alembic, from code (CLI, tests, ``make run``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.engine import build_engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # alembic's default


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_database(url: str, revision: str = "head") -> None:
    engine = build_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The schema revision this code needs (the newest migration)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _stored(connection: Connection) -> str | None:
    # Read directly: alembic's MigrationContext logs two INFO lines per look.
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


async def stored_revision(connection: AsyncConnection) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    return await connection.run_sync(_stored)


class SchemaOutOfDate(RuntimeError):
    """The database is reachable but not at the schema this code needs."""

    def __init__(self, stored: str | None, needed: str | None) -> None:
        self.stored, self.needed = stored, needed
        at = f"at schema {stored}" if stored else "not migrated"
        super().__init__(
            f"the database is {at}; this version needs {needed}: "
            "run `residency-scheduler migrate` first"
        )


async def check_schema(url: str) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database at ``url`` is at the newest schema
    (connection errors propagate: the caller decides whether an unreachable database is fatal)."""
    engine = build_engine(url)
    try:
        async with engine.connect() as connection:
            stored = await stored_revision(connection)
    finally:
        await engine.dispose()
    if stored != head_revision():
        raise SchemaOutOfDate(stored, head_revision())
