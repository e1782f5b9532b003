"""HTTP answers for authentication problems: 401 with ``WWW-Authenticate``, 429 with
``Retry-After``. Each failure is published by reason (never with who or from where)."""

from __future__ import annotations

from fastapi import HTTPException, status

from app.auth.events import AuthenticationFailed, FailureReason
from app.events import publish

_MESSAGES: dict[FailureReason, str] = {
    "missing_token": "not authenticated: send Authorization: Bearer <access token>",
    "expired_token": "the token has expired; refresh it or sign in again",
}


def unauthorized(reason: FailureReason, message: str | None = None) -> HTTPException:
    publish(AuthenticationFailed(reason=reason))
    error = "invalid_request" if reason == "missing_token" else "invalid_token"
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message or _MESSAGES.get(reason, "invalid token"),
        headers={"WWW-Authenticate": f'Bearer error="{error}"'},
    )


def too_many(retry_after: float, message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        detail=message,
        headers={"Retry-After": str(max(1, int(retry_after + 0.999)))},
    )
