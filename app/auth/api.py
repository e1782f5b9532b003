"""/api/v1/auth: sign in, refresh, sign out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from app.api import API_PREFIX
from app.auth import service
from app.auth.dependencies import Reader
from app.auth.events import AuthenticationFailed
from app.auth.http import too_many, unauthorized
from app.auth.schemas import LoginRequest, Me, RefreshRequest, TokenPair
from app.events import publish
from app.security.ratelimit import RateLimited
from app.services import LimiterDep, SignInDep

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])

BAD_CREDENTIALS = "invalid username or password"


def client_ip(request: Request) -> str:
    # The socket peer, or the forwarded address when the peer is in TRUSTED_PROXIES (create_app).
    return request.client.host if request.client else "unknown"


def _refused(exc: service.SignInRefused, message: str) -> HTTPException:
    if exc.retry_after is not None:
        publish(AuthenticationFailed(reason=exc.reason))
        return too_many(exc.retry_after, "too many failed sign-ins; try again later")
    return unauthorized(exc.reason, message)


@router.post("/login", response_model=TokenPair)
async def login(
    request: Request, sign_in: SignInDep, limiter: LimiterDep, body: LoginRequest
) -> TokenPair:
    """Exchange a username and password for an access token (15 min) and a refresh token."""
    ip = client_ip(request)
    try:
        await limiter.hit("login", ip)
    except RateLimited as exc:
        raise too_many(exc.retry_after, "too many sign-in attempts; try again later") from None
    try:
        return await sign_in.login(body.username, body.password, ip)
    except service.SignInRefused as exc:
        raise _refused(exc, BAD_CREDENTIALS) from None


@router.post("/refresh", response_model=TokenPair)
async def refresh(sign_in: SignInDep, body: RefreshRequest) -> TokenPair:
    """Trade a refresh token for a new pair. Each refresh token works once."""
    try:
        return await sign_in.refresh(body.refresh_token)
    except service.SignInRefused as exc:
        raise _refused(exc, "invalid or expired refresh token; sign in again") from None


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(sign_in: SignInDep, body: RefreshRequest) -> None:
    """End the sign-in the refresh token belongs to (all its tokens stop working)."""
    await sign_in.logout(body.refresh_token)


@router.get("/me", response_model=Me)
async def me(principal: Reader) -> Me:
    return Me(user_id=principal.user_id, role=principal.role, person_id=principal.person_id)
