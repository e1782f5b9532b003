"""/api/v1/audit-events: the data-access and security trail, newest first (admins only).

Reading the trail is itself audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead
from app.audit.service import audit_access
from app.auth.dependencies import Admin
from app.db.queries import fetch_page
from app.errors import InvalidInputError
from app.services import DbSession

router = APIRouter(prefix=f"{API_PREFIX}/audit-events", tags=["audit"])


def _utc_naive(moment: datetime) -> datetime:
    """The stored times are naive UTC; an aware filter is converted, a naive one is UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@router.get("", response_model=Page[AuditEventRead])
async def list_audit_events(
    session: DbSession,
    admin: Admin,
    page: Pagination,
    actor_user_id: Annotated[int | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    resource_type: Annotated[str | None, Query(max_length=32)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="UTC, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="UTC, exclusive")] = None,
) -> Page[AuditEventRead]:
    if since and until and until <= since:
        raise InvalidInputError("until: must be after since")
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    filters = (
        (AuditEvent.actor_user_id, actor_user_id),
        (AuditEvent.action, action),
        (AuditEvent.resource_type, resource_type),
        (AuditEvent.resource_id, resource_id),
        (AuditEvent.request_id, request_id),
    )
    for column, value in filters:
        if value is not None:
            statement = statement.where(column == value)
    if since is not None:
        statement = statement.where(AuditEvent.at >= _utc_naive(since))
    if until is not None:
        statement = statement.where(AuditEvent.at < _utc_naive(until))
    items, total = await fetch_page(session, statement, page)
    await audit_access(
        session, actor_user_id=admin.user_id, resource_type="audit_log", action="list"
    )
    return page_of(AuditEventRead, items, total, page)
