"""Redis outages the security and cache code rode out (metrics subscribe).

Every part that keeps state in Redis fails open when Redis is down or frozen: the request goes
on without it (no rate limit, no per-IP lockout, a cache miss...), and publishes
:class:`RedisUnavailable` naming the part, so the outage is counted rather than silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RedisPart = Literal["limiter", "lockout", "active_users", "cache", "exports"]


@dataclass(frozen=True)
class RedisUnavailable:
    part: RedisPart
