"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile), and the policy
new passwords must meet.

Hashing and verifying take a fraction of a second of CPU by design, so they run in a worker
thread (argon2 releases the GIL) and never stall the event loop.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache
from importlib.resources import files

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


# The policy (docs/security.md): beyond the length the schemas check, a new password must not
# be only whitespace, must not be or contain the username, must not be a repeated or sequential
# pattern, and must not be a common password, even with digits or symbols around it.
_AROUND = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_SEPARATORS = re.compile(r"[\s._-]+")
_LEET = str.maketrans("0134579@$!|+", "oieastgasiit")
_SEQUENCES = (
    "01234567890123456789",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = files("app.auth").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _repeated_unit(text: str) -> str:
    """The shortest string ``text`` is a repetition of (``text`` itself when none)."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _variants(lower: str) -> set[str]:
    """The forms a guesser would try: as typed, without digits and symbols around it, without
    separators, with common substitutions undone, and the unit of a repetition."""
    core = _AROUND.sub("", lower)
    forms = {lower, core, _SEPARATORS.sub("", lower), _SEPARATORS.sub("", core)}
    forms |= {_AROUND.sub("", form.translate(_LEET)) for form in list(forms)}
    forms |= {_repeated_unit(form) for form in list(forms)}
    return {form for form in forms if form}


def _is_pattern(lower: str) -> bool:
    compact = _SEPARATORS.sub("", lower)
    if len(_repeated_unit(compact)) <= 4 or len(set(compact)) <= 3:
        return True
    return any(compact in seq or compact in seq[::-1] for seq in _SEQUENCES)


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` may not be used by ``username`` (a message naming the rule, never
    the password), or None when it may. Length is checked by the request schemas."""
    if not password.strip():
        return "password: must not be only whitespace"
    lower, name = password.lower(), username.lower()
    if name and any(name in form for form in (lower, _SEPARATORS.sub("", lower))):
        return "password: must not be or contain the username"
    if _is_pattern(lower):
        return "password: must not be a repeated or sequential pattern"
    if _variants(lower) & common_passwords():
        return (
            "password: too common (a well-known password, or one with digits, symbols or "
            "look-alike characters added); choose a longer, less predictable one"
        )
    return None
