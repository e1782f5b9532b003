"""Every read of a person's record or schedule, and every export, leaves an audit event."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.events import DataAccessed, SuspiciousActivity
from app.core.config import Settings
from tests.support.api import API
from tests.support.events import captured
from tests.support.schedules import schedule_file


async def trail(app: FastAPI) -> list[AuditEvent]:
    async with app.state.services.database.session() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def test_reads_and_exports_are_audited_with_actor_and_request_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    me = (await client.get(f"{API}/auth/me")).json()["user_id"]
    people = (await client.get(f"{API}/people")).json()["items"]
    r01 = next(p["id"] for p in people if p["code"] == "r01")
    shift = (await client.get(f"{API}/shifts", params={"person_id": r01})).json()["items"][0]
    leave = (await client.get(f"{API}/leave")).json()["items"][0]
    before = len(await trail(app))

    calls = [
        (f"{API}/people/{r01}", None, ("read", "person", str(r01))),
        (f"{API}/shifts", {"person_id": r01}, ("list", "schedule", None)),
        (f"{API}/shifts", None, ("list", "schedule", None)),
        (f"{API}/shifts/{shift['id']}", None, ("read", "shift", str(shift["id"]))),
        (f"{API}/leave/{leave['id']}", None, ("read", "leave", str(leave["id"]))),
        (f"{API}/compliance/report", {"person_id": r01}, ("read", "compliance_report", str(r01))),
        (f"{API}/schedule/export", None, ("export", "export", None)),
        (f"{API}/rotation-assignments", None, ("list", "schedule", None)),
    ]
    with captured(DataAccessed) as announced:
        for path, params, expected in calls:
            response = await client.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
            event = (await trail(app))[-1]
            assert (event.action, event.resource_type, event.resource_id) == expected
            assert event.actor_user_id == me
            assert event.request_id == response.headers["x-request-id"]
            assert event.at is not None
    assert len(await trail(app)) == before + len(calls)
    assert [(e.resource_type, e.action) for e in announced] == [
        (rt, action) for _, _, (action, rt, _) in calls
    ]


async def test_failed_reads_are_not_recorded_as_access(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    before = len(await trail(app))
    assert (await client.get(f"{API}/people/4242")).status_code == 404
    assert len(await trail(app)) == before


async def test_audit_events_hold_ids_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    data = schedule_file()
    data["residents"][0]["name"] = "Dr. Alice Example"
    await client.post(f"{API}/schedule/import", json=data)
    await client.post(f"{API}/people", json={"code": "f01", "kind": "faculty", "name": "Zed Q"})
    for person in (await client.get(f"{API}/people")).json()["items"]:
        await client.get(f"{API}/people/{person['id']}")
    await client.get(f"{API}/schedule/export", params={"with_names": True})
    for event in await trail(app):
        text = " ".join(str(v) for v in vars(event).values())
        assert "Alice" not in text and "Zed" not in text and "r01" not in text
        assert event.resource_id is None or event.resource_id.isdigit()


async def test_admins_list_the_trail_with_filters(
    app: FastAPI, client: httpx.AsyncClient, faculty_client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    first = (await client.get(f"{API}/people")).json()["items"][0]["id"]
    read = await client.get(f"{API}/people/{first}")
    await faculty_client.get(f"{API}/users")  # refused: audited as "denied"

    page = (await client.get(f"{API}/audit-events", params={"limit": 500})).json()
    assert page["total"] >= 3
    newest_first = [e["id"] for e in page["items"]]
    assert newest_first == sorted(newest_first, reverse=True)

    by_request = await client.get(
        f"{API}/audit-events", params={"request_id": read.headers["x-request-id"]}
    )
    assert [
        (e["action"], e["resource_type"], e["resource_id"]) for e in by_request.json()["items"]
    ] == [("read", "person", str(first))]
    denied = (await client.get(f"{API}/audit-events", params={"action": "denied"})).json()
    assert [e["resource_type"] for e in denied["items"]] == ["user"]
    window = await client.get(
        f"{API}/audit-events",
        params={"since": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00+02:00"},
    )
    assert window.json()["total"] == 0
    bad = await client.get(
        f"{API}/audit-events",
        params={"since": "2000-01-02T00:00:00", "until": "2000-01-01T00:00:00"},
    )
    assert bad.status_code == 422
    # Reading the trail is itself on the trail.
    listed = (await client.get(f"{API}/audit-events", params={"resource_type": "audit_log"})).json()
    assert listed["total"] >= 4


async def test_list_filters_are_recorded_as_filters_not_as_the_resource(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    r01 = next(p["id"] for p in (await client.get(f"{API}/people")).json()["items"])
    calls = [
        (f"{API}/swaps", "swap"),  # its call site still passes person_id as resource_id
        (f"{API}/shifts", "schedule"),
        (f"{API}/leave", "leave"),
        (f"{API}/rotation-assignments", "schedule"),
    ]
    for path, resource_type in calls:
        response = await client.get(path, params={"person_id": r01})
        assert response.status_code == 200, (path, response.text)
        event = (await trail(app))[-1]
        assert (event.action, event.resource_type) == ("list", resource_type)
        assert (event.resource_id, event.filters) == (None, f"person_id={r01}"), path
        unfiltered = await client.get(path)
        assert unfiltered.status_code == 200
        event = (await trail(app))[-1]
        assert (event.resource_id, event.filters) == (None, None), path

    shown = await client.get(f"{API}/audit-events", params={"filters": f"person_id={r01}"})
    listed = shown.json()["items"]
    assert len(listed) == len(calls)
    assert all(e["resource_id"] is None and e["filters"] == f"person_id={r01}" for e in listed)


async def test_a_reused_client_request_id_never_merges_two_requests(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    r01 = next(p["id"] for p in (await client.get(f"{API}/people")).json()["items"])
    headers = {"X-Request-ID": "client-chosen-0001"}
    responses = [await client.get(f"{API}/people/{r01}", headers=headers) for _ in range(2)]
    events = (await trail(app))[-2:]
    assert [e.client_request_id for e in events] == ["client-chosen-0001"] * 2
    assert [e.request_id for e in events] == [r.headers["x-request-id"] for r in responses]
    assert events[0].request_id != events[1].request_id
    assert all(r.headers["x-client-request-id"] == "client-chosen-0001" for r in responses)

    shown = await client.get(
        f"{API}/audit-events", params={"client_request_id": "client-chosen-0001"}
    )
    items = shown.json()["items"]
    assert {e["request_id"] for e in items} == {e.request_id for e in events}
    assert all(e["client_request_id"] == "client-chosen-0001" for e in items)


async def test_unusual_export_volume_is_flagged_once(database_url: str) -> None:
    from app.db.engine import Database
    from app.main import create_app
    from tests.support.api import api_client, signed_in_headers

    settings = Settings(
        database_url=database_url, environment="test", suspicious_exports_per_hour=2
    )
    app = create_app(settings)
    try:
        async with api_client(app, await signed_in_headers(app, "coordinator")) as coordinator:
            await coordinator.post(f"{API}/schedule/import", json=schedule_file())
            with captured(SuspiciousActivity) as flagged:
                for n in range(5):
                    response = await coordinator.get(f"{API}/schedule/export")
                    assert response.status_code == 200  # never blocked, only flagged
                    assert flagged == ([] if n < 2 else [SuspiciousActivity("export_volume")])
        async with Database(database_url).session() as session:
            events = list(
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "export_volume")
                )
            )
        assert len(events) == 1 and events[0].resource_type == "export"
        assert events[0].actor_user_id is not None
    finally:
        await app.state.services.database.dispose()


def test_exports_from_the_command_line_are_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.db.engine import Database

    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(schedule_file()))
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(source)]).exit_code == 0
    for n in range(2):
        out = tmp_path / f"out{n}.json"
        assert runner.invoke(cli, ["export", "--out", str(out), "--with-names"]).exit_code == 0

    async def exports() -> list[AuditEvent]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        try:
            async with database.session() as session:
                return list(
                    await session.scalars(select(AuditEvent).where(AuditEvent.action == "export"))
                )
        finally:
            await database.dispose()

    events = asyncio.run(exports())
    assert [(e.resource_type, e.actor_user_id, e.request_id) for e in events] == [
        ("export", None, None)
    ] * 2
