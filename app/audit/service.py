"""Writing audit events: ids and enumerated actions only, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent


async def record_audit(
    session: AsyncSession,
    *,
    action: str,
    resource_type: str,
    resource_id: str | int | None = None,
    actor_user_id: int | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id),
        actor_user_id=actor_user_id,
        request_id=request_id,
    )
    session.add(event)
    await session.flush()
    return event
