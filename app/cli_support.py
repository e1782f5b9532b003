"""What every command of ``residency-scheduler`` shares: the bad-input exit, the settings and
a database for one command. Bad input exits 2 with one line naming the problem, never a
traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from app.core.config import Settings, SettingsError, load_settings
from app.db.engine import Database
from app.db.migrate import upgrade_database

T = TypeVar("T")

EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``error: message`` to stderr; raise what this returns."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured (migrated) database and close it afterwards."""
    settings = settings_or_exit()

    async def run() -> T:
        await upgrade_database(settings.database_url)
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())
