"""Rate limits on the ``limits`` library: per client IP for sign-in, per user for the API.

The storage is in-process by default and Redis when ``REDIS_URL`` is set, so replicas share
their counts. A violated limit becomes a 429 with ``Retry-After`` and a
:class:`~app.auth.events.RateLimitExceeded` event (scope only: never the user or the IP).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from app.auth.events import RateLimitExceeded, RateLimitScope
from app.events import publish
from app.security.events import RedisUnavailable

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    def __init__(self, scope: RateLimitScope, retry_after: int) -> None:
        super().__init__(f"{scope} rate limit exceeded; retry in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimitRules:
    login: tuple[RateLimitItem, ...]
    api: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, login: str, api: str) -> RateLimitRules:
        return cls(login=tuple(parse_many(login)), api=tuple(parse_many(api)))


class RateLimiter:
    def __init__(self, storage: Storage, rules: RateLimitRules) -> None:
        self.storage = storage
        self.rules = rules
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, scope: RateLimitScope, identity: str) -> None:
        """Count one request for ``identity``; raise :class:`RateLimited` when over a limit."""
        items = self.rules.login if scope == "login" else self.rules.api
        for item in items:
            try:
                allowed = await self._limiter.hit(item, scope, identity)
                if allowed:
                    continue
                stats = await self._limiter.get_window_stats(item, scope, identity)
            except (StorageError, ConnectionError, OSError):
                # A Redis outage must not lock everybody out: fail open, and say so.
                logger.warning("rate limit storage unavailable; request allowed")
                publish(RedisUnavailable("limiter"))
                return
            publish(RateLimitExceeded(scope=scope))
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(scope, min(retry_after, item.get_expiry()))
