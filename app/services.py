"""The services one app runs on, built once from the settings, and the typed dependencies that
hand them to request handlers.

``create_app()`` builds a :class:`Services` and keeps it on ``app.state.services``; handlers ask
for what they use (``cache: Cache``), never for the request to dig it out. Tests swap one with
``app.dependency_overrides[get_cache] = ...``. This module imports services, never routers, so
every router can import it without a cycle. Nothing connects until first use.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SecurityAudit
from app.auth.service import SignIn
from app.auth.tokens import AccessTokens
from app.cache.service import ReadCache
from app.cache.store import MemoryCacheStore, RedisCacheStore
from app.core.config import Settings
from app.core.metrics.install import ServiceMetrics, build_metrics
from app.db.engine import Database
from app.generation.jobs import GenerationJobs
from app.security.active_users import ActiveUsers, MemoryActiveUsers, RedisActiveUsers
from app.security.clock import ClockRef
from app.security.exports import ExportMonitor
from app.security.lockout import LockoutPolicy, MemoryFailureStore, RedisFailureStore
from app.security.ratelimit import RateLimiter, RateLimitRules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    clock: ClockRef  # shared by every time-dependent part; tests swap what it reads
    tokens: AccessTokens
    sign_in: SignIn
    limiter: RateLimiter
    active_users: ActiveUsers
    cache: ReadCache
    exports: ExportMonitor
    audit: SecurityAudit
    generation_jobs: GenerationJobs
    metrics: ServiceMetrics | None  # None when METRICS_ENABLED is false
    redis: Redis | None  # one client (and pool) for limits, lockout, active users and cache


def build_services(settings: Settings) -> Services:
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        connect_timeout=settings.database_connect_timeout,
        pool_timeout=settings.database_pool_timeout,
        statement_timeout=settings.database_statement_timeout,
    )
    clock = ClockRef()
    redis = _redis(settings)
    storage = _limits_storage(settings.redis_url, redis)
    lockout = LockoutPolicy(
        threshold=settings.lockout_threshold,
        base=float(settings.lockout_seconds),
        maximum=float(max(settings.lockout_max_seconds, settings.lockout_seconds)),
    )
    account_lockout = replace(lockout, threshold=settings.lockout_account_threshold)
    window = float(settings.active_users_window_seconds)
    active_users: ActiveUsers = (
        RedisActiveUsers(redis, window, clock) if redis else MemoryActiveUsers(window, clock)
    )
    tokens = AccessTokens(_jwt_secret(settings), settings.access_token_minutes * 60.0, clock)
    audit = SecurityAudit(database)
    return Services(
        settings=settings,
        database=database,
        clock=clock,
        tokens=tokens,
        sign_in=SignIn(
            database=database,
            clock=clock,
            tokens=tokens,
            refresh_lifetime=settings.refresh_token_days * 86_400.0,
            account_lockout=account_lockout,
            failures=RedisFailureStore(redis, lockout) if redis else MemoryFailureStore(lockout),
            unknown_account_failures=(
                RedisFailureStore(redis, account_lockout, prefix="scheduler:lockout:account:")
                if redis
                else MemoryFailureStore(account_lockout)
            ),
            audit=audit,
        ),
        limiter=RateLimiter(
            storage, RateLimitRules.parse(settings.rate_limit_login, settings.rate_limit_api)
        ),
        active_users=active_users,
        cache=ReadCache(
            RedisCacheStore(redis) if redis else MemoryCacheStore(clock=clock),
            ttl=float(settings.cache_ttl_seconds),
        ),
        exports=ExportMonitor(storage, settings.suspicious_exports_per_hour),
        audit=audit,
        generation_jobs=GenerationJobs.from_settings(settings, database),
        metrics=build_metrics(settings, database, active_users),
        redis=redis,
    )


def _redis(settings: Settings) -> Redis | None:
    """The one client; short timeouts so a stopped or frozen Redis costs a request at most
    ``REDIS_TIMEOUT_SECONDS`` per call before the part using it fails open."""
    if not settings.redis_url:
        return None
    timeout = settings.redis_timeout_seconds
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # no retries: an outage fails open at once
    )


def _jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    # Settings refuse this in production; elsewhere sign-ins last until the process exits.
    logger.warning(
        "JWT_SECRET is not set: using an ephemeral signing key; tokens will not survive a "
        "restart or work across replicas (set JWT_SECRET; required in production)"
    )
    return secrets.token_urlsafe(48)


def _limits_storage(url: str | None, redis: Redis | None) -> Storage:
    if redis is None or url is None:
        return MemoryStorage()
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


# --- dependencies: one per service, each overridable in tests --------------------------------


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


AppServices = Annotated[Services, Depends(get_services)]


def _provider(part: str) -> Callable[[Services], Any]:
    """The dependency that hands a handler one part of the app's services."""
    assert part in Services.__dataclass_fields__, part

    def provide(services: AppServices) -> Any:
        return getattr(services, part)

    provide.__name__ = provide.__qualname__ = f"get_{part}"
    return provide


get_database = _provider("database")
get_sign_in = _provider("sign_in")
get_tokens = _provider("tokens")
get_limiter = _provider("limiter")
get_active_users = _provider("active_users")
get_cache = _provider("cache")
get_exports = _provider("exports")
get_audit = _provider("audit")
get_generation_jobs = _provider("generation_jobs")
get_clock = _provider("clock")

DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_session(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    async with database.session() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit (a deadlock, a
# serialization conflict, a lost connection) is answered as an error, never as a 200 whose
# write was rolled back.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
SignInDep = Annotated[SignIn, Depends(get_sign_in)]
TokensDep = Annotated[AccessTokens, Depends(get_tokens)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
ActiveUsersDep = Annotated[ActiveUsers, Depends(get_active_users)]
CacheDep = Annotated[ReadCache, Depends(get_cache)]
ExportsDep = Annotated[ExportMonitor, Depends(get_exports)]
AuditDep = Annotated[SecurityAudit, Depends(get_audit)]
GenerationJobsDep = Annotated[GenerationJobs, Depends(get_generation_jobs)]
ClockDep = Annotated[ClockRef, Depends(get_clock)]
