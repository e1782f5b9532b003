from __future__ import annotations

from pathlib import Path

import httpx

from app.core.config import Settings
from app.main import create_app


async def test_health_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


async def test_ready_is_503_when_database_is_unreachable() -> None:
    # Nothing listens on port 1: the pool cannot connect.
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/ready")
        liveness = await client.get("/health")
    await app.state.services.database.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"
    assert liveness.status_code == 200


async def test_openapi_lists_versioned_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/people" in paths
    assert "/api/v1/shifts/{shift_id}" in paths
    assert "/api/v1/schedule/import" in paths
    assert (await client.get("/docs")).status_code == 200


async def test_ready_is_503_on_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/fresh.db"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/ready")
    await app.state.services.database.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "not migrated"
