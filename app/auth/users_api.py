"""/api/v1/users: account administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.audit.api import audit_read
from app.audit.service import record_audit
from app.auth import users
from app.auth.dependencies import Admin
from app.auth.events import UserAction
from app.auth.models import Role
from app.auth.schemas import UserCreate, UserRead, UserUpdate
from app.errors import ConflictError
from app.events import publish
from app.services import DbSession

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"])


async def _changed(session: DbSession, actor: int | None, action: str, user_id: int) -> None:
    await record_audit(
        session, action=action, resource_type="user", resource_id=user_id, actor_user_id=actor
    )
    publish(UserAction(action="user_admin"))


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(session: DbSession, admin: Admin, body: UserCreate) -> UserRead:
    user = await users.create_user(session, body)
    await _changed(session, admin.user_id, "create", user.id)
    return UserRead.model_validate(user)


@router.get("", response_model=Page[UserRead])
async def list_users(
    session: DbSession,
    admin: Admin,
    page: Pagination,
    role: Annotated[Role | None, Query()] = None,
) -> Page[UserRead]:
    items, total = await users.list_users(session, page, role=role)
    await audit_read(session, admin, "user", "list")
    return page_of(UserRead, items, total, page)


@router.get("/{user_id}", response_model=UserRead)
async def get_user(session: DbSession, admin: Admin, user_id: int) -> UserRead:
    user = await users.get_user(session, user_id)
    await audit_read(session, admin, "user", "read", user_id)
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead)
async def update_user(session: DbSession, admin: Admin, user_id: int, body: UserUpdate) -> UserRead:
    if user_id == admin.user_id and (body.active is False or body.role not in (None, Role.ADMIN)):
        raise ConflictError("admins may not demote or deactivate themselves")
    user = await users.update_user(session, user_id, body)
    await _changed(session, admin.user_id, "update", user.id)
    return UserRead.model_validate(user)


@router.delete("/{user_id}", response_model=UserRead)
async def deactivate_user(session: DbSession, admin: Admin, user_id: int) -> UserRead:
    """Deactivate (accounts are never deleted: the audit trail refers to them)."""
    if user_id == admin.user_id:
        raise ConflictError("admins may not deactivate themselves")
    user = await users.deactivate_user(session, user_id)
    await _changed(session, admin.user_id, "delete", user.id)
    return UserRead.model_validate(user)
