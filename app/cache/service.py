"""Cached reads of the stored schedule: the compliance report and schedule pages.

A key is ``name:v<version>:<parameters>``, where the version is read from the database in the
reader's transaction; every write to the schedule bumps it in the writer's transaction (see
:mod:`app.cache.models`). So a cached value is never older than the data the reader could
see, whatever process wrote last. Every lookup publishes :class:`CacheLookup` (hit or miss).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cache.events import CacheLookup, CacheName
from app.cache.models import SCHEDULE_VERSION, CacheVersion
from app.cache.store import CacheStore
from app.events import publish

JsonValue = dict[str, Any]


async def schedule_version(session: AsyncSession) -> int | None:
    return await session.scalar(
        select(CacheVersion.version).where(CacheVersion.name == SCHEDULE_VERSION)
    )


def cache_key(name: CacheName, version: int, **parameters: object) -> str:
    """Parameters in a fixed order; values are ids, dates, flags and numbers only."""
    params = ",".join(f"{k}={parameters[k]}" for k in sorted(parameters))
    return f"{name}:v{version}:{params}"


class ReadCache:
    def __init__(self, store: CacheStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl

    async def get_or_compute(
        self,
        session: AsyncSession,
        name: CacheName,
        compute: Callable[[], Awaitable[JsonValue]],
        **parameters: object,
    ) -> JsonValue:
        version = await schedule_version(session)
        if version is None:  # no version row: nothing can invalidate, so never cache
            return await compute()
        key = cache_key(name, version, **parameters)
        raw = await self.store.get(key)
        publish(CacheLookup(cache=name, hit=raw is not None))
        if raw is not None:
            cached: JsonValue = json.loads(raw)
            return cached
        value = await compute()
        await self.store.set(key, json.dumps(value, default=str).encode(), self.ttl)
        return value
