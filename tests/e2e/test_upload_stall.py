"""A large schedule upload does not stall the process: ``/health`` answers while it is checked.

The app is driven in-process by concurrent requests on one event loop, as uvicorn drives it.
The file's parse is spied on: it waits (in whatever thread runs it) until a ``/health`` request
sent after the parse began has been answered. Off the event loop that happens at once; on the
loop it never could (the loop is busy in the parse), and the spy reports it after its timeout.
No timing is asserted, only the order of events.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import app.compliance.api as compliance_api
import app.schedules.api as schedules_api
from app.auth.models import Role
from app.core.config import Settings
from app.main import create_app
from tests.support.api import API, api_client, create_person_row, signed_in_headers
from tests.support.lifespan import start, stop

SPY_TIMEOUT = 60.0  # seconds the parse waits for /health before it gives up (a failure)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=database_url, environment="test")
    application = await start(create_app(settings))
    yield application
    await stop(application)


def large_schedule(residents: int = 40) -> bytes:
    """A valid three-year file of several MB: ``residents`` working six 12-hour days a week."""
    first = date(2026, 7, 1)
    days = 3 * 365
    shifts = [
        {
            "resident": f"r{r:03}",
            "start": f"{first + timedelta(days=d)}T07:00",
            "end": f"{first + timedelta(days=d)}T19:00",
            "kind": "day",
        }
        for r in range(residents)
        for d in range(days)
        if d % 7 != 6
    ]
    document = {
        "program": "Stall Test",
        "period": {"start": str(first), "end": str(first + timedelta(days=days - 1))},
        "residents": [{"id": f"r{r:03}", "pgy": 1 + r % 3} for r in range(residents)],
        "shifts": shifts,
    }
    return json.dumps(document).encode()


class ParseSpy:
    """Replaces ``parse_schedule`` in ``module``: once entered, waits for :meth:`answered`."""

    def __init__(self, module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.health_answered = threading.Event()
        self.saw_health = False
        original: Callable[[object], Any] = module.parse_schedule

        def spy(data: object) -> Any:
            self.entered.set()
            self.saw_health = self.health_answered.wait(SPY_TIMEOUT)
            return original(data)

        monkeypatch.setattr(module, "parse_schedule", spy)

    async def wait_entered(self, upload: asyncio.Task[httpx.Response]) -> None:
        while not self.entered.is_set():
            assert not upload.done(), upload.result().text
            await asyncio.sleep(0.01)


async def upload_while_probing(
    app: FastAPI, spy: ParseSpy, client: httpx.AsyncClient, path: str, body: bytes
) -> tuple[httpx.Response, httpx.Response]:
    upload = asyncio.create_task(
        client.post(path, content=body, headers={"Content-Type": "application/json"})
    )
    await spy.wait_entered(upload)
    async with api_client(app) as prober:
        health = await prober.get("/health")
    upload_done_when_health_answered = upload.done()
    spy.health_answered.set()
    response = await upload
    assert not upload_done_when_health_answered
    return health, response


async def test_health_answers_while_a_large_validate_upload_is_checked(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ParseSpy(compliance_api, monkeypatch)
    person_id = await create_person_row(app, "r-self")
    headers = await signed_in_headers(app, Role.RESIDENT, person_id=person_id)
    body = large_schedule()
    assert len(body) > 1024 * 1024  # over the ordinary body limit: only uploads take it

    async with api_client(app, headers) as client:
        health, response = await upload_while_probing(
            app, spy, client, f"{API}/compliance/validate", body
        )

    assert health.status_code == 200
    assert spy.saw_health  # the parse was still waiting when /health was answered
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "compliance_score": 100.0, "violations": []}


async def test_health_answers_while_a_large_import_is_parsed(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ParseSpy(schedules_api, monkeypatch)
    headers = await signed_in_headers(app, Role.COORDINATOR)
    body = large_schedule(residents=4)

    async with api_client(app, headers) as client:
        health, response = await upload_while_probing(
            app, spy, client, f"{API}/schedule/import", body
        )

    assert health.status_code == 200
    assert spy.saw_health
    assert response.status_code == 200, response.text
    assert response.json()["shifts"] == len(json.loads(body)["shifts"])


async def test_a_bad_large_upload_is_still_a_422(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors raised in the worker thread reach the client as before, naming the item."""
    headers = await signed_in_headers(app, Role.COORDINATOR)
    document = json.loads(large_schedule(residents=4))
    document["shifts"][-1]["kind"] = "brunch"
    async with api_client(app, headers) as client:
        validated = await client.post(f"{API}/compliance/validate", json=document)
        imported = await client.post(f"{API}/schedule/import", json=document)
        nul = await client.post(
            f"{API}/compliance/validate",
            json={**document, "program": "a\x00b"},
        )
        broken = await client.post(
            f"{API}/compliance/validate",
            content=b'{"program": ' + b" " * 100_000,
            headers={"Content-Type": "application/json"},
        )

    last = len(document["shifts"]) - 1
    assert validated.status_code == 422
    assert validated.json()["detail"].startswith(f"shifts[{last}].kind")
    assert imported.status_code == 422
    assert imported.json()["detail"].startswith(f"shifts[{last}].kind")
    assert nul.status_code == 422
    assert nul.json()["detail"][0]["loc"] == ["body", "program"]
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["type"] == "json_invalid"
