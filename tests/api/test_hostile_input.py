"""Hostile input: text no database can store, oversized bodies and echoed secrets.

A lone UTF-16 surrogate or a NUL character is the caller's mistake: 422 naming the field, on
both databases, and the connection stays usable. Bodies above ``MAX_BODY_BYTES`` (imports and
validation: ``MAX_IMPORT_BYTES``) get 413 before they are parsed or anyone is authenticated.
No 422 echoes a password or a long input.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from tests.support.api import API
from tests.support.live_app import live_app
from tests.support.schedules import schedule_file

JSON = {"content-type": "application/json"}
SURROGATE = '"\\ud800"'  # the JSON text of a lone surrogate, as a client sends it
NUL = '"a\\u0000b"'
SECRET = "Sup3r-secret-passphrase"
BODY_LIMIT = 10_000
IMPORT_LIMIT = 100_000


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        rate_limit_login="100000/minute",
        rate_limit_api="100000/minute",
        max_body_bytes=BODY_LIMIT,
        max_import_bytes=IMPORT_LIMIT,
    )


def _body(template: dict[str, Any], field: str, raw: str) -> bytes:
    """``template`` as JSON with ``field`` (a dotted path) set to the raw JSON text ``raw``."""
    marker = "@@HOSTILE@@"
    data = json.loads(json.dumps(template))
    *parents, last = field.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[int(last) if isinstance(target, list) else last] = marker
    return json.dumps(data).replace(f'"{marker}"', raw).encode()


def _assert_422_naming(response: httpx.Response, loc: list[Any]) -> None:
    assert response.status_code == 422, response.text
    assert "close" not in response.headers.get("connection", "")
    assert loc in [error["loc"] for error in response.json()["detail"]], response.text


LOGIN = {"username": "someone", "password": "whatever"}
PERSON = {"code": "r99", "name": "Someone", "pgy": 1}

BODIES = [
    ("/auth/login", LOGIN, "username"),
    ("/auth/login", LOGIN, "password"),
    ("/auth/refresh", {"refresh_token": "x"}, "refresh_token"),
    ("/people", PERSON, "name"),
    ("/people", PERSON, "code"),
    ("/schedule/import", schedule_file(), "program"),
    ("/schedule/import", schedule_file(), "residents.0.id"),
    ("/compliance/validate", schedule_file(), "shifts.1.kind"),
]


@pytest.mark.parametrize("raw", [SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize(("path", "template", "field"), BODIES)
async def test_unstorable_text_in_a_body_is_422_naming_the_field(
    client: httpx.AsyncClient, path: str, template: dict[str, Any], field: str, raw: str
) -> None:
    response = await client.post(f"{API}{path}", content=_body(template, field, raw), headers=JSON)
    _assert_422_naming(
        response, ["body", *(int(p) if p.isdigit() else p for p in field.split("."))]
    )
    # the same client (connection) goes on working
    assert (await client.get(f"{API}/people")).status_code == 200


@pytest.mark.parametrize("raw", [SURROGATE, NUL], ids=["surrogate", "nul"])
async def test_unstorable_text_in_a_swap_is_422(
    resident_client: httpx.AsyncClient, raw: str
) -> None:
    body = _body({"shift_id": 1, "counterpart_id": 2}, "shift_id", raw)
    response = await resident_client.post(f"{API}/swaps", content=body, headers=JSON)
    _assert_422_naming(response, ["body", "shift_id"])


async def test_unstorable_text_in_a_key_is_422(client: httpx.AsyncClient) -> None:
    body = b'{"code": "r99", "pgy": 1, "\\ud800": 1, "a\\u0000": 2}'
    response = await client.post(f"{API}/people", content=body, headers=JSON)
    assert response.status_code == 422, response.text


async def test_escaped_backslashes_are_not_mistaken_for_nul(client: httpx.AsyncClient) -> None:
    body = _body(PERSON, "name", '"a\\\\u0000b"')  # the six characters \u0000, not a NUL
    response = await client.post(f"{API}/people", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "a\\u0000b"


@pytest.mark.parametrize(
    ("path", "param"),
    [("/audit-events", "action"), ("/audit-events", "resource_id"), ("/people", "x")],
)
async def test_nul_in_a_query_parameter_is_422(
    client: httpx.AsyncClient, path: str, param: str
) -> None:
    response = await client.get(f"{API}{path}?{param}=a%00b")
    _assert_422_naming(response, ["query", param])


async def test_unstorable_text_on_login_is_422_for_anyone(
    anonymous_client: httpx.AsyncClient,
) -> None:
    for raw in (SURROGATE, NUL):
        response = await anonymous_client.post(
            f"{API}/auth/login", content=_body(LOGIN, "username", raw), headers=JSON
        )
        _assert_422_naming(response, ["body", "username"])


# --- sizes ---------------------------------------------------------------------------------


async def _chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"username": "'
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b'", "password": "x"}'


async def test_an_oversized_body_is_413_before_authentication(
    anonymous_client: httpx.AsyncClient,
) -> None:
    big = json.dumps({"username": "x" * BODY_LIMIT, "password": "x"}).encode()
    for path in ("/auth/login", "/people", "/users"):
        response = await anonymous_client.post(f"{API}{path}", content=big, headers=JSON)
        assert response.status_code == 413, (path, response.text)
        assert len(response.content) < 200
    # no Content-Length: counted as it streams in
    chunked = await anonymous_client.post(
        f"{API}/auth/login", content=_chunks(BODY_LIMIT * 2), headers=JSON
    )
    assert chunked.status_code == 413, chunked.text
    # a body just under the limit is parsed (and refused for what it says)
    small = json.dumps({"username": "x" * (BODY_LIMIT - 100), "password": "x"}).encode()
    response = await anonymous_client.post(f"{API}/auth/login", content=small, headers=JSON)
    assert response.status_code == 422, response.text


async def test_a_lying_content_length_is_still_counted(anonymous_client: httpx.AsyncClient) -> None:
    request = anonymous_client.build_request(
        "POST", f"{API}/auth/login", content=_chunks(BODY_LIMIT * 2), headers=JSON
    )
    request.headers["content-length"] = "10"
    response = await anonymous_client.send(request)
    assert response.status_code == 413, response.text


async def test_imports_may_be_larger_than_other_bodies(client: httpx.AsyncClient) -> None:
    data = schedule_file(program="p" * (BODY_LIMIT * 2))  # over the JSON limit, under imports'
    for path in ("/schedule/import", "/compliance/validate"):
        response = await client.post(f"{API}{path}", json=data)
        assert response.status_code != 413, (path, response.text)
    assert (await client.post(f"{API}/people", json=data)).status_code == 413
    huge = schedule_file(program="p" * IMPORT_LIMIT)
    for path in ("/schedule/import", "/compliance/validate"):
        response = await client.post(f"{API}{path}", json=huge)
        assert response.status_code == 413, (path, response.text)


def test_the_default_limits() -> None:
    settings = Settings(environment="test")
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.max_import_bytes == 20 * 1024 * 1024
    assert settings.max_import_bytes > settings.max_body_bytes


# --- what a 422 echoes ---------------------------------------------------------------------

BAD_USERS = [
    {"username": "ab", "password": SECRET, "role": "admin"},
    {"username": "a b", "password": SECRET, "role": "admin"},
    {"username": "valid-name", "password": SECRET},
    {"username": "valid-name", "password": SECRET, "role": "nobody"},
    {"username": "valid-name", "password": SECRET, "role": "admin", "extra": 1},
    {"username": "valid-name", "password": SECRET, "role": "admin", "person_id": "x"},
    {"username": "valid-name", "password": "short", "role": "admin"},
    {"username": "valid-name", "password": SECRET * 20, "role": "admin"},
    {"username": "valid-name", "password": [SECRET], "role": "admin"},
    {"password": SECRET},
    [SECRET],
    SECRET,
]


async def test_no_422_of_users_echoes_the_password(client: httpx.AsyncClient) -> None:
    for body in BAD_USERS:
        response = await client.post(f"{API}/users", json=body)
        assert response.status_code == 422, (body, response.text)
        assert "Sup3r" not in response.text and "short" not in response.text.replace(
            "too_short", ""
        ), (body, response.text)
    login = await client.post(f"{API}/auth/login", json={"password": SECRET})
    assert login.status_code == 422 and "Sup3r" not in login.text, login.text
    refresh = await client.post(f"{API}/auth/refresh", json={"refresh_token": [SECRET]})
    assert refresh.status_code == 422 and "Sup3r" not in refresh.text, refresh.text


async def test_long_inputs_are_not_echoed_whole(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/people", json={"code": "c" * 5000, "pgy": 1})
    assert response.status_code == 422
    assert len(response.content) < 1000, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "code"]
    assert error["input"].startswith("ccc") and len(error["input"]) < 200
    wide = await client.post(f"{API}/people", json={f"k{i}": "v" * 100 for i in range(50)})
    assert wide.status_code == 422
    assert len(wide.content) < 20_000, len(wide.content)


# --- over a real connection ----------------------------------------------------------------


def test_a_real_server_keeps_the_connection_through_all_of_it(sqlite_url: str) -> None:
    """uvicorn, one keep-alive connection: 422s and 413s (declared and streamed bodies) are
    answered, and the same connection then serves the next request."""
    settings = Settings(database_url=sqlite_url, environment="test", max_body_bytes=BODY_LIMIT)
    connections: list[object] = []

    def streamed() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'", "password": "x"}'

    with live_app(settings) as url, httpx.Client(base_url=url) as client:
        login = f"{API}/auth/login"
        hooks = {"response": [lambda r: connections.append(r.extensions["network_stream"])]}
        client.event_hooks = hooks
        for raw in (SURROGATE, NUL):
            response = client.post(login, content=_body(LOGIN, "username", raw), headers=JSON)
            _assert_422_naming(response, ["body", "username"])
        declared = client.post(login, content=b"x" * (BODY_LIMIT * 200), headers=JSON)
        assert declared.status_code == 413, declared.text
        chunked = client.post(login, content=streamed(), headers=JSON)
        assert chunked.status_code == 413, chunked.text
        assert client.get("/health").status_code == 200
    assert len(connections) == 5
    assert len({id(stream) for stream in connections}) == 1  # never reconnected
