"""Who is calling, and may they? The one seam every router's permission check goes through.

:func:`current_principal` reads the ``Authorization: Bearer`` access token (no database
round trip), counts the caller as active, and applies the per-user API rate limit.
:func:`require_roles` admits the given roles (admins always) and audits a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.http import too_many, unauthorized
from app.auth.models import Role
from app.auth.resources import resource_type_of
from app.auth.tokens import TokenError
from app.core.context import user_id_var
from app.errors import ForbiddenError
from app.security.ratelimit import RateLimited
from app.services import ActiveUsersDep, AuditDep, LimiterDep, TokensDep


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    role: Role
    person_id: int | None = None


SYSTEM = Principal(user_id=None, role=Role.ADMIN)
"""The service acting on its own behalf (CLI, background jobs); never from a request."""

bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def current_principal(
    credentials: Credentials,
    tokens: TokensDep,
    active_users: ActiveUsersDep,
    limiter: LimiterDep,
) -> Principal:
    if credentials is None:
        raise unauthorized("missing_token")
    try:
        claims = tokens.decode(credentials.credentials)
    except TokenError as exc:
        raise unauthorized(exc.reason) from None
    user_id_var.set(claims.user_id)
    await active_users.seen(claims.user_id)
    try:
        await limiter.hit("api", str(claims.user_id))
    except RateLimited as exc:
        raise too_many(exc.retry_after, "API rate limit exceeded; slow down") from None
    return Principal(user_id=claims.user_id, role=claims.role, person_id=claims.person_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given roles (admins are always admitted)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(request: Request, audit: AuditDep, principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            await audit.denied(
                actor_user_id=principal.user_id, resource_type=resource_type_of(request)
            )
            raise ForbiddenError(f"role {principal.role.value!r} may not do this")
        return principal

    return check


ANY_ROLE = (Role.ADMIN, Role.COORDINATOR, Role.FACULTY, Role.RESIDENT)
Reader = Annotated[Principal, Depends(require_roles(*ANY_ROLE))]
"""Any signed-in user; residents are further confined to their own records by the router."""
Editor = Annotated[Principal, Depends(require_roles(Role.COORDINATOR))]
"""Coordinators (and admins): edit schedules, import/export, approve swaps."""
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
"""Admins only: manage users, read the audit trail."""
ResidentOnly = Annotated[Principal, Depends(require_roles(Role.RESIDENT))]
"""Residents (and admins, who are then refused for lack of a linked person)."""
