"""Active users: distinct signed-in users seen in the last few minutes (default 5).

The metrics read :meth:`count` at scrape time; nothing here is ever labelled by user. In
process by default; with Redis, one sorted set (member: user id, score: last seen) shared by
every replica. Each replica writes a user at most every tenth of the window, so a busy user
costs one Redis round trip per 30 s, not one per request.
"""

from __future__ import annotations

import logging
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events import publish
from app.security.clock import Clock, system_clock
from app.security.events import RedisUnavailable

logger = logging.getLogger(__name__)


class ActiveUsers(Protocol):
    async def seen(self, user_id: int) -> None: ...

    async def count(self) -> int: ...


class MemoryActiveUsers:
    def __init__(self, window: float = 300.0, clock: Clock = system_clock) -> None:
        self.window = window
        self.clock = clock
        self._last_seen: dict[int, float] = {}

    async def seen(self, user_id: int) -> None:
        self._last_seen[user_id] = self.clock()

    async def count(self) -> int:
        cutoff = self.clock() - self.window
        stale = [user for user, at in self._last_seen.items() if at < cutoff]
        for user in stale:
            del self._last_seen[user]
        return len(self._last_seen)


class RedisActiveUsers:
    def __init__(
        self,
        redis: Redis,
        window: float = 300.0,
        clock: Clock = system_clock,
        key: str = "scheduler:active_users",
    ) -> None:
        self.redis = redis
        self.window = window
        self.clock = clock
        self.key = key
        self._written: dict[int, float] = {}

    async def seen(self, user_id: int) -> None:
        now = self.clock()
        if now - self._written.get(user_id, -self.window) < self.window / 10:
            return
        self._written[user_id] = now
        if len(self._written) > 10_000:  # forget local write times, never the Redis state
            self._written = {u: t for u, t in self._written.items() if now - t < self.window}
        try:
            await self.redis.zadd(self.key, {str(user_id): now})
        except (RedisError, OSError):
            # Counting users is telemetry: a Redis outage must not fail the request.
            logger.warning("active users: redis unavailable")
            publish(RedisUnavailable("active_users"))
            del self._written[user_id]

    async def count(self) -> int:
        """Raises Redis errors: the scrape decides how to report an unknown count."""
        cutoff = self.clock() - self.window
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self.key, "-inf", f"({cutoff}")
            pipe.zcard(self.key)
            _, members = await pipe.execute()
        return int(members)
