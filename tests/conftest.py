"""Shared fixtures: the app on a freshly migrated SQLite file and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.auth.models import Role
from app.core.config import Settings
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.support.api import api_client, create_person_row, signed_in_headers
from tests.support.lifespan import start, stop

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


@pytest.fixture(scope="session")
async def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session, copied by :func:`sqlite_url`."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    await upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database without re-running the migrations. A test package
    that needs only SQLite overrides ``database_url`` with it."""
    target = tmp_path / "scheduler.db"
    shutil.copyfile(migrated_sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The generation queue in the test's folder: a PostgreSQL app would use ./data otherwise.
    queue = str(tmp_path / "generation-queue.db")
    return Settings(database_url=database_url, environment="test", generation_queue_file=queue)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app as a server runs it: its lifespan started before the test, ended after."""
    application = await start(create_app(settings))
    yield application
    await stop(application)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as an admin (who may do everything)."""
    async with api_client(app, await signed_in_headers(app, Role.ADMIN)) as c:
        yield c


@pytest.fixture
async def anonymous_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as c:
        yield c


@pytest.fixture
async def coordinator_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, await signed_in_headers(app, Role.COORDINATOR)) as c:
        yield c


@pytest.fixture
async def faculty_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, await signed_in_headers(app, Role.FACULTY)) as c:
        yield c


@pytest.fixture
async def resident_person_id(app: FastAPI) -> int:
    """The resident record ``resident_client`` is linked to (code ``r-self``)."""
    return await create_person_row(app, "r-self")


@pytest.fixture
async def resident_client(
    app: FastAPI, resident_person_id: int
) -> AsyncIterator[httpx.AsyncClient]:
    headers = await signed_in_headers(app, Role.RESIDENT, person_id=resident_person_id)
    async with api_client(app, headers) as c:
        yield c
