"""The services container: built once from the settings, handed to handlers by dependency."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.generation.jobs import GenerationJob
from app.services import build_services, get_generation_jobs

API = "/api/v1"


class NoJobs:
    async def all(self) -> list[GenerationJob]:
        return [GenerationJob(id="from-the-override", seed=7, time_limit=None)]


async def test_a_handler_gets_its_service_through_an_overridable_dependency(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.dependency_overrides[get_generation_jobs] = NoJobs
    try:
        response = await client.get(f"{API}/generation-jobs")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200
    assert [job["id"] for job in response.json()] == ["from-the-override"]


def test_every_part_shares_one_clock_and_one_database(sqlite_url: str) -> None:
    services = build_services(Settings(database_url=sqlite_url, environment="test"))
    assert services.sign_in.database is services.database
    assert services.sign_in.clock is services.clock
    assert services.audit.database is services.database
    assert services.redis is None  # no REDIS_URL: everything in process


def test_metrics_off_means_no_metrics_part(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, environment="test", metrics_enabled=False)
    assert build_services(settings).metrics is None
