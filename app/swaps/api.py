"""/api/v1/swaps: residents offer and answer swaps; coordinators approve or reject them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Depends, Query, status

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.audit.api import audit_read
from app.audit.service import SecurityAudit, record_audit
from app.auth.dependencies import Editor, Principal, Reader, ResidentOnly, require_roles
from app.auth.events import ResourceType, UserAction, UserActionKind
from app.auth.models import Role
from app.auth.ownership import own_person_filter, refuse_cross_access, refuse_unlinked
from app.events import publish
from app.security.clock import as_utc_naive
from app.services import AuditDep, ClockDep, DbSession
from app.swaps import service
from app.swaps.events import SwapState
from app.swaps.schemas import SwapCreate, SwapDecision, SwapRead

router = APIRouter(prefix=f"{API_PREFIX}/swaps", tags=["swaps"])

T = TypeVar("T")
Responder = Annotated[Principal, Depends(require_roles(Role.RESIDENT, Role.COORDINATOR))]


async def _as_resident(
    audit: SecurityAudit, principal: Principal, work: Callable[[int], Awaitable[T]]
) -> T:
    """Run ``work`` with the resident's own person id; an account linked to none is refused,
    and a resident touching another resident's shift or swap is refused, audited and flagged."""
    if principal.person_id is None:
        raise await refuse_unlinked(audit, principal, "swap")
    try:
        return await work(principal.person_id)
    except service.NotYours as exc:
        resource: ResourceType = "swap" if exc.resource_type == "swap" else "shift"
        raise await refuse_cross_access(audit, principal, resource, exc.resource_id) from None


async def _done(
    session: DbSession,
    principal: Principal,
    swap_id: int,
    verb: str,
    action: UserActionKind,
    transitions: list[service.Transition],
) -> SwapRead:
    await record_audit(
        session,
        action=verb,
        resource_type="swap",
        resource_id=swap_id,
        actor_user_id=principal.user_id,
    )
    service.announce(transitions)
    publish(UserAction(action=action))
    return SwapRead.model_validate(await service.get_swap(session, swap_id))


@router.post("", response_model=SwapRead, status_code=status.HTTP_201_CREATED)
async def request_swap(
    audit: AuditDep, session: DbSession, clock: ClockDep, principal: ResidentOnly, body: SwapCreate
) -> SwapRead:
    """Offer one of your shifts to another resident: a give-away, or a trade for one of
    theirs (``counterpart_shift_id``)."""
    swap, created = await _as_resident(
        audit,
        principal,
        lambda me: service.create_swap(session, me, body, now=as_utc_naive(clock())),
    )
    return await _done(session, principal, swap.id, "create", "swap_request", [created])


@router.get("", response_model=Page[SwapRead])
async def list_swaps(
    audit: AuditDep,
    session: DbSession,
    principal: Reader,
    page: Pagination,
    state: Annotated[SwapState | None, Query()] = None,
    person_id: Annotated[int | None, Query(description="Requested by or offered to")] = None,
) -> Page[SwapRead]:
    person_id = await own_person_filter(audit, principal, person_id, "swap")
    items, total = await service.list_swaps(session, page, state=state, person_id=person_id)
    await audit_read(session, principal, "swap", "list", filters={"person_id": person_id})
    return page_of(SwapRead, items, total, page)


@router.get("/{swap_id}", response_model=SwapRead)
async def get_swap(
    audit: AuditDep, session: DbSession, principal: Reader, swap_id: int
) -> SwapRead:
    swap = await service.get_swap(session, swap_id)
    if principal.role == Role.RESIDENT and principal.person_id not in (
        swap.requester_id,
        swap.counterpart_id,
    ):
        raise await refuse_cross_access(audit, principal, "swap", swap_id)
    await audit_read(session, principal, "swap", "read", swap_id)
    return SwapRead.model_validate(swap)


@router.post("/{swap_id}/accept", response_model=SwapRead)
async def accept_swap(
    audit: AuditDep, session: DbSession, clock: ClockDep, principal: ResidentOnly, swap_id: int
) -> SwapRead:
    """The counterpart agrees; a coordinator still has to approve. A shift already started
    cannot be swapped (409)."""
    now = as_utc_naive(clock())
    moved = await _as_resident(
        audit, principal, lambda me: service.accept(session, swap_id, me, now=now)
    )
    return await _done(session, principal, swap_id, "accept", "swap_respond", [moved])


@router.post("/{swap_id}/reject", response_model=SwapRead)
async def reject_swap(
    audit: AuditDep, session: DbSession, principal: Responder, swap_id: int
) -> SwapRead:
    """The counterpart declines a pending swap, or a coordinator rejects an open one."""
    if principal.role == Role.RESIDENT:
        moved = await _as_resident(
            audit, principal, lambda me: service.decline(session, swap_id, me)
        )
        return await _done(session, principal, swap_id, "reject", "swap_respond", [moved])
    moved = await service.reject(session, swap_id)
    return await _done(session, principal, swap_id, "reject", "swap_decide", [moved])


@router.post("/{swap_id}/cancel", response_model=SwapRead)
async def cancel_swap(
    audit: AuditDep, session: DbSession, principal: ResidentOnly, swap_id: int
) -> SwapRead:
    """The requester withdraws a swap that has not been decided yet."""
    moved = await _as_resident(audit, principal, lambda me: service.cancel(session, swap_id, me))
    return await _done(session, principal, swap_id, "cancel", "swap_respond", [moved])


@router.post("/{swap_id}/approve", response_model=SwapRead)
async def approve_swap(
    session: DbSession,
    clock: ClockDep,
    principal: Editor,
    swap_id: int,
    body: Annotated[SwapDecision | None, Body()] = None,
) -> SwapRead:
    """Approve an accepted swap and execute it. A swap that would break an ACGME rule for
    either resident is refused (409, with the violations) unless ``override_justification``
    explains why it must stand. A shift already started cannot be swapped (409)."""
    swap, transitions = await service.approve(
        session,
        swap_id,
        actor_user_id=principal.user_id,
        justification=body.override_justification if body else None,
        now=as_utc_naive(clock()),
    )
    return await _done(session, principal, swap.id, "approve", "swap_decide", transitions)
