"""User administration (admins) and the create-user command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.events import UserAction
from app.auth.models import User
from app.cli import cli
from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from tests.support.api import API, PASSWORD, api_client, create_person_row
from tests.support.events import captured


async def test_admin_creates_lists_updates_and_deactivates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    person = await create_person_row(app, "r07")
    body = {"username": "res7", "password": PASSWORD, "role": "resident", "person_id": person}
    with captured(UserAction) as actions:
        created = await client.post(f"{API}/users", json=body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["role"] == "resident" and user["person_id"] == person and user["active"]
    assert "password" not in created.text and "argon2" not in created.text
    assert actions == [UserAction("user_admin")]

    listed = (await client.get(f"{API}/users", params={"role": "resident"})).json()
    assert [u["username"] for u in listed["items"]] == ["res7"]

    anon = api_client(app)
    async with anon:
        signed_in = await anon.post(
            f"{API}/auth/login", json={"username": "res7", "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        refresh = {"refresh_token": signed_in.json()["refresh_token"]}

        faculty = await client.patch(f"{API}/users/{user['id']}", json={"role": "faculty"})
        assert faculty.status_code == 422  # r07 is a resident, not a faculty member
        demoted = await client.patch(
            f"{API}/users/{user['id']}", json={"role": "coordinator", "person_id": None}
        )
        assert demoted.status_code == 200 and demoted.json()["role"] == "coordinator"
        # A role change ends existing sign-ins.
        assert (await anon.post(f"{API}/auth/refresh", json=refresh)).status_code == 401

        gone = await client.delete(f"{API}/users/{user['id']}")
        assert gone.status_code == 200 and gone.json()["active"] is False
        again = await anon.post(
            f"{API}/auth/login", json={"username": "res7", "password": PASSWORD}
        )
        assert again.status_code == 401

    async with app.state.services.database.session() as session:
        trail = [
            (e.action, e.resource_type)
            for e in await session.scalars(
                select(AuditEvent).where(AuditEvent.resource_type == "user").order_by(AuditEvent.id)
            )
        ]
    assert ("create", "user") in trail and ("update", "user") in trail
    assert ("delete", "user") in trail and ("list", "user") in trail


async def test_user_validation(app: FastAPI, client: httpx.AsyncClient) -> None:
    weak = {"username": "weak", "password": "short", "role": "faculty"}
    assert (await client.post(f"{API}/users", json=weak)).status_code == 422
    unlinked = {"username": "res", "password": PASSWORD, "role": "resident"}
    response = await client.post(f"{API}/users", json=unlinked)
    assert response.status_code == 422 and "person_id" in response.text
    bad_name = {"username": "a b", "password": PASSWORD, "role": "faculty"}
    assert (await client.post(f"{API}/users", json=bad_name)).status_code == 422
    ok = {"username": "fac", "password": PASSWORD, "role": "faculty"}
    assert (await client.post(f"{API}/users", json=ok)).status_code == 201
    assert (await client.post(f"{API}/users", json=ok)).status_code == 409


async def test_admins_cannot_lock_themselves_out(client: httpx.AsyncClient) -> None:
    me = (await client.get(f"{API}/auth/me")).json()["user_id"]
    assert (await client.delete(f"{API}/users/{me}")).status_code == 409
    demote = await client.patch(f"{API}/users/{me}", json={"role": "faculty"})
    assert demote.status_code == 409


def test_create_user_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["create-user", "root", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user 1 (admin)" in result.output
    assert PASSWORD not in result.output

    duplicate = runner.invoke(
        cli, ["create-user", "root", "--role", "admin", "--password-stdin"], input=PASSWORD
    )
    assert duplicate.exit_code == 2 and "taken" in duplicate.output
    weak = runner.invoke(
        cli, ["create-user", "other", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 2 and "password" in weak.output
    resident = runner.invoke(
        cli, ["create-user", "res", "--role", "resident", "--password-stdin"], input=PASSWORD
    )
    assert resident.exit_code == 2 and "person_id" in resident.output
    prompted = runner.invoke(
        cli, ["create-user", "coord", "--role", "coordinator"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output

    async def sign_in() -> int:
        app = create_app(Settings(database_url=url, environment="test"))
        try:
            async with api_client(app) as anon:
                response = await anon.post(
                    f"{API}/auth/login", json={"username": "root", "password": PASSWORD}
                )
            async with Database(app.state.services.settings.database_url).session() as session:
                stored = await session.scalar(select(User.password_hash).where(User.id == 1))
            assert stored is not None and stored.startswith("$argon2id$")
            return response.status_code
        finally:
            await app.state.services.database.dispose()

    assert asyncio.run(sign_in()) == 200


WEAK_PASSWORDS = [
    (" " * 12, "only whitespace"),
    ("password1234", "too common"),
    ("P@ssw0rd2024!", "too common"),
    ("Summer2024!!!", "too common"),
    ("111111111111", "repeated or sequential"),
    ("1234567890123", "repeated or sequential"),
]


@pytest.mark.parametrize(("password", "rule"), WEAK_PASSWORDS)
async def test_weak_passwords_are_refused_naming_the_rule(
    client: httpx.AsyncClient, password: str, rule: str
) -> None:
    body = {"username": "fac", "password": password, "role": "faculty"}
    response = await client.post(f"{API}/users", json=body)
    assert response.status_code == 422 and rule in response.text
    assert password.strip() == "" or password not in response.text


@pytest.mark.parametrize("password", ["fac-member-2024", "FAC-MEMBER-2024", "x fac-member x"])
async def test_a_password_must_not_contain_the_username(
    client: httpx.AsyncClient, password: str
) -> None:
    body = {"username": "fac-member", "password": password, "role": "faculty"}
    response = await client.post(f"{API}/users", json=body)
    assert response.status_code == 422 and "username" in response.text
    assert password not in response.text
    same = {"username": "samesame1234", "password": "samesame1234", "role": "faculty"}
    refused = await client.post(f"{API}/users", json=same)
    assert refused.status_code == 422 and "username" in refused.text
    other = {"username": "fac-member", "password": "member of the faculty", "role": "faculty"}
    assert (await client.post(f"{API}/users", json=other)).status_code == 201


async def test_password_changes_meet_the_policy(client: httpx.AsyncClient) -> None:
    body = {"username": "fac", "password": PASSWORD, "role": "faculty"}
    user_id = (await client.post(f"{API}/users", json=body)).json()["id"]
    for password, rule in [*WEAK_PASSWORDS, ("fac-and-more-words", "username")]:
        response = await client.patch(f"{API}/users/{user_id}", json={"password": password})
        assert response.status_code == 422 and rule in response.text
    ok = await client.patch(f"{API}/users/{user_id}", json={"password": "a 2nd long passphrase"})
    assert ok.status_code == 200


def test_create_user_command_refuses_weak_passwords(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    cases = [*WEAK_PASSWORDS, ("rootroot-1234", "username")]
    for password, rule in cases:
        result = runner.invoke(
            cli, ["create-user", "rootroot", "--role", "admin", "--password-stdin"], input=password
        )
        assert result.exit_code == 2 and rule in result.output, result.output
        assert password.strip() == "" or password not in result.output
