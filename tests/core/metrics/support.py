"""Helpers for the metrics tests: a migrated app, a signed-in client, parsed scrapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.auth.users import create_user
from app.core.config import Settings
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.support.lifespan import serving

API = "/api/v1"
PASSWORD = "correct-horse-battery"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def build_app(tmp_path: Path, **overrides: Any) -> FastAPI:
    """``create_app`` on a freshly migrated SQLite file."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/metrics.db", environment="test", **overrides
    )
    await upgrade_database(settings.database_url)
    return create_app(settings)


@asynccontextmanager
async def client_for(app: FastAPI, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` while it runs (its lifespan started and ended around the block)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        serving(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client,
    ):
        yield client


async def sign_in(app: FastAPI, client: httpx.AsyncClient, username: str = "admin") -> None:
    """Create an admin and put its access token on ``client``."""
    async with app.state.services.database.session() as session:
        await create_user(
            session, UserCreate(username=username, password=PASSWORD, role=Role.ADMIN)
        )
    response = await client.post(
        f"{API}/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of ``name`` over every series whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return parse(response.text)
