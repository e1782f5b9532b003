"""What authentication adds to each API request, and what a sign-in costs.

    .venv/bin/python benchmarks/bench_auth.py

Per request the service decodes the HS256 access token, notes the user as active and counts one
hit against the per-user rate limit. Each step is timed alone and together (``current_principal``
as FastAPI calls it), against PyJWT's bare ``jwt.decode`` as the floor, with in-process state and,
when ``redis-server`` is installed, with a real Redis. Prints a markdown table; compare rows of the
same run only (absolute numbers on a shared machine are noise).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
from fastapi.security import HTTPAuthorizationCredentials

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth.dependencies import current_principal
from app.auth.models import Role
from app.auth.passwords import hasher
from app.core.config import Settings
from app.services import Services, build_services

SECRET = "benchmark-secret-0123456789abcdef-0123"
ROUNDS = 5


async def per_call(work: Callable[[], Awaitable[Any]], n: int) -> float:
    """Median over rounds of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(n):
            await work()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(samples)


async def measure(label: str, security: Services, n: int) -> list[tuple[str, float]]:
    token = security.tokens.issue(1, Role.FACULTY)
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    users = iter(range(10**9))

    async def bare_decode() -> None:
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})

    async def decode() -> None:
        security.tokens.decode(token)

    async def seen() -> None:
        await security.active_users.seen(1)

    async def hit() -> None:
        await security.limiter.hit("api", str(next(users) % 1000))  # stay under the limit

    async def principal() -> None:
        await current_principal(
            credentials, security.tokens, security.active_users, security.limiter
        )

    return [
        ("PyJWT `jwt.decode` alone (floor)", await per_call(bare_decode, n)),
        ("token decode + claim checks", await per_call(decode, n)),
        (f"active-users `seen` ({label})", await per_call(seen, n)),
        (f"rate-limit hit ({label})", await per_call(hit, n)),
        (f"whole `current_principal` ({label})", await per_call(principal, n)),
    ]


async def main() -> None:
    rows: list[tuple[str, float]] = []
    base = {
        "database_url": "sqlite+aiosqlite:////tmp/bench-auth-unused.db",
        "jwt_secret": SECRET,
        "rate_limit_api": "1000000/minute",
    }
    memory = build_services(Settings(**base))
    rows += await measure("in process", memory, 5000)

    try:
        from tests.support.servers import redis_server

        with redis_server() as server:
            settings = Settings(**base, redis_url=server.url)
            remote = build_services(settings)
            rows += [r for r in await measure("Redis", remote, 1000) if "Redis" in r[0]]
            assert remote.redis is not None
            await remote.redis.aclose()
    except Exception as exc:  # no redis-server here: in-process rows only
        sys.stderr.write(f"redis rows skipped: {exc}\n")

    password_hash = hasher.hash("correct horse battery staple")
    started = time.perf_counter()
    for _ in range(3):
        hasher.verify(password_hash, "correct horse battery staple")
    rows.append(("argon2id verify (one sign-in)", (time.perf_counter() - started) / 3 * 1e6))

    floor = rows[0][1]
    lines = ["| step | µs per call | ratio to PyJWT decode |", "|---|---:|---:|"]
    lines += [f"| {name} | {micros:,.1f} | {micros / floor:,.1f} |" for name, micros in rows]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
