"""Refresh tokens: opaque random strings, stored as SHA-256 hashes, rotated on every use.

Each sign-in starts a family. Refreshing consumes the presented token (a conditional UPDATE,
so two concurrent refreshes cannot both succeed) and issues the next one in the family. A
token presented after it was consumed has leaked (or been replayed): the whole family is
revoked, so neither the thief nor the victim can keep refreshing, and the caller reports it
as suspicious activity.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import RefreshToken
from app.security.clock import as_utc_naive, from_utc_naive

FORGET_AFTER_SECONDS = 30 * 86_400
RefreshProblem = Literal["invalid", "expired", "reused", "revoked"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Consumed:
    user_id: int
    family_id: str


class RefreshError(Exception):
    def __init__(self, problem: RefreshProblem, user_id: int | None = None) -> None:
        super().__init__(problem)
        self.problem: RefreshProblem = problem
        self.user_id = user_id


async def issue(
    session: AsyncSession, user_id: int, *, now: float, lifetime: float, family_id: str | None
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id or uuid.uuid4().hex,
            token_hash=token_hash(token),
            issued_at=as_utc_naive(now),
            expires_at=as_utc_naive(now + lifetime),
        )
    )
    await session.flush()
    return token


async def consume(session: AsyncSession, token: str, *, now: float) -> Consumed:
    """Mark ``token`` used and return whose it was; :class:`RefreshError` otherwise.

    A reused token revokes its family here (in ``session``; the caller commits)."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token))
    )
    if row is None:
        raise RefreshError("invalid")
    if row.used_at is not None:
        await revoke_family(session, row.family_id, now=now)
        raise RefreshError("reused", row.user_id)
    if row.revoked_at is not None:
        raise RefreshError("revoked", row.user_id)
    if from_utc_naive(row.expires_at) <= now:
        raise RefreshError("expired", row.user_id)
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=as_utc_naive(now))
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        # Another request consumed it between our read and our update: a replay race.
        await revoke_family(session, row.family_id, now=now)
        raise RefreshError("reused", row.user_id)
    return Consumed(row.user_id, row.family_id)


async def revoke_family(session: AsyncSession, family_id: str, *, now: float) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=as_utc_naive(now))
        .execution_options(synchronize_session=False)
    )


async def revoke_user(session: AsyncSession, user_id: int, *, now: float) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=as_utc_naive(now))
        .execution_options(synchronize_session=False)
    )


async def family_of(session: AsyncSession, token: str) -> RefreshToken | None:
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token))
    )


async def forget_expired(session: AsyncSession, user_id: int, *, now: float) -> None:
    """Housekeeping at sign-in. Expired rows are kept for a while so that replaying an old
    token is still recognised as reuse."""
    cutoff = as_utc_naive(now - FORGET_AFTER_SECONDS)
    await session.execute(
        delete(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.expires_at < cutoff
        )
    )
