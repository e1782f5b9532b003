"""Builds the per-app security parts at construction and hangs them on ``app.state``.

``install_security(app, settings)`` creates the shared Redis client (when ``REDIS_URL`` is
set), the rate limiter, the per-IP lockout store, the active-users tracker, the read cache and
the export monitor, mounts the auth, users, swaps and audit routes, and registers the Redis
client's close with ``app.state.shutdown``. Nothing connects until first use.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from fastapi import FastAPI
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.asyncio import Redis

from app.audit.service import SecurityAudit
from app.auth.tokens import AccessTokens
from app.cache.service import ReadCache
from app.cache.store import MemoryCacheStore, RedisCacheStore
from app.core.config import Settings
from app.db.engine import Database
from app.security.active_users import ActiveUsers, MemoryActiveUsers, RedisActiveUsers
from app.security.clock import ClockRef
from app.security.exports import ExportMonitor
from app.security.lockout import (
    FailureStore,
    LockoutPolicy,
    MemoryFailureStore,
    RedisFailureStore,
)
from app.security.ratelimit import RateLimiter, RateLimitRules

logger = logging.getLogger(__name__)


@dataclass
class SecurityServices:
    clock: ClockRef
    tokens: AccessTokens
    refresh_lifetime: float
    lockout: LockoutPolicy
    ip_failures: FailureStore
    limiter: RateLimiter
    active_users: ActiveUsers
    cache: ReadCache
    exports: ExportMonitor
    audit: SecurityAudit
    redis: Redis | None = None


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    # Settings refuse this in production; elsewhere sign-ins last until the process exits.
    logger.warning(
        "JWT_SECRET is not set: using an ephemeral signing key; tokens will not survive a "
        "restart or work across replicas (set JWT_SECRET; required in production)"
    )
    return secrets.token_urlsafe(48)


def limits_storage(settings: Settings, redis: Redis | None) -> Storage:
    if redis is None or settings.redis_url is None:
        return MemoryStorage()
    url = settings.redis_url
    uri = "async+redis+unix://" + url.removeprefix("unix://") if url.startswith("unix") else url
    if not uri.startswith("async+"):
        uri = "async+" + uri
    return RedisStorage(
        uri,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix="scheduler:limits",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # one pool for all
    )


def build_security(settings: Settings, database: Database) -> SecurityServices:
    clock = ClockRef()
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    storage = limits_storage(settings, redis)
    lockout = LockoutPolicy(
        threshold=settings.lockout_threshold,
        base=float(settings.lockout_seconds),
        maximum=float(max(settings.lockout_max_seconds, settings.lockout_seconds)),
    )
    window = float(settings.active_users_window_seconds)
    return SecurityServices(
        clock=clock,
        tokens=AccessTokens(jwt_secret(settings), settings.access_token_minutes * 60.0, clock),
        refresh_lifetime=settings.refresh_token_days * 86_400.0,
        lockout=lockout,
        ip_failures=(RedisFailureStore(redis, lockout) if redis else MemoryFailureStore(lockout)),
        limiter=RateLimiter(
            storage, RateLimitRules.parse(settings.rate_limit_login, settings.rate_limit_api)
        ),
        active_users=(
            RedisActiveUsers(redis, window, clock) if redis else MemoryActiveUsers(window, clock)
        ),
        cache=ReadCache(
            RedisCacheStore(redis) if redis else MemoryCacheStore(clock=clock),
            ttl=float(settings.cache_ttl_seconds),
        ),
        exports=ExportMonitor(storage, settings.suspicious_exports_per_hour),
        audit=SecurityAudit(database),
        redis=redis,
    )


def install_security(app: FastAPI, settings: Settings) -> SecurityServices:
    from app.security.routes import security_routers

    security = build_security(settings, app.state.database)
    app.state.security = security
    app.state.active_users = security.active_users  # read by the metrics at scrape time
    app.state.cache = security.cache
    if security.redis is not None:
        app.state.shutdown.append(security.redis.aclose)
    for router in security_routers():
        app.include_router(router)
    return security
