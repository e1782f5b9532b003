"""Cached reads are invalidated by every write path, not only API edits: an import through the
CLI (another process, no API call), schedule generation, and an executed swap."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.auth.models import Role
from app.cache.events import CacheLookup
from tests.support.api import API, api_client, signed_in_headers, wait_for_job
from tests.support.clock import SAMPLE_SCHEDULE_NOT_STARTED
from tests.support.events import captured
from tests.support.processes import CLI
from tests.support.schedules import schedule_file, too_many_hours


async def report(client: httpx.AsyncClient) -> tuple[dict[str, object], list[bool]]:
    """The compliance report, and whether each cache lookup for it was a hit."""
    with captured(CacheLookup) as events:
        response = await client.get(f"{API}/compliance/report")
    assert response.status_code == 200, response.text
    return response.json(), [e.hit for e in events]


async def test_an_import_through_the_cli_invalidates(
    client: httpx.AsyncClient, sqlite_url: str, tmp_path: Path
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    valid, _ = await report(client)
    _, hits = await report(client)
    assert valid["valid"] is True and hits == [True]

    source = tmp_path / "over-hours.json"
    source.write_text(json.dumps(too_many_hours()))
    result = await asyncio.to_thread(
        subprocess.run,  # another process, writing the app's own database file
        [str(CLI), "import", str(source)],
        env={**os.environ, "DATABASE_URL": sqlite_url, "LOG_FILE": ""},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    changed, hits = await report(client)
    assert hits == [False] and changed["valid"] is False


async def test_generating_a_schedule_invalidates(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/schedule/import", json=too_many_hours())
    await report(client)
    before, hits = await report(client)
    assert hits == [True] and before["valid"] is False

    started = await client.post(f"{API}/schedule/generate", json={"demo": "small", "seed": 1})
    job = await wait_for_job(client, started.json()["id"])
    assert job["status"] == "succeeded", job

    after, hits = await report(client)
    assert hits == [False] and after["valid"] is True and after != before


async def test_an_executed_swap_invalidates(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.services.clock.use(lambda: SAMPLE_SCHEDULE_NOT_STARTED)  # its shifts not yet worked
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = {p["code"]: p["id"] for p in (await client.get(f"{API}/people")).json()["items"]}
    r01, r02 = people["r01"], people["r02"]

    async def shifts_of(person: int) -> tuple[set[int], list[bool]]:
        with captured(CacheLookup) as events:
            page = (await client.get(f"{API}/shifts", params={"person_id": person})).json()
        return {s["id"] for s in page["items"]}, [e.hit for e in events]

    mine, _ = await shifts_of(r02)
    assert (await shifts_of(r02)) == (mine, [True])
    given = next(iter((await shifts_of(r01))[0]))

    alice = api_client(app, await signed_in_headers(app, Role.RESIDENT, person_id=r01))
    bob = api_client(app, await signed_in_headers(app, Role.RESIDENT, person_id=r02))
    async with alice, bob:
        offered = await alice.post(f"{API}/swaps", json={"shift_id": given, "counterpart_id": r02})
        swap = offered.json()["id"]
        assert (await bob.post(f"{API}/swaps/{swap}/accept")).status_code == 200
    assert (await client.post(f"{API}/swaps/{swap}/approve")).status_code == 200

    assert (await shifts_of(r02)) == (mine | {given}, [False])
