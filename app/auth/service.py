"""Sign-in, token refresh and sign-out.

Each commits *before* answering a failure: a failed sign-in must still count toward the
lockout, and a reused refresh token must stay revoked, although the caller gets 401. A sign-in
counts its failure in a short transaction of its own before the (slow) password check, so
parallel guesses can never check more passwords than the lockout allows
(:meth:`SignIn._attempt`). Failures surface as :class:`SignInRefused` with an enumerated
reason; the HTTP layer answers and publishes them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SecurityAudit, record_audit
from app.auth import refresh as refresh_tokens
from app.auth.events import FailureReason, UserAction
from app.auth.models import User
from app.auth.passwords import burn_verification, hash_password, needs_rehash, verify_password
from app.auth.schemas import TokenPair
from app.auth.tokens import AccessTokens
from app.db.engine import Database
from app.events import publish
from app.security.clock import Clock, as_utc_naive, from_utc_naive
from app.security.lockout import FailureStore, LockoutPolicy


class SignInRefused(Exception):
    """401 (or 429 with ``retry_after`` while locked out)."""

    def __init__(self, reason: FailureReason, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason: FailureReason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Attempt:
    pair: TokenPair | None = None
    reason: FailureReason | None = None
    retry_after: float | None = None
    user_id: int | None = None  # the account tried, when it exists
    account_locked: bool = False  # this failure started the account's overall lock
    counted: bool = True  # a password was checked and was wrong (or the user is unknown)


@dataclass(frozen=True)
class _Claim:
    """A failure counted for an account before its password is verified."""

    locked_until: datetime | None  # the lock this failure started, if it reached the ceiling
    previous_lock: datetime | None  # the (expired) lock the row held before


def _account_key(username: str) -> str:
    """A fixed-length store key part for a username (and no usernames in Redis)."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def _wait(until: float, now: float) -> float:
    """Seconds until a lock ends, counted to the whole second as the account row stores it,
    so every kind of lock (known or unknown username) gives the same ``Retry-After``."""
    return math.ceil(until) - now


@dataclass(frozen=True)
class SignIn:
    """What sign-in, refresh and sign-out need: the clock, the token issuer, the lockout
    policies and failure counts, and the security audit.

    Failures are counted per (account, source IP) and per source IP in ``failures`` (each
    locks at ``LOCKOUT_THRESHOLD``), and per account across every address at the higher
    ``account_lockout`` ceiling (``LOCKOUT_ACCOUNT_THRESHOLD``): in the ``users`` row for a
    real account, in ``unknown_account_failures`` for a username that does not exist, so
    both get the same answers."""

    database: Database
    clock: Clock
    tokens: AccessTokens
    refresh_lifetime: float
    account_lockout: LockoutPolicy
    failures: FailureStore
    unknown_account_failures: FailureStore
    audit: SecurityAudit

    async def _tokens(self, session: AsyncSession, user: User, family: str | None) -> TokenPair:
        now = self.clock()
        access = self.tokens.issue(user.id, user.role, user.person_id)
        refresh = await refresh_tokens.issue(
            session, user.id, now=now, lifetime=self.refresh_lifetime, family_id=family
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(self.tokens.lifetime),
            refresh_expires_in=int(self.refresh_lifetime),
        )

    async def _attempt(self, username: str, password: str) -> _Attempt:
        """One sign-in attempt against the account's overall count, in three short steps.

        The failure is counted *before* the password is verified, by one atomic conditional
        UPDATE that refuses once the account is locked: attempts in parallel (verification is
        slow and runs concurrently) can never verify more passwords than the ceiling, on
        SQLite as on PostgreSQL, and no lock is held while verifying. A right password then
        takes the count back (resets it, or undoes it for an inactive account)."""
        now = self.clock()
        async with self.database.session() as session:
            user = await session.scalar(select(User).where(User.username == username))
            if user is None:
                return await self._unknown_user(session, username, password, now)
            user_id, password_hash = user.id, user.password_hash
            claim = await self._count_failure(session, user_id, now)
        if isinstance(claim, _Attempt):
            return claim
        if not await verify_password(password_hash, password):
            async with self.database.session() as session:
                await record_audit(
                    session, action="login_failed", resource_type="user", resource_id=user_id
                )
            return _Attempt(
                reason="bad_password",
                user_id=user_id,
                account_locked=claim.locked_until is not None,
            )
        async with self.database.session() as session:
            user = await session.get(User, user_id, populate_existing=True)
            if user is None or not user.active:
                await self._uncount_failure(session, user_id, claim)
                return _Attempt(reason="inactive", counted=False)
            user.failed_logins, user.locked_until = 0, None
            if needs_rehash(user.password_hash):
                user.password_hash = await hash_password(password)
            await refresh_tokens.forget_expired(session, user.id, now=now)
            await record_audit(
                session,
                action="login",
                resource_type="user",
                resource_id=user.id,
                actor_user_id=user.id,
            )
            return _Attempt(pair=await self._tokens(session, user, None), user_id=user.id)

    async def _count_failure(
        self, session: AsyncSession, user_id: int, now: float
    ) -> _Claim | _Attempt:
        """Count one failure for the account unless it is locked at ``now`` (then the refusal),
        and lock it when the count reaches the ceiling."""
        counted = (
            await session.execute(
                update(User)
                .where(
                    User.id == user_id,
                    or_(User.locked_until.is_(None), User.locked_until <= as_utc_naive(now)),
                )
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins, User.locked_until)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if counted is None:  # locked (or deleted meanwhile): nothing verified, nothing counted
            until = await session.scalar(select(User.locked_until).where(User.id == user_id))
            wait = from_utc_naive(until) - now if until is not None else 1.0
            return _Attempt(reason="locked", retry_after=wait, counted=False)
        failures, before = counted
        seconds = self.account_lockout.lock_seconds(failures)
        until = None
        if seconds is not None:  # whole seconds: exact in the column and in Retry-After
            until = as_utc_naive(math.ceil(now + seconds))
            await session.execute(
                update(User)
                .where(User.id == user_id)
                .values(locked_until=until)
                .execution_options(synchronize_session=False)
            )
        return _Claim(locked_until=until, previous_lock=before)

    async def _uncount_failure(self, session: AsyncSession, user_id: int, claim: _Claim) -> None:
        """Take back a failure counted for a right password (an inactive account's)."""
        values: dict[str, object] = {"failed_logins": User.failed_logins - 1}
        statement = update(User).where(User.id == user_id, User.failed_logins > 0)
        if claim.locked_until is not None:  # the lock this attempt started, if still in place
            values["locked_until"] = case(
                (User.locked_until == claim.locked_until, claim.previous_lock),
                else_=User.locked_until,
            )
        await session.execute(statement.values(values).execution_options(synchronize_session=False))

    async def _unknown_user(
        self, session: AsyncSession, username: str, password: str, now: float
    ) -> _Attempt:
        """What a real account would answer, step for step: its overall lock, a failure
        counted toward the ceiling before a password verification's time, an audit row."""
        key = f"user:{_account_key(username)}"
        until = await self.unknown_account_failures.locked_until(key, now)
        if until is not None:
            return _Attempt(reason="locked", retry_after=_wait(until, now), counted=False)
        outcome = await self.unknown_account_failures.fail(key, now)
        await burn_verification(password)
        await record_audit(session, action="login_failed", resource_type="user")
        return _Attempt(reason="unknown_user", account_locked=outcome.locked_until is not None)

    async def login(self, username: str, password: str, ip: str) -> TokenPair:
        """Tokens for a correct password; :class:`SignInRefused` otherwise. The caller has
        already applied the per-IP rate limit."""
        now = self.clock()
        ip_key, pair_key = f"ip:{ip}", f"pair:{ip}:{_account_key(username)}"
        for key in (ip_key, pair_key):
            until = await self.failures.locked_until(key, now)
            if until is not None:
                raise SignInRefused("locked", _wait(until, now))
        attempt = await self._attempt(username, password)
        if attempt.pair is not None:
            await self.failures.reset(pair_key)
            publish(UserAction(action="login"))
            return attempt.pair
        assert attempt.reason is not None
        if attempt.counted:
            now = self.clock()
            pair = await self.failures.fail(pair_key, now)
            if attempt.account_locked or pair.locked_until is not None:
                await self.audit.suspicious(
                    "brute_force",
                    actor_user_id=None,
                    resource_type="user",
                    resource_id=attempt.user_id,
                )
            outcome = await self.failures.fail(ip_key, now)
            if outcome.locked_until is not None:
                await self.audit.suspicious("brute_force", actor_user_id=None, resource_type="ip")
        raise SignInRefused(attempt.reason, attempt.retry_after)

    async def refresh(self, token: str) -> TokenPair:
        """Rotate ``token`` into a new pair; a reused token revokes its family (and is reported
        as suspicious activity)."""
        problem: refresh_tokens.RefreshError | None = None
        pair: TokenPair | None = None
        inactive = False
        async with self.database.session() as session:
            try:
                consumed = await refresh_tokens.consume(session, token, now=self.clock())
            except refresh_tokens.RefreshError as exc:
                problem = exc
            else:
                user = await session.get(User, consumed.user_id)
                if user is None or not user.active:
                    await refresh_tokens.revoke_family(
                        session, consumed.family_id, now=self.clock()
                    )
                    inactive = True
                else:
                    pair = await self._tokens(session, user, consumed.family_id)
        if pair is not None:
            publish(UserAction(action="refresh"))
            return pair
        if inactive:
            raise SignInRefused("inactive")
        assert problem is not None
        if problem.problem == "reused":
            await self.audit.suspicious(
                "refresh_token_reuse",
                actor_user_id=problem.user_id,
                resource_type="user",
                resource_id=problem.user_id,
            )
            raise SignInRefused("refresh_reuse")
        reason: FailureReason = "expired_token" if problem.problem == "expired" else "invalid_token"
        raise SignInRefused(reason)

    async def logout(self, token: str) -> None:
        """Revoke the sign-in ``token`` belongs to. Unknown tokens are ignored (no oracle)."""
        async with self.database.session() as session:
            row = await refresh_tokens.family_of(session, token)
            if row is None:
                return
            await refresh_tokens.revoke_family(session, row.family_id, now=self.clock())
            await record_audit(
                session,
                action="logout",
                resource_type="user",
                resource_id=row.user_id,
                actor_user_id=row.user_id,
            )
        publish(UserAction(action="logout"))
