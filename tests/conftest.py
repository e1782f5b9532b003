"""Shared fixtures: the app on a freshly migrated SQLite file and on a real PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.main import create_app

pytest_plugins = ["tests.support.fixtures"]

_database_numbers = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend the service supports."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/scheduler.db"
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"test_{next(_database_numbers)}")
    await upgrade_database(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
