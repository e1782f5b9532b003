"""Who is calling, and may they? The one seam every router's permission check goes through.

Until sign-in lands (issue 4) every request acts as the built-in ``system`` principal with the
admin role; routers already declare the roles they need, so authentication only has to fill in
:func:`current_principal`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from app.api.errors import ForbiddenError
from app.auth.models import Role


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    role: Role
    person_id: int | None = None


SYSTEM = Principal(user_id=None, role=Role.ADMIN)


async def current_principal() -> Principal:
    return SYSTEM


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given roles (admins are always admitted)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise ForbiddenError(f"role {principal.role.value!r} may not do this")
        return principal

    return check


ANY_ROLE = (Role.ADMIN, Role.COORDINATOR, Role.FACULTY, Role.RESIDENT)
Reader = Annotated[Principal, Depends(require_roles(*ANY_ROLE))]
Editor = Annotated[Principal, Depends(require_roles(Role.COORDINATOR))]
