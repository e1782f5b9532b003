"""Where cached values live: a bounded in-process TTL map, or Redis (shared by replicas).

Values are bytes; keys already carry the data version (see :mod:`app.cache.models`), so
nothing is ever deleted to invalidate: stale entries become unreachable and expire.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events import publish
from app.security.clock import Clock, system_clock
from app.security.events import RedisUnavailable

logger = logging.getLogger(__name__)


class CacheStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...


class MemoryCacheStore:
    """Least-recently-used eviction beyond ``max_entries``; expiry by the injected clock."""

    def __init__(self, max_entries: int = 512, clock: Clock = system_clock) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._entries[key] = (self.clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class RedisCacheStore:
    """A Redis outage degrades to misses (the request computes the value), never to errors."""

    def __init__(self, redis: Redis, prefix: str = "scheduler:cache:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self.redis.get(self.prefix + key)
        except (RedisError, OSError):
            logger.warning("cache: redis unavailable; computing instead")
            publish(RedisUnavailable("cache"))
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        try:
            await self.redis.set(self.prefix + key, value, ex=max(1, int(ttl)))
        except (RedisError, OSError):
            logger.warning("cache: redis unavailable; value not stored")
            publish(RedisUnavailable("cache"))
