"""An app on a fresh SQLite file that logs to stdout and to LOG_FILE under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging import configure_logging
from app.db.migrate import upgrade_database
from app.main import create_app


@pytest.fixture(autouse=True)
def json_logging() -> None:
    """Every test here starts from JSON logs to stdout, whatever ran before."""
    configure_logging(Settings(environment="test"))


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "app.log"


@pytest.fixture
async def make_settings(tmp_path: Path, log_file: Path) -> Callable[..., Settings]:
    url = f"sqlite+aiosqlite:///{tmp_path}/logging.db"
    await upgrade_database(url)

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": url,
            "environment": "test",
            "log_file": str(log_file),
            **overrides,
        }
        return Settings(**values)

    return build


@pytest.fixture
async def log_app(make_settings: Callable[..., Settings]) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings())
    yield app
    await app.state.services.database.dispose()


@pytest.fixture
async def log_client(log_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=log_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
