"""The HTTP answers domain and database errors map to: never a 500 for a caller's mistake."""

from __future__ import annotations

import logging
import socket

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.errors import DomainError

logger = logging.getLogger(__name__)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status_code)


async def _integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    # A unique or foreign-key constraint caught what the service checks missed (e.g. a race).
    return JSONResponse(
        {"detail": "the change conflicts with existing data (duplicate or still referenced)"},
        status_code=409,
    )


RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
OUT_OF_RANGE_SQLSTATES = frozenset({"22003", "22008"})  # numeric / datetime field overflow
# The database is unreachable, restarting or not answering in time: worth retrying later.
UNAVAILABLE_SQLSTATES = frozenset({"57014", "57P01", "57P02", "57P03", "53300"})
DATABASE_RETRY_AFTER = "5"  # seconds: about a restart's or failover's time


def is_connection_failure(exc: BaseException) -> bool:
    """The database could not be reached or stopped answering, anywhere in the cause chain: a
    socket error or timeout, the pool giving up, asyncpg losing its connection, or PostgreSQL
    shutting down, refusing connections or cancelling a statement at its timeout."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(
            seen,
            OSError  # includes TimeoutError and ConnectionRefusedError
            | PoolTimeoutError
            | OperationalError
            | InterfaceError
            | asyncpg.PostgresConnectionError
            | asyncpg.InterfaceError,
        ):
            return True
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str) and (code.startswith("08") or code in UNAVAILABLE_SQLSTATES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After when the database is down, frozen or overloaded; anything else
    that reaches here (an unrelated PostgreSQL error) stays a 500."""
    if not is_connection_failure(exc):
        raise exc
    logger.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse(
        {"detail": "the database is unavailable or not answering; retry later"},
        status_code=503,
        headers={"Retry-After": DATABASE_RETRY_AFTER},
    )


def sqlstate_of(exc: DBAPIError) -> str | None:
    """The SQLSTATE the driver reported (asyncpg and psycopg 3: ``sqlstate``; psycopg2:
    ``pgcode``), or None (SQLite has none)."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _overflowed(exc: BaseException) -> bool:
    """The driver refused a parameter the column type cannot hold (asyncpg raises it from an
    OverflowError while encoding, e.g. an id beyond int4), somewhere in the cause chain."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OverflowError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    # PostgreSQL aborted the transaction to break a deadlock or a serialization conflict with
    # a concurrent one: nothing was written, and the same request is likely to succeed again.
    assert isinstance(exc, DBAPIError)
    state = sqlstate_of(exc)
    if state in OUT_OF_RANGE_SQLSTATES or _overflowed(exc):
        # A value the caller sent that the column cannot hold, or the driver refusing such a
        # parameter before sending it (asyncpg: an id beyond int4). Other data exceptions
        # (division by zero…) are our bugs and stay 500.
        return await _out_of_range(_request, exc)
    if state not in RETRYABLE_SQLSTATES and is_connection_failure(exc):
        return await _unavailable(_request, exc)
    if state not in RETRYABLE_SQLSTATES:
        raise exc  # a real fault: a 500, seen by the request telemetry like any other
    return JSONResponse(
        {"detail": "conflicting concurrent change; nothing was saved, retry the request"},
        status_code=409,
        headers={"Retry-After": "1"},
    )


async def _out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
    # A number or date too large for the database or for date arithmetic (e.g. an offset past
    # 2**63, a day after 9999-12-31): the caller's mistake, whatever route it reached.
    return JSONResponse(
        {"detail": "a number or date in the request is out of the supported range"},
        status_code=422,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DBAPIError, _database_error)
    # Network failures only: any other OSError (a file, a permission) stays a 500.
    network = (ConnectionError, TimeoutError, socket.gaierror)
    for unavailable in (*network, PoolTimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        app.add_exception_handler(unavailable, _unavailable)
