"""Canary values through every path a secret or a person could take into the logs."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging import get_logger
from app.core.logging.redaction import REDACTED, is_sensitive_key, scrub, scrub_text
from app.core.logging.testing import capture_logs
from app.main import create_app
from tests.support.api import act_as_system
from tests.support.canaries import (
    CANARIES,
    CANARY_EMAIL,
    CANARY_JWT,
    CANARY_NAME,
    CANARY_PASSWORD,
    CANARY_TOKEN,
    SECRET_HEADERS,
)

CANARY_TEXT = (
    f"{CANARY_NAME} <{CANARY_EMAIL}> password={CANARY_PASSWORD} "
    f"Authorization: Bearer {CANARY_JWT} token={CANARY_TOKEN}"
)


def add_canary_routes(app: FastAPI) -> None:
    """Throwaway routes: an exception carrying canaries, and code that logs them."""

    @app.get("/tests/canary/raise")
    async def raise_canary() -> None:
        raise RuntimeError(CANARY_TEXT)

    @app.get("/tests/canary/log")
    async def log_canary() -> dict[str, str]:
        log = get_logger("tests.canary")
        log.info(
            "signed in",
            email=CANARY_EMAIL,
            password=CANARY_PASSWORD,
            name=CANARY_NAME,
            full_name=CANARY_NAME,
            authorization=f"Bearer {CANARY_JWT}",
            access_token=CANARY_TOKEN,
            user_id=51,
            headers=dict(SECRET_HEADERS),
            body={"person": {"name": CANARY_NAME, "email": CANARY_EMAIL}},
            note=f"contact {CANARY_EMAIL}, token {CANARY_JWT}",
        )
        log.warning(f"login failed for {CANARY_EMAIL} with password={CANARY_PASSWORD}")
        stdlib = logging.getLogger("tests.canary.stdlib")
        stdlib.warning(
            "retry for %s (Bearer %s)",
            CANARY_EMAIL,
            CANARY_JWT,
            extra={"password": CANARY_PASSWORD, "person_name": CANARY_NAME, "token": CANARY_TOKEN},
        )
        try:
            raise ValueError(CANARY_TEXT)
        except ValueError:
            log.exception("handled", resident_name=CANARY_NAME)
            stdlib.exception("handled in stdlib")
        return {"ok": "yes"}


def leaked(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def all_output(capfd: pytest.CaptureFixture[str], log_file: Path) -> str:
    captured = capfd.readouterr()
    files = sorted(log_file.parent.glob(log_file.name + "*"))
    return captured.out + captured.err + "".join(f.read_text() for f in files)


async def test_canaries_never_reach_stdout_or_log_file(
    make_settings: Callable[..., Settings],
    log_file: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app = create_app(make_settings(log_level="DEBUG"))  # the most verbose level
    add_canary_routes(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    person = {"code": "canary1", "pgy": 1, "name": CANARY_NAME, "email": CANARY_EMAIL}
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with capture_logs() as lines:
            # the real sign-in check sees the bearer JWT, the cookie and the API key
            response = await client.get("/api/v1/people", headers=SECRET_HEADERS)
            statuses["unauthenticated"] = response.status_code
            act_as_system(app)
            # request body with a name and an email; query string with both
            response = await client.post("/api/v1/people", json=person, headers=SECRET_HEADERS)
            statuses["create"] = response.status_code
            response = await client.get(
                "/api/v1/people", params={"email": CANARY_EMAIL, "name": CANARY_NAME}
            )
            statuses["query"] = response.status_code
            # the same again: a unique-constraint violation (SQL parameters hold the canaries)
            response = await client.post("/api/v1/people", json=person)
            statuses["duplicate"] = response.status_code
            # validation errors echo their input in the response body
            invalid = {**person, "pgy": "first", "password": CANARY_PASSWORD}
            response = await client.post("/api/v1/people", json=invalid)
            statuses["invalid"] = response.status_code
            response = await client.post(
                "/api/v1/people",
                content=f'{{"name": "{CANARY_NAME}", "email": "{CANARY_EMAIL}"',
                headers={"content-type": "application/json"},
            )
            statuses["malformed"] = response.status_code
            statuses["raise"] = (await client.get("/tests/canary/raise")).status_code
            statuses["log"] = (await client.get("/tests/canary/log")).status_code
    await app.state.services.database.dispose()

    assert statuses["create"] == 201
    assert statuses["duplicate"] == 409
    assert statuses["invalid"] == statuses["malformed"] == 422
    assert statuses["raise"] == 500 and statuses["log"] == 200
    # the paths were logged (the search below is not vacuous) ...
    assert len(lines.find(logger="app.access")) == len(statuses)
    assert lines.find(logger="app.access", route="/tests/canary/raise")[0]["exception"]
    assert len(lines.find(event="signed in")) == 1
    assert sum(1 for line in lines if line.get("event") == "handled") == 1
    assert REDACTED in "".join(lines.raw)
    # ... and no canary is in any of it
    text = all_output(capfd, log_file)
    assert "signed in" in text and "handled in stdlib" in text
    assert leaked(text) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_server_settings: Settings | None = None


def canary_app() -> FastAPI:
    """uvicorn factory: built after uvicorn has configured its own logging, as in serve."""
    assert _server_settings is not None
    app = create_app(_server_settings)
    add_canary_routes(app)
    act_as_system(app)
    return app


@pytest.fixture
def running_server(make_settings: Callable[..., Settings]) -> Iterator[str]:
    global _server_settings
    _server_settings = make_settings()
    port = _free_port()
    config = uvicorn.Config(
        f"{__name__}:canary_app", factory=True, host="127.0.0.1", port=port, lifespan="on"
    )  # uvicorn's default log_config and access log: the app must override both
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    _server_settings = None


def test_canaries_through_a_real_uvicorn_server(
    running_server: str, log_file: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def get(path: str, **kwargs: Any) -> httpx.Response:
        # A fresh connection each: uvicorn closes one after an application error.
        with httpx.Client(base_url=running_server, trust_env=False, timeout=10) as client:
            return client.get(path, headers=SECRET_HEADERS, **kwargs)

    raised = get("/tests/canary/raise", params={"email": CANARY_EMAIL})
    logged = get("/tests/canary/log")
    assert raised.status_code == 500 and logged.status_code == 200
    deadline = time.monotonic() + 10  # uvicorn logs the exception after the response
    while "Exception in ASGI application" not in log_file.read_text():
        assert time.monotonic() < deadline, "uvicorn's exception line never arrived"
        time.sleep(0.02)
    text = all_output(capfd, log_file)
    assert "Exception in ASGI application" in text  # uvicorn's own line, as JSON
    assert '"logger":"uvicorn.error"' in text
    assert "uvicorn.access" not in text  # raw path with the query string: never written
    assert leaked(text) == []
    assert "Traceback" not in text  # no plain-text traceback on stderr either


# --- the two layers, directly ---


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "Authorization",
        "set-cookie",
        "X-Api-Key",
        "access_token",
        "refresh_token",
        "client_secret",
        "email",
        "email_address",
        "name",
        "first_name",
        "resident_name",
        "username",
        "phone",
        "user_id",
        "resident_id",
        "person_id",
        "date_of_birth",
    ],
)
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["route", "status", "filename", "hostname", "rotation_name", "blocks", "pgy", "code"]
)
def test_ordinary_keys(key: str) -> None:
    assert not is_sensitive_key(key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@example.org now", "mail [REDACTED] now"),
        ("password=hunter2&x=1", "password=[REDACTED]&x=1"),
        ('{"password": "hunter2"}', '{"password": [REDACTED]}'),
        ("Authorization: Bearer abc.def.ghi", "Authorization: [REDACTED]"),
        ("sent Bearer abcdefghijk", "sent Bearer [REDACTED]"),
        (f"token {CANARY_JWT} used", "token [REDACTED] used"),
        ("api_key: XYZ-123", "api_key: [REDACTED]"),
        ("schedule generated for 12 residents", "schedule generated for 12 residents"),
    ],
)
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_scrub_nested_values_and_objects() -> None:
    class Person:
        def __str__(self) -> str:
            return CANARY_NAME

    value: Any = {"headers": {"Authorization": "x"}, "list": [CANARY_EMAIL], "obj": Person()}
    assert scrub(value) == {
        "headers": {"Authorization": REDACTED},
        "list": [REDACTED],
        "obj": "<test_scrub_nested_values_and_objects.<locals>.Person>",
    }
