"""Access tokens: short-lived JWTs signed with HS256, checked without touching the database.

Claims: ``sub`` (user id), ``role``, ``pid`` (the linked person, if any), ``jti``, ``iat``,
``exp`` and ``type="access"``. Only HS256 is accepted: ``alg=none``, RS256 (the classic
public-key confusion) or any other algorithm fails with ``wrong_algorithm``; every other defect
(bad signature, garbage, missing claim, expired) fails with a reason, never an exception
escaping as a 500. Expiry is checked against the injected clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from app.auth.events import FailureReason
from app.auth.models import Role
from app.security.clock import Clock, system_clock

ALGORITHM = "HS256"
ACCESS = "access"
REQUIRED_CLAIMS = ("sub", "role", "jti", "exp", "iat", "type")


class TokenError(Exception):
    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason)
        self.reason: FailureReason = reason


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    role: Role
    person_id: int | None
    jti: str
    expires_at: float


class AccessTokens:
    def __init__(self, secret: str, lifetime_seconds: float, clock: Clock = system_clock):
        self._secret = secret
        self.lifetime = lifetime_seconds
        self.clock = clock

    def issue(self, user_id: int, role: Role, person_id: int | None = None) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "role": role.value,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + int(self.lifetime),
            "type": ACCESS,
        }
        if person_id is not None:
            claims["pid"] = person_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAlgorithmError:
            raise TokenError("wrong_algorithm") from None
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise TokenError("invalid_token") from None
        return self._claims(claims)

    def _claims(self, claims: dict[str, Any]) -> AccessClaims:
        try:
            if claims["type"] != ACCESS:
                raise TokenError("invalid_token")
            user_id = int(claims["sub"])
            role = Role(claims["role"])
            expires_at = float(claims["exp"])
            person = claims.get("pid")
            person_id = None if person is None else int(person)
            jti = str(claims["jti"])
        except (ValueError, TypeError, KeyError):
            raise TokenError("invalid_token") from None
        if expires_at <= self.clock():
            raise TokenError("expired_token")
        return AccessClaims(user_id, role, person_id, jti, expires_at)
