"""A database ready for an end-to-end test: migrated, with one admin who can sign in."""

from __future__ import annotations

from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.auth.users import create_user
from app.db.engine import Database
from app.db.migrate import upgrade_database


async def migrated_with_admin(url: str, username: str, password: str) -> None:
    await upgrade_database(url)
    database = Database(url)
    try:
        async with database.session() as session:
            await create_user(
                session, UserCreate(username=username, password=password, role=Role.ADMIN)
            )
    finally:
        await database.dispose()
