"""Through the API: every bad token is a 401 with a reason event, never a 500."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI

from app.auth.events import AuthenticationFailed
from app.auth.models import Role
from app.auth.tokens import AccessTokens
from tests.support.api import API, PASSWORD, api_client, create_user
from tests.support.events import captured
from tests.support.tokens import hand_made

PROTECTED = f"{API}/people"


def claims(user_id: int, role: str = "admin", *, exp_in: int = 900) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": str(user_id),
        "role": role,
        "jti": "j" * 32,
        "iat": now,
        "exp": now + exp_in,
        "type": "access",
    }


async def status_for(app: FastAPI, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else None
    async with api_client(app, headers) as client:
        return await client.get(PROTECTED)


async def test_no_token_is_401_missing_token(app: FastAPI) -> None:
    with captured(AuthenticationFailed) as events:
        response = await status_for(app, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert events == [AuthenticationFailed("missing_token")]


async def test_expired_token_is_401(app: FastAPI) -> None:
    user_id = await create_user(app, Role.ADMIN)
    expired = AccessTokens(
        app.state.services.tokens._secret, 900, clock=lambda: time.time() - 3600
    ).issue(user_id, Role.ADMIN)
    with captured(AuthenticationFailed) as events:
        response = await status_for(app, f"Bearer {expired}")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert events == [AuthenticationFailed("expired_token")]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "typ": "JWT"}, "wrong_algorithm"),
        ({"alg": "RS256", "typ": "JWT"}, "wrong_algorithm"),
        ({"alg": "HS512", "typ": "JWT"}, "wrong_algorithm"),
        ({"alg": "HS256", "typ": "JWT"}, "invalid_token"),  # signed with a guessed key
    ],
)
async def test_wrong_algorithm_and_forged_tokens_are_401(
    app: FastAPI, header: dict[str, str], reason: str
) -> None:
    user_id = await create_user(app, Role.RESIDENT)
    token = hand_made(header, claims(user_id), key=b"not-the-server-secret")
    with captured(AuthenticationFailed) as events:
        response = await status_for(app, f"Bearer {token}")
    assert response.status_code == 401
    assert events == [AuthenticationFailed(reason)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer " + "A" * 8000,
        "Bearer eyJhbGciOiJIUzI1NiJ9..",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "bearer",
        "",
    ],
)
async def test_garbage_authorization_is_401(app: FastAPI, authorization: str) -> None:
    response = await status_for(app, authorization)
    assert response.status_code == 401


async def test_token_signed_by_another_deployment_is_401(app: FastAPI) -> None:
    user_id = await create_user(app, Role.ADMIN)
    foreign = AccessTokens("another-deployments-secret-0123456789", 900).issue(user_id, Role.ADMIN)
    assert (await status_for(app, f"Bearer {foreign}")).status_code == 401


async def test_a_valid_token_is_accepted(app: FastAPI) -> None:
    user_id = await create_user(app, Role.FACULTY)
    token = app.state.services.tokens.issue(user_id, Role.FACULTY)
    response = await status_for(app, f"Bearer {token}")
    assert response.status_code == 200
    async with api_client(app, {"Authorization": f"Bearer {token}"}) as client:
        me = (await client.get(f"{API}/auth/me")).json()
    assert me == {"user_id": user_id, "role": "faculty", "person_id": None}


async def test_health_and_login_need_no_token(app: FastAPI) -> None:
    async with api_client(app) as client:
        assert (await client.get("/health")).status_code in (200, 503)
        bad = await client.post(f"{API}/auth/login", json={"username": "x", "password": "y"})
        assert bad.status_code == 401


@pytest.mark.parametrize("missing", ["sub", "role", "jti", "exp", "iat", "type"])
async def test_a_correctly_signed_token_missing_a_claim_is_401(app: FastAPI, missing: str) -> None:
    user_id = await create_user(app, Role.ADMIN)
    secret = app.state.services.tokens._secret.encode()
    token = hand_made(
        {"alg": "HS256", "typ": "JWT"},
        {k: v for k, v in claims(user_id).items() if k != missing},
        key=secret,
    )
    with captured(AuthenticationFailed) as events:
        response = await status_for(app, f"Bearer {token}")
    assert response.status_code == 401
    assert events == [AuthenticationFailed("invalid_token")]


async def test_tokens_only_work_where_they_belong(app: FastAPI) -> None:
    """A refresh token is no access token, and an access token is no refresh token."""
    await create_user(app, Role.ADMIN, username="ann")
    async with api_client(app) as client:
        signed_in = await client.post(
            f"{API}/auth/login", json={"username": "ann", "password": PASSWORD}
        )
        pair = signed_in.json()
        with captured(AuthenticationFailed) as events:
            as_access = await client.get(
                PROTECTED, headers={"Authorization": f"Bearer {pair['refresh_token']}"}
            )
            as_refresh = await client.post(
                f"{API}/auth/refresh", json={"refresh_token": pair["access_token"]}
            )
        assert as_access.status_code == 401 and as_refresh.status_code == 401
        assert events == [AuthenticationFailed("invalid_token")] * 2
        # Neither misuse harmed the sign-in: both tokens still work for what they are.
        assert (await status_for(app, f"Bearer {pair['access_token']}")).status_code == 200
        again = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        assert again.status_code == 200
