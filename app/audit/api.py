"""/api/v1/audit-events: the data-access and security trail, newest first (admins only).

Reading the trail is itself audited, like every read of personal data (:func:`audit_read`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.api.params import ensure_ordered
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead
from app.audit.service import Filters, audit_access
from app.auth.dependencies import Admin, Principal
from app.auth.events import AccessAction, ResourceType
from app.db.queries import fetch_page
from app.services import DbSession

router = APIRouter(prefix=f"{API_PREFIX}/audit-events", tags=["audit"])


async def audit_read(
    session: AsyncSession,
    principal: Principal,
    resource_type: ResourceType,
    action: AccessAction,
    resource_id: int | None = None,
    *,
    filters: Filters | None = None,
) -> None:
    """``principal`` read (or listed) personal data: audited in the request's transaction.

    A read names its ``resource_id``; a list passes its ``filters`` (``{"person_id": 2}``).
    """
    await audit_access(
        session,
        actor_user_id=principal.user_id,
        resource_type=resource_type,
        action=action,
        resource_id=resource_id,
        filters=filters,
    )


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
    filters: Annotated[str | None, Query(max_length=128, description="e.g. person_id=2")] = None,
    request_id: Annotated[str | None, Query(max_length=64)] = None,
    client_request_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="UTC, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="UTC, exclusive")] = None,
) -> Page[AuditEventRead]:
    ensure_ordered(since, until, after=True, names=("since", "until"))
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if since is not None:
        statement = statement.where(AuditEvent.at >= _utc_naive(since))
    if until is not None:
        statement = statement.where(AuditEvent.at < _utc_naive(until))
    items, total = await fetch_page(
        session,
        statement,
        page,
        (AuditEvent.actor_user_id, actor_user_id),
        (AuditEvent.action, action),
        (AuditEvent.resource_type, resource_type),
        (AuditEvent.resource_id, resource_id),
        (AuditEvent.filters, filters),
        (AuditEvent.request_id, request_id),
        (AuditEvent.client_request_id, client_request_id),
    )
    await audit_read(session, admin, "audit_log", "list")
    return page_of(AuditEventRead, items, total, page)
