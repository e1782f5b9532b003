"""User accounts: created and managed by admins (and by ``residency-scheduler create-user``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import refresh as refresh_tokens
from app.auth.models import Role, User
from app.auth.passwords import hash_password, password_problem
from app.auth.schemas import UserCreate, UserUpdate
from app.db.queries import PageParams, fetch_page, get_or_404, insert_row
from app.errors import ConflictError, InvalidInputError
from app.people.models import Person, PersonKind
from app.security.clock import system_clock

_PERSON_KIND = {Role.RESIDENT: PersonKind.RESIDENT, Role.FACULTY: PersonKind.FACULTY}


async def _check_link(session: AsyncSession, role: Role, person_id: int | None) -> None:
    """Residents must be linked to their resident record (it is what they may see)."""
    if person_id is None:
        if role == Role.RESIDENT:
            raise InvalidInputError("person_id: required for a resident account")
        return
    person = await session.get(Person, person_id)
    if person is None:
        raise InvalidInputError(f"person_id: person {person_id} does not exist")
    expected = _PERSON_KIND.get(role)
    if expected is not None and person.kind != expected:
        raise InvalidInputError(f"person_id: person {person_id} is not a {expected.value}")


def check_password(password: str, username: str) -> None:
    """422 naming the rule a new password breaks (docs/security.md); never echoes it."""
    problem = password_problem(password, username)
    if problem is not None:
        raise InvalidInputError(problem)


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    check_password(data.password, data.username)
    await _check_link(session, data.role, data.person_id)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise ConflictError(f"username {data.username!r} is taken")
    user = User(
        username=data.username,
        password_hash=await hash_password(data.password),
        role=data.role,
        person_id=data.person_id,
        active=True,
    )
    return await insert_row(session, user)


async def get_user(session: AsyncSession, user_id: int) -> User:
    return await get_or_404(session, User, user_id, "user")


async def list_users(
    session: AsyncSession, page: PageParams, *, role: Role | None = None
) -> tuple[list[User], int]:
    return await fetch_page(session, select(User).order_by(User.id), page, (User.role, role))


async def update_user(session: AsyncSession, user_id: int, data: UserUpdate) -> User:
    """Role, link, activation or password. Deactivating, a new role or a new password ends
    the user's sign-ins (refresh tokens revoked; access tokens lapse within minutes)."""
    user = await get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("password") is not None:
        check_password(changes["password"], user.username)
    role = changes.get("role") or user.role
    person_id = changes.get("person_id", user.person_id)
    await _check_link(session, role, person_id)
    user.role, user.person_id = role, person_id
    if changes.get("active") is not None:
        user.active = changes["active"]
        if user.active:
            user.failed_logins, user.locked_until = 0, None
    if changes.get("password"):
        user.password_hash = await hash_password(changes["password"])
        user.failed_logins, user.locked_until = 0, None
    if not user.active or {"role", "password", "person_id"} & changes.keys():
        await refresh_tokens.revoke_user(session, user.id, now=system_clock())
    await session.flush()
    return user


async def deactivate_user(session: AsyncSession, user_id: int) -> User:
    return await update_user(session, user_id, UserUpdate(active=False))
