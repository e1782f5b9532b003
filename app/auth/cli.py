"""``residency-scheduler create-user``: the first admin, and accounts created from scripts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.cli_support import fail, with_database
from app.db.engine import Database
from app.errors import DomainError


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def create_user(
    username: Annotated[str, typer.Argument(help="Sign-in name (letters, digits, . _ @ -)")],
    role: Annotated[Role, typer.Option(help="admin, coordinator, faculty or resident")],
    person_id: Annotated[
        int | None, typer.Option(help="The person record to link (required for residents)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user account (argon2id-hashed password; prompted for unless --password-stdin)."""
    from app.auth import users

    try:
        data = UserCreate(
            username=username, password=_password(password_stdin), role=role, person_id=person_id
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems) from None
    try:
        users.check_password(data.password, data.username)
    except DomainError as exc:  # before touching the database
        raise fail(exc.message) from None

    async def work(database: Database) -> int:
        async with database.session() as session:
            user = await users.create_user(session, data)
            return user.id

    try:
        user_id = with_database(work)
    except DomainError as exc:
        raise fail(exc.message) from None
    typer.echo(f"created user {user_id} ({role.value})")
