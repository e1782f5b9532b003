"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashing and verifying take a fraction of a second of CPU by design, so they run in a worker
thread (argon2 releases the GIL) and never stall the event loop.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher.hash("not a real password; equalizes timing")


async def burn_verification(password: str) -> None:
    """Spend a verification's time for an unknown user, so timing does not reveal usernames."""
    dummy = await asyncio.to_thread(_dummy_hash)
    await verify_password(dummy, password)
