"""HTTP metrics through the real request layer: templates, collapsing, exemplars."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client.openmetrics import exposition as openmetrics

from app.core.metrics import catalog
from app.core.metrics.http import (
    LocalHttpMetrics,
    SharedHttpMetrics,
    http_metrics,
    served_routes,
)
from app.core.metrics.registry import AppMetrics
from app.core.request_telemetry import METRICS_PATH, RequestInfo
from tests.support.api import API, build_app, client_for
from tests.support.metrics import scrape, total, value

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def http_labels(samples: dict[Any, float]) -> list[dict[str, str]]:
    return [
        dict(labels)
        for name, labels in samples
        if name.startswith((catalog.HTTP_REQUESTS.name, catalog.HTTP_REQUEST_DURATION.name))
    ]


async def test_routes_are_templates_and_unmatched_paths_collapse(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        for person_id in (1, 2, 3):
            await client.get(f"{API}/people/{person_id}")
        for path in ("/nope", "/wp-admin.php", "/nope/1/2/3"):
            assert (await client.get(path)).status_code == 404
        await client.get("/health")
        samples = await scrape(client)

    routes = {labels["route"] for labels in http_labels(samples)}
    assert "<unmatched>" in routes and "/health" in routes
    people = [r for r in routes if r.endswith("/people/{person_id}")]
    assert people == [f"{API}/people/{{person_id}}"], routes  # the full template
    for raw in ("/people/1", "/nope", "wp-admin", "/nope/1/2/3"):
        assert not any(raw in route for route in routes), routes
    assert total(samples, catalog.HTTP_REQUESTS.name, route=people[0]) == 3
    assert total(samples, catalog.HTTP_REQUESTS.name, route="<unmatched>", status="404") == 3
    assert total(samples, catalog.HTTP_REQUEST_DURATION.count, route="<unmatched>") == 3


async def test_metrics_scrapes_are_not_counted(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        for _ in range(3):
            await scrape(client)
        samples = await scrape(client)
    assert not any(labels.get("route") == "/metrics" for labels in http_labels(samples))
    assert total(samples, catalog.HTTP_REQUESTS.name) == 0


async def test_methods_are_allow_listed_and_status_is_a_label(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        await client.request("BREW", "/health")
        await client.post("/health")
        samples = await scrape(client)
    assert (
        value(samples, catalog.HTTP_REQUESTS.name, method="OTHER", route="/health", status="405")
        == 1
    )
    assert (
        value(samples, catalog.HTTP_REQUESTS.name, method="POST", route="/health", status="405")
        == 1
    )
    assert total(samples, catalog.HTTP_REQUESTS_IN_PROGRESS.name) == 0


@pytest.mark.parametrize("store", ["local", "shared"])
def test_in_progress_rises_during_a_request(store: str) -> None:
    metrics = AppMetrics()
    http = http_metrics(metrics) if store == "local" else SharedHttpMetrics(metrics)
    gauge = metrics.registry.get_sample_value
    http.begin("GET")
    http.begin("GET")
    assert gauge(catalog.HTTP_REQUESTS_IN_PROGRESS.name, {"method": "GET"}) == 2
    http.end(RequestInfo("GET", "/x", 200, 0.01, "r" * 8), None)
    assert gauge(catalog.HTTP_REQUESTS_IN_PROGRESS.name, {"method": "GET"}) == 1


def test_local_and_shared_stores_expose_the_same_series() -> None:
    """One process uses plain numbers, several workers prometheus_client objects: a scrape
    must not tell them apart (same names, labels, buckets, counts, sums and exemplars)."""
    local_metrics, shared_metrics = AppMetrics(), AppMetrics()
    local, shared = http_metrics(local_metrics), SharedHttpMetrics(shared_metrics)
    assert isinstance(local, LocalHttpMetrics)
    for http in (local, shared):
        http.expect([("GET", "/a/{id}", 200), ("POST", "/b", 201), ("DELETE", "/never", 204)])
    requests = [
        RequestInfo("GET", "/a/{id}", 200, 0.005, "r" * 8),  # exactly on a bound: le="0.005"
        RequestInfo("GET", "/a/{id}", 200, 0.0051, "r" * 8),
        RequestInfo("GET", "/a/{id}", 404, 0.3, "r" * 8),
        RequestInfo("POST", "/b", 500, 12.0, "r" * 8),  # beyond the last bound: +Inf
        RequestInfo("OTHER", "<unmatched>", 405, 0.0001, "r" * 8),
    ]
    for number, info in enumerate(requests):
        trace_id = TRACE_ID if number % 2 == 0 else None
        for http in (local, shared):
            http.begin(info.method)
            http.end(info, trace_id)

    def exposition(metrics: AppMetrics) -> list[str]:
        text = openmetrics.generate_latest(metrics.registry).decode()
        lines = [line for line in text.splitlines() if line.startswith("http_")]
        return sorted(re.sub(r" \d+\.\d+$", " <ts>", line) for line in lines)  # exemplar time

    assert exposition(local_metrics) == exposition(shared_metrics)
    assert any("# {" in line for line in exposition(local_metrics))


class FakeTracing:
    """Stands in for the tracing part: every request is sampled with one trace id."""

    def start(self, scope: Any) -> None:
        return None

    def finish(self, handle: Any, info: RequestInfo) -> str:
        return TRACE_ID


async def test_exemplars_carry_the_trace_id_in_openmetrics(tmp_path: Path) -> None:
    app: FastAPI = await build_app(tmp_path)
    app.state.telemetry.tracing = FakeTracing()
    async with client_for(app) as client:
        await client.get("/health")
        response = await client.get("/metrics", headers={"Accept": OPENMETRICS})
        plain = await client.get("/metrics")
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    exemplar_lines = [
        line
        for line in response.text.splitlines()
        if line.startswith(catalog.HTTP_REQUEST_DURATION.bucket) and "# {" in line
    ]
    assert exemplar_lines and all(f'trace_id="{TRACE_ID}"' in line for line in exemplar_lines)
    assert 'route="/health"' in exemplar_lines[0]
    assert TRACE_ID not in plain.text  # the 0.0.4 text format has no exemplars


async def test_exemplar_from_end_with_a_trace_id(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    app.state.telemetry.metrics.end(RequestInfo("GET", "/health", 200, 0.003, "r" * 8), TRACE_ID)
    async with client_for(app) as client:
        text = (await client.get("/metrics", headers={"Accept": OPENMETRICS})).text
    assert f'# {{trace_id="{TRACE_ID}"}} 0.003' in text


async def test_every_served_route_has_its_500_series_before_any_request(tmp_path: Path) -> None:
    """So the first server error (and the first success) of a route is an increase rate() can
    see, not a new series."""
    app = await build_app(tmp_path)
    triples = served_routes(app.routes)
    expected = [(method, route) for method, route, _ in triples]
    assert ("GET", "/health", 200) in triples
    assert ("POST", f"{API}/swaps/{{swap_id}}/approve", 200) in triples  # an included router
    assert ("DELETE", f"{API}/people/{{person_id}}", 204) in triples
    assert ("POST", f"{API}/schedule/generate", 202) in triples
    assert all(route != METRICS_PATH for _, route in expected)
    assert all(method != "HEAD" for method, _ in expected)  # Starlette's implicit HEAD of GET
    requests = catalog.HTTP_REQUESTS.name
    async with client_for(app) as client:
        fresh = await scrape(client)
        await client.get("/health")
        await client.get(f"{API}/people/1")
        served = await scrape(client)
    for method, route, success in triples:
        assert value(fresh, requests, method=method, route=route, status="500") == 0, route
        assert value(fresh, requests, method=method, route=route, status=str(success)) == 0
    assert {labels["route"] for labels in http_labels(fresh)} == {r for _, r in expected}
    assert total(fresh, requests) == 0
    assert not any(name.startswith(catalog.HTTP_REQUEST_DURATION.name) for name, _ in fresh)
    # Requests land on the very series that were exported: the templates agree.
    assert value(served, requests, method="GET", route="/health", status="200") == 1
    assert value(served, requests, method="GET", route="/health", status="500") == 0
    people = f"{API}/people/{{person_id}}"
    assert total(served, requests, method="GET", route=people) == 1
    assert {labels["route"] for labels in http_labels(served)} == {r for _, r in expected}


def test_served_routes_fold_methods_and_skip_what_is_never_counted() -> None:
    app = FastAPI()

    @app.api_route("/odd", methods=["GET", "BREW", "HEAD"])
    async def odd() -> None: ...

    @app.head("/ping")
    async def ping() -> None: ...

    @app.get(METRICS_PATH)
    async def metrics() -> None: ...

    @app.websocket("/ws")
    async def socket() -> None: ...

    routes = [r[:2] for r in served_routes(app.routes) if r[1] in ("/odd", "/ping", "/ws")]
    assert routes == [("OTHER", "/odd"), ("GET", "/odd"), ("HEAD", "/ping")]
    assert all(route != METRICS_PATH for _, route, _ in served_routes(app.routes))
