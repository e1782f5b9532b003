"""Lockout after repeated sign-in failures: the policy, and the failure store.

After ``threshold`` failures a key is locked for ``base`` seconds; each further failure
doubles the lock, up to ``maximum``. Sign-in (``app.auth.service``) keys the store by source
IP, by (account, source IP), and by unknown username for the per-account ceiling; a known
account's overall count is kept in its ``users`` row. The store lives in process, or in Redis
so every replica sees it. A key's count is forgotten ``maximum`` seconds after its last
failure (or its lock's end), or at once by :meth:`FailureStore.reset` (a successful sign-in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events import publish
from app.security.events import RedisUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 5
    base: float = 60.0
    maximum: float = 3600.0

    def lock_seconds(self, failures: int) -> float | None:
        """How long ``failures`` consecutive failures lock for (None: not locked yet)."""
        if failures < self.threshold:
            return None
        doublings = min(failures - self.threshold, 32)  # 2**32 s is beyond any maximum
        return float(min(self.base * 2**doublings, self.maximum))


@dataclass(frozen=True)
class FailureOutcome:
    failures: int
    locked_until: float | None  # set when this failure started a lock


class FailureStore(Protocol):
    async def locked_until(self, key: str, now: float) -> float | None:
        """When the lock on ``key`` ends, or None when it is not locked at ``now``."""

    async def fail(self, key: str, now: float) -> FailureOutcome:
        """Count a failure for ``key`` and lock it when the policy says so."""

    async def reset(self, key: str) -> None:
        """Forget ``key``'s failures and lock."""


class MemoryFailureStore:
    def __init__(self, policy: LockoutPolicy, max_keys: int = 100_000) -> None:
        self.policy = policy
        self.max_keys = max_keys
        self._state: dict[str, tuple[int, float, float]] = {}  # failures, last, locked_until

    async def locked_until(self, key: str, now: float) -> float | None:
        state = self._state.get(key)
        if state is None or state[2] <= now:
            return None
        return state[2]

    async def fail(self, key: str, now: float) -> FailureOutcome:
        failures, last, until = self._state.get(key, (0, now, 0.0))
        if now - max(last, until) > self.policy.maximum:  # as the Redis key's expiry
            failures = 0
        failures += 1
        seconds = self.policy.lock_seconds(failures)
        until = now + seconds if seconds is not None else 0.0
        if len(self._state) >= self.max_keys and key not in self._state:
            self._forget_oldest(now)
        self._state[key] = (failures, now, until)
        return FailureOutcome(failures, until if seconds is not None else None)

    async def reset(self, key: str) -> None:
        self._state.pop(key, None)

    def _forget_oldest(self, now: float) -> None:
        # Bounded memory under an address-spraying attack: drop idle entries first.
        idle = [k for k, (_, last, until) in self._state.items() if until <= now]
        for key in sorted(idle, key=lambda k: self._state[k][1])[: max(1, len(idle) // 2)]:
            del self._state[key]
        if len(self._state) >= self.max_keys:
            del self._state[next(iter(self._state))]


class RedisFailureStore:
    """One hash per key (failures, locked_until), expiring ``maximum`` after the last failure.

    Lock times are computed from the injected clock, not Redis TTLs, so tests can move time.
    """

    def __init__(self, redis: Redis, policy: LockoutPolicy, prefix: str = "scheduler:lockout:"):
        self.redis = redis
        self.policy = policy
        self.prefix = prefix

    async def locked_until(self, key: str, now: float) -> float | None:
        try:
            value = await self.redis.hget(self.prefix + key, "locked_until")
        except (RedisError, OSError):
            _unavailable()  # fail open: the account lockout (in the database) still applies
            return None
        until = float(value) if value is not None else 0.0
        return until if until > now else None

    async def fail(self, key: str, now: float) -> FailureOutcome:
        try:
            return await self._fail(key, now)
        except (RedisError, OSError):
            _unavailable()  # fail open: this failure is not counted against the IP
            return FailureOutcome(0, None)

    async def reset(self, key: str) -> None:
        try:
            await self.redis.delete(self.prefix + key)
        except (RedisError, OSError):
            _unavailable()  # fail open: the count lapses on its own after ``maximum``

    async def _fail(self, key: str, now: float) -> FailureOutcome:
        name = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "failures", 1)
            pipe.expire(name, int(self.policy.maximum) + 1)
            failures, _ = await pipe.execute()
        seconds = self.policy.lock_seconds(int(failures))
        if seconds is None:
            return FailureOutcome(int(failures), None)
        until = now + seconds
        await self.redis.hset(name, "locked_until", repr(until))
        await self.redis.expire(name, int(seconds + self.policy.maximum) + 1)
        return FailureOutcome(int(failures), until)


def _unavailable() -> None:
    logger.warning("lockout: redis unavailable; per-IP lockout skipped")
    publish(RedisUnavailable("lockout"))
