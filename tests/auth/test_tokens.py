"""Access tokens: what is accepted, and that every defect has a reason (never an exception)."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from app.auth.models import Role
from app.auth.tokens import AccessTokens, TokenError
from tests.support.clock import ManualClock
from tests.support.tokens import SECRET, b64, hand_made


def valid_claims(clock: ManualClock) -> dict[str, Any]:
    now = int(clock())
    return {
        "sub": "7",
        "role": "admin",
        "jti": "x" * 32,
        "iat": now,
        "exp": now + 900,
        "type": "access",
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def tokens(clock: ManualClock) -> AccessTokens:
    return AccessTokens(SECRET, 900, clock)


def reason(tokens: AccessTokens, token: str) -> str:
    with pytest.raises(TokenError) as caught:
        tokens.decode(token)
    return caught.value.reason


def test_issued_token_carries_the_documented_claims(
    tokens: AccessTokens, clock: ManualClock
) -> None:
    token = tokens.issue(7, Role.RESIDENT, person_id=3)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    options = {"verify_exp": False, "verify_iat": False}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options=options)
    assert claims["sub"] == "7" and claims["role"] == "resident" and claims["pid"] == 3
    assert claims["type"] == "access" and len(claims["jti"]) == 32
    assert claims["exp"] - claims["iat"] == 900 and claims["iat"] == int(clock())
    decoded = tokens.decode(token)
    assert (decoded.user_id, decoded.role, decoded.person_id) == (7, Role.RESIDENT, 3)


def test_each_token_has_its_own_id(tokens: AccessTokens) -> None:
    first, second = (
        tokens.decode(tokens.issue(1, Role.ADMIN)),
        tokens.decode(tokens.issue(1, Role.ADMIN)),
    )
    assert first.jti != second.jti


def test_expiry_follows_the_injected_clock(tokens: AccessTokens, clock: ManualClock) -> None:
    token = tokens.issue(1, Role.ADMIN)
    clock.advance(899)
    assert tokens.decode(token).user_id == 1
    clock.advance(1)
    assert reason(tokens, token) == "expired_token"


def test_forged_signature_is_invalid(tokens: AccessTokens, clock: ManualClock) -> None:
    forged = hand_made({"alg": "HS256", "typ": "JWT"}, valid_claims(clock), key=b"guessed-key")
    assert reason(tokens, forged) == "invalid_token"
    genuine = tokens.issue(1, Role.RESIDENT)
    header, payload, signature = genuine.split(".")
    elevated = json.loads(base64.urlsafe_b64decode(payload + "=="))
    elevated["role"] = "admin"
    tampered = f"{header}.{b64(json.dumps(elevated).encode())}.{signature}"
    assert reason(tokens, tampered) == "invalid_token"


@pytest.mark.parametrize("alg", ["none", "None", "RS256", "HS512", "ES256", ""])
def test_any_algorithm_but_hs256_is_refused(
    tokens: AccessTokens, clock: ManualClock, alg: str
) -> None:
    token = hand_made({"alg": alg, "typ": "JWT"}, valid_claims(clock))
    if alg in ("none", "None"):
        token = token.rsplit(".", 1)[0] + "."  # unsigned, as alg=none tokens are
    assert reason(tokens, token) in ("wrong_algorithm", "invalid_token")
    if alg in ("none", "RS256", "HS512"):
        assert reason(tokens, token) == "wrong_algorithm"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "garbage",
        "a.b.c",
        "....",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
        "eyJhbGciOiJIUzI1NiJ9.%%%.abc",
        "\u00e9\u00e8.\u00e0.x",
        "x" * 5000,
    ],
)
def test_garbage_is_invalid(tokens: AccessTokens, garbage: str) -> None:
    assert reason(tokens, garbage) == "invalid_token"


@pytest.mark.parametrize(
    "change",
    [
        {"type": "refresh"},
        {"role": "superuser"},
        {"sub": "not-a-number"},
        {"exp": "tomorrow"},
        {"pid": "me"},
        {"header": {"alg": "HS256", "crit": ["x"]}},
    ],
)
def test_malformed_claims_are_invalid(
    tokens: AccessTokens, clock: ManualClock, change: dict[str, Any]
) -> None:
    header = change.pop("header", {"alg": "HS256", "typ": "JWT"})
    token = hand_made(header, {**valid_claims(clock), **change})
    assert reason(tokens, token) == "invalid_token"


@pytest.mark.parametrize("missing", ["sub", "role", "jti", "exp", "iat", "type"])
def test_every_documented_claim_is_required(
    tokens: AccessTokens, clock: ManualClock, missing: str
) -> None:
    claims = valid_claims(clock)
    del claims[missing]
    assert reason(tokens, hand_made({"alg": "HS256"}, claims)) == "invalid_token"
