"""The database engine and its sessions: one :class:`Database` per application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite writer waits for another's write lock before "database is locked"."""


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on; WAL (readers never wait for the writer); ``synchronous=NORMAL``, which
    in WAL mode is safe against corruption and skips the fsync of every commit (a commit can
    be lost on power failure, not on a crash of the process), so the one write lock is held
    for far less time."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its folder (``./data/`` on a fresh clone)."""
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def build_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    connect_timeout: float = 5.0,
    pool_timeout: float = 10.0,
    statement_timeout: float = 30.0,
) -> AsyncEngine:
    """Every wait is bounded: opening a connection (``connect_timeout``), waiting for a free
    one (``pool_timeout``) and, on PostgreSQL, each statement (``statement_timeout``: the
    server cancels it; the client gives up a second later if the server itself is stuck)."""
    if is_sqlite(url):
        ensure_sqlite_directory(url)
        database = make_url(url).database
        # A file's pool keeps as many connections open as PostgreSQL's: each new one costs a
        # thread (aiosqlite) and the pragmas, and concurrent readers would otherwise open and
        # close overflow connections all the time. ":memory:" gets SQLAlchemy's static pool.
        sizes = (
            {"pool_size": pool_size, "max_overflow": max_overflow}
            if database and database != ":memory:"
            else {}
        )
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
            pool_timeout=pool_timeout,
            **sizes,
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_timeout=pool_timeout,
        connect_args={
            "timeout": connect_timeout,  # asyncpg: establishing the connection
            "command_timeout": statement_timeout + 1.0,  # asyncpg: a query, client side
            "server_settings": {"statement_timeout": str(max(1, round(statement_timeout * 1000)))},
        },
    )


class Database:
    """Owns the engine; hands out sessions that commit on success and roll back on error."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        connect_timeout: float = 5.0,
        pool_timeout: float = 10.0,
        statement_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.engine = build_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            statement_timeout=statement_timeout,
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
