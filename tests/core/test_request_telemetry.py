"""The shared request layer: full route templates, bounded labels, request ids."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from app.core.request_telemetry import UNMATCHED_ROUTE, RequestInfo, new_request_id


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def seen(app: FastAPI) -> list[RequestInfo]:
    captured: list[RequestInfo] = []
    app.state.telemetry.access_log = captured.append
    return captured


async def test_route_templates_are_full_paths(
    client: httpx.AsyncClient, seen: list[RequestInfo]
) -> None:
    await client.get("/api/v1/people/12345")
    await client.get("/api/v1/compliance/report")
    await client.get("/health")
    routes = [info.route for info in seen]
    assert "/api/v1/people/{person_id}" in routes
    assert "/api/v1/compliance/report" in routes
    assert "/health" in routes
    assert all("12345" not in r for r in routes)


async def test_unmatched_paths_and_odd_methods_collapse(
    client: httpx.AsyncClient, seen: list[RequestInfo]
) -> None:
    await client.get("/no/such/path/42")
    await client.request("BREW", "/health")
    assert seen[0].route == UNMATCHED_ROUTE and seen[0].status == 404
    assert seen[1].method == "OTHER"


async def test_request_id_is_generated_and_the_clients_kept_beside_it(
    client: httpx.AsyncClient, seen: list[RequestInfo]
) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "req-1234abcd"})
    again = await client.get("/health", headers={"X-Request-ID": "req-1234abcd"})
    hostile = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    ours = [r.headers["x-request-id"] for r in (given, again, hostile)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ours)
    assert len(set(ours)) == 3  # a reused client id never makes two requests share one
    assert given.headers["x-client-request-id"] == "req-1234abcd"
    assert again.headers["x-client-request-id"] == "req-1234abcd"
    assert "x-client-request-id" not in hostile.headers
    assert [i.request_id for i in seen[-3:]] == ours
    assert [i.client_request_id for i in seen[-3:]] == ["req-1234abcd", "req-1234abcd", None]


def test_generated_request_ids_are_32_hex_characters_and_distinct() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)


async def test_every_api_route_is_under_the_version_prefix(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    unversioned = [p for p in paths if not p.startswith("/api/v1/")]
    assert set(unversioned) <= {"/health", "/ready", "/metrics"}


async def test_unhandled_errors_are_observed_with_a_request_id(
    app: FastAPI, seen: list[RequestInfo]
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/boom")
    assert response.status_code == 500
    assert response.headers["x-request-id"] == seen[-1].request_id
    assert seen[-1].status == 500 and isinstance(seen[-1].error, RuntimeError)
