"""Sign-in, refresh-token rotation with reuse detection, and sign-out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.events import AuthenticationFailed, SuspiciousActivity, UserAction
from app.auth.models import RefreshToken, Role, User
from app.auth.passwords import hasher
from tests.support.api import API, PASSWORD, api_client, create_user
from tests.support.events import captured


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"username": username, "password": password})


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as client:
        yield client


async def test_login_returns_a_working_token_pair(app: FastAPI, anon: httpx.AsyncClient) -> None:
    user_id = await create_user(app, Role.COORDINATOR, username="casey")
    with captured(UserAction) as actions:
        response = await login(anon, "casey")
    assert response.status_code == 200
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900 and pair["refresh_expires_in"] == 7 * 86400
    claims = jwt.decode(
        pair["access_token"],
        options={"verify_signature": False},
    )
    assert claims["sub"] == str(user_id) and claims["role"] == "coordinator"
    assert claims["type"] == "access" and claims["exp"] - claims["iat"] == 900
    assert actions == [UserAction("login")]
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await anon.get(f"{API}/people", headers=headers)).status_code == 200


async def test_login_upgrades_weak_hashes_to_argon2id_defaults(
    app: FastAPI, anon: httpx.AsyncClient
) -> None:
    await create_user(app, Role.FACULTY, username="fran")  # stored with cheap parameters
    assert (await login(anon, "fran")).status_code == 200
    async with app.state.services.database.session() as session:
        user = await session.scalar(select(User).where(User.username == "fran"))
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert not hasher.check_needs_rehash(user.password_hash)


async def test_bad_password_and_unknown_user_look_the_same(
    app: FastAPI, anon: httpx.AsyncClient
) -> None:
    await create_user(app, Role.FACULTY, username="fran")
    with captured(AuthenticationFailed) as events:
        wrong = await login(anon, "fran", "not the password")
        unknown = await login(anon, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid username or password"}
    assert events == [AuthenticationFailed("bad_password"), AuthenticationFailed("unknown_user")]


async def test_inactive_users_cannot_sign_in(app: FastAPI, anon: httpx.AsyncClient) -> None:
    user_id = await create_user(app, Role.FACULTY, username="gone")
    async with app.state.services.database.session() as session:
        (await session.get(User, user_id)).active = False  # type: ignore[union-attr]
    with captured(AuthenticationFailed) as events:
        assert (await login(anon, "gone")).status_code == 401
    assert events == [AuthenticationFailed("inactive")]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    app: FastAPI, anon: httpx.AsyncClient
) -> None:
    user_id = await create_user(app, Role.RESIDENT, username="rio")
    first = (await login(anon, "rio")).json()

    second = await anon.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]

    # The first refresh token was consumed: presenting it again means it leaked.
    with captured(SuspiciousActivity, AuthenticationFailed) as events:
        replay = await anon.post(
            f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    assert replay.status_code == 401
    assert set(events) == {
        AuthenticationFailed("refresh_reuse"),
        SuspiciousActivity("refresh_token_reuse"),
    }
    assert len(events) == 2
    # ...and the whole family is dead, including the legitimately rotated token.
    after = await anon.post(f"{API}/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401

    async with app.state.services.database.session() as session:
        tokens = list(await session.scalars(select(RefreshToken)))
        audit = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "refresh_token_reuse")
            )
        )
    assert len(tokens) == 2 and all(t.revoked_at is not None for t in tokens)
    assert all(len(t.token_hash) == 64 for t in tokens)  # only hashes are stored
    assert first["refresh_token"] not in {t.token_hash for t in tokens}
    assert [(a.resource_type, a.resource_id, a.actor_user_id) for a in audit] == [
        ("user", str(user_id), user_id)
    ]


async def test_refresh_with_unknown_or_access_token_is_401(
    app: FastAPI, anon: httpx.AsyncClient
) -> None:
    await create_user(app, Role.RESIDENT, username="rio")
    pair = (await login(anon, "rio")).json()
    for token in ("made-up", pair["access_token"][:200]):
        response = await anon.post(f"{API}/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 401


async def test_expired_refresh_token_is_401(app: FastAPI, anon: httpx.AsyncClient) -> None:
    await create_user(app, Role.RESIDENT, username="rio")
    pair = (await login(anon, "rio")).json()
    real = app.state.services.clock.source
    app.state.services.clock.use(lambda: real() + 8 * 86400)
    with captured(AuthenticationFailed) as events:
        response = await anon.post(
            f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
    assert response.status_code == 401
    assert events == [AuthenticationFailed("expired_token")]


async def test_logout_ends_the_sign_in(app: FastAPI, anon: httpx.AsyncClient) -> None:
    await create_user(app, Role.RESIDENT, username="rio")
    pair = (await login(anon, "rio")).json()
    other = (await login(anon, "rio")).json()  # a second device keeps working
    body = {"refresh_token": pair["refresh_token"]}
    with captured(UserAction) as actions:
        assert (await anon.post(f"{API}/auth/logout", json=body)).status_code == 204
    assert actions == [UserAction("logout")]
    assert (await anon.post(f"{API}/auth/refresh", json=body)).status_code == 401
    other_body = {"refresh_token": other["refresh_token"]}
    assert (await anon.post(f"{API}/auth/refresh", json=other_body)).status_code == 200
    # Logging out with a token nobody knows reveals nothing.
    unknown = {"refresh_token": "whatever"}
    assert (await anon.post(f"{API}/auth/logout", json=unknown)).status_code == 204


async def test_deactivated_user_cannot_refresh(app: FastAPI, anon: httpx.AsyncClient) -> None:
    user_id = await create_user(app, Role.RESIDENT, username="rio")
    pair = (await login(anon, "rio")).json()
    async with app.state.services.database.session() as session:
        (await session.get(User, user_id)).active = False  # type: ignore[union-attr]
    body = {"refresh_token": pair["refresh_token"]}
    assert (await anon.post(f"{API}/auth/refresh", json=body)).status_code == 401


async def test_login_validates_its_body(anon: httpx.AsyncClient) -> None:
    assert (await anon.post(f"{API}/auth/login", json={"username": "x"})).status_code == 422
    too_long = {"username": "x", "password": "p" * 1000}
    assert (await anon.post(f"{API}/auth/login", json=too_long)).status_code == 422
