"""Residents see their own records only; everyone else sees everyone's.

A resident asking for another resident's record is refused (403), audited, and flagged as
suspicious activity (``cross_resident_access``).
"""

from __future__ import annotations

from app.audit.service import SecurityAudit
from app.auth.dependencies import Principal
from app.auth.events import ResourceType
from app.auth.models import Role
from app.errors import ForbiddenError


async def refuse_cross_access(
    audit: SecurityAudit,
    principal: Principal,
    resource_type: ResourceType,
    resource_id: int | None,
) -> ForbiddenError:
    await audit.denied(
        actor_user_id=principal.user_id, resource_type=resource_type, resource_id=resource_id
    )
    await audit.suspicious(
        "cross_resident_access",
        actor_user_id=principal.user_id,
        resource_type=resource_type,
        resource_id=resource_id,
    )
    return ForbiddenError("residents may only see their own records")


async def refuse_unlinked(
    audit: SecurityAudit, principal: Principal, resource_type: ResourceType
) -> ForbiddenError:
    """A resident-only action by an account without a linked resident record: 403, audited."""
    await audit.denied(actor_user_id=principal.user_id, resource_type=resource_type)
    return ForbiddenError("this account is not linked to a resident")


async def own_person_filter(
    audit: SecurityAudit,
    principal: Principal,
    person_id: int | None,
    resource_type: ResourceType,
) -> int | None:
    """The person filter to apply: unchanged for staff, the resident's own id for residents
    (asking for someone else's is refused)."""
    if principal.role != Role.RESIDENT:
        return person_id
    if principal.person_id is None:
        raise await refuse_unlinked(audit, principal, resource_type)
    if person_id is not None and person_id != principal.person_id:
        raise await refuse_cross_access(audit, principal, resource_type, person_id)
    return principal.person_id


async def ensure_owner(
    audit: SecurityAudit,
    principal: Principal,
    owner_person_id: int,
    resource_type: ResourceType,
    resource_id: int,
) -> None:
    """Residents may read a single record only when it is theirs."""
    if principal.role != Role.RESIDENT:
        return
    if principal.person_id is None or owner_person_id != principal.person_id:
        raise await refuse_cross_access(audit, principal, resource_type, resource_id)
