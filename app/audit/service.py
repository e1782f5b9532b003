"""Writing audit events: ids and enumerated actions only.

Data access is recorded in the caller's transaction (a read that fails before it is audited
leaves no trace), except on SQLite for a request that has not written: there a read's row is
committed with those of the reads running beside it (:class:`_GroupCommit`), before the read
answers, so concurrent readers take SQLite's one write lock once per batch instead of once
each. Security facts of a request that is about to fail (denials, sign-in trouble) are written
in their own transaction by :class:`SecurityAudit`, because the request's will roll back. Use
it before the request's session has written anything: on SQLite a second writer would wait for
the first.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.auth.events import (
    AccessAction,
    AccessDenied,
    DataAccessed,
    ResourceType,
    SuspiciousActivity,
    SuspiciousKind,
)
from app.core.context import current_client_request_id, current_request_id
from app.db.base import utcnow
from app.db.engine import Database
from app.events import publish

logger = logging.getLogger(__name__)

Filters = Mapping[str, int | str | None]
"""A list read's filters by name (ids and enumerated values only); ``None`` values are unset."""
MAX_FILTERS_LENGTH = 128


def format_filters(filters: Filters | None) -> str | None:
    """``{"person_id": 2}`` -> ``"person_id=2"`` (sorted, ``&``-joined, unset ones left out);
    ``None`` when no filter is set."""
    if not filters:
        return None
    text = "&".join(f"{k}={v}" for k, v in sorted(filters.items()) if v is not None)
    return text[:MAX_FILTERS_LENGTH] or None


def _event(
    *,
    action: str,
    resource_type: str,
    resource_id: str | int | None = None,
    actor_user_id: int | None = None,
    request_id: str | None = None,
    filters: Filters | None = None,
    client_request_id: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        filters=format_filters(filters),
        actor_user_id=actor_user_id,
        request_id=request_id if request_id is not None else current_request_id(),
        client_request_id=(
            client_request_id if client_request_id is not None else current_client_request_id()
        ),
    )


async def record_audit(
    session: AsyncSession,
    *,
    action: str,
    resource_type: str,
    resource_id: str | int | None = None,
    actor_user_id: int | None = None,
    request_id: str | None = None,
    filters: Filters | None = None,
    client_request_id: str | None = None,
) -> AuditEvent:
    """Add one event to ``session``; the request ids default to the current request's (the
    server-generated one, and the client's ``X-Request-ID`` if it sent a valid one)."""
    event = _event(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_user_id=actor_user_id,
        request_id=request_id,
        filters=filters,
        client_request_id=client_request_id,
    )
    session.add(event)
    await session.flush()
    return event


_WRITTEN = (
    "action",
    "resource_type",
    "resource_id",
    "filters",
    "actor_user_id",
    "request_id",
    "client_request_id",
)


class _GroupCommit:
    """Audit rows of concurrent reads on one SQLite engine, committed together.

    A read hands its row over and waits until it is committed (nothing is lost, nothing is
    left for shutdown). One writer task commits whatever has queued, in one transaction, while
    the next batch gathers behind it; a reader cancelled while waiting still has its row
    written. A batch that fails fails each of its readers, as their own flush would have.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = weakref.ref(engine)  # the registry below holds engines weakly
        self._queue: list[tuple[dict[str, object], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, event: AuditEvent) -> None:
        done = asyncio.get_running_loop().create_future()
        row = {column: getattr(event, column) for column in _WRITTEN}
        self._queue.append(({**row, "at": event.at or utcnow()}, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            failure: BaseException | None = None
            try:
                engine = self._engine()
                if engine is None:
                    raise RuntimeError("the database engine is gone")
                async with engine.begin() as connection:  # one INSERT for the batch
                    await connection.execute(insert(AuditEvent), [row for row, _ in batch])
            except Exception as exc:
                failure = exc
            for _, done in batch:
                if done.done():  # its reader was cancelled: the row is written all the same
                    continue
                if failure is None:
                    done.set_result(None)
                else:
                    done.set_exception(failure)


_group_commits: weakref.WeakKeyDictionary[AsyncEngine, _GroupCommit] = weakref.WeakKeyDictionary()


async def _group_commit_for(session: AsyncSession) -> _GroupCommit | None:
    """The SQLite engine's group commit when ``session`` has not begun writing, else None
    (its transaction holds the write lock then, and a second writer would wait for it).

    The session's read-only transaction ends first (a no-op for SQLite: a read runs outside
    any), so that its connection goes back to the pool: readers waiting for their batch must
    not hold every connection the batch's writer needs."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return None
    if session.new or session.dirty or session.deleted:
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    if getattr(raw.driver_connection, "in_transaction", True):
        return None
    await session.commit()
    group = _group_commits.get(engine)
    if group is None:
        group = _group_commits[engine] = _GroupCommit(engine)
    return group


async def audit_access(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    resource_type: ResourceType,
    action: AccessAction,
    resource_id: int | None = None,
    filters: Filters | None = None,
) -> None:
    """A read or export of personal data: audited with the request, and announced.

    A ``list`` names no single resource: its filters go to ``filters``. For callers that still
    pass the person a list was filtered by as ``resource_id`` (the swaps list), a ``list`` with
    a ``resource_id`` is recorded as the filter ``person_id=<id>`` and ``resource_id`` empty.
    """
    if action == "list" and resource_id is not None:
        filters = {"person_id": resource_id, **(filters or {})}
        resource_id = None
    event = _event(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_user_id=actor_user_id,
        filters=filters,
    )
    group = await _group_commit_for(session)
    if group is not None:
        await group.write(event)
    else:
        session.add(event)
        await session.flush()
    publish(DataAccessed(resource_type=resource_type, action=action))


async def flag_suspicious(
    session: AsyncSession,
    kind: SuspiciousKind,
    *,
    actor_user_id: int | None,
    resource_type: str,
    resource_id: int | None = None,
) -> None:
    """Suspicious activity noticed by a request that goes on to succeed: recorded with it."""
    await record_audit(
        session,
        action=kind,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_user_id=actor_user_id,
    )
    publish(SuspiciousActivity(kind=kind))


class SecurityAudit:
    """Security facts, each committed on its own and published as an event."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def record(
        self,
        *,
        action: str,
        resource_type: str,
        resource_id: int | None = None,
        actor_user_id: int | None = None,
    ) -> None:
        try:
            async with self.database.session() as session:
                await record_audit(
                    session,
                    action=action,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    actor_user_id=actor_user_id,
                )
        except Exception:
            # The caller is answering 401/403/429 anyway; losing the row must not turn that
            # answer into a 500. The event below still counts it.
            logger.exception("could not write security audit event")

    async def denied(
        self,
        *,
        actor_user_id: int | None,
        resource_type: ResourceType,
        resource_id: int | None = None,
    ) -> None:
        await self.record(
            action="denied",
            resource_type=resource_type,
            resource_id=resource_id,
            actor_user_id=actor_user_id,
        )
        publish(AccessDenied(resource_type=resource_type))

    async def suspicious(
        self,
        kind: SuspiciousKind,
        *,
        actor_user_id: int | None,
        resource_type: str,
        resource_id: int | None = None,
    ) -> None:
        await self.record(
            action=kind,
            resource_type=resource_type,
            resource_id=resource_id,
            actor_user_id=actor_user_id,
        )
        publish(SuspiciousActivity(kind=kind))
