"""Server spans from real requests through create_app, exported to a local OTLP receiver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.people.models import Person, PersonKind
from app.services import DbSession
from app.tracing import TracingConfig
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.tracing import TRACEPARENT

CANARY_NAME = "Canary Q. Resident"
CANARY_EMAIL = "canary.resident@hospital.example"
CANARY_CODE = "canary-r99"


def add_test_routes(app: FastAPI) -> None:
    async def add_person(session: DbSession) -> dict[str, Any]:
        person = Person(
            code=CANARY_CODE, name=CANARY_NAME, email=CANARY_EMAIL, kind=PersonKind.RESIDENT
        )
        session.add(person)
        await session.flush()
        found = await session.scalar(select(Person).where(Person.email == CANARY_EMAIL))
        assert found is not None
        return {"id": found.id}

    async def boom(resident_id: int) -> None:
        raise RuntimeError(f"{CANARY_NAME} broke resident {resident_id}")

    app.add_api_route("/test/people", add_person, methods=["POST"])
    app.add_api_route("/test/boom/{resident_id}", boom, methods=["GET"])


def children_of(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_span_id == parent.span_id]


def config_for(receiver: OtlpReceiver, **extra: Any) -> TracingConfig:
    return TracingConfig(otlp_endpoint=receiver.endpoint, environment="test", **extra)


async def test_server_span_is_the_parent_of_database_spans(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    async with traced_app(config_for(receiver)) as t:
        response = await t.client.get("/ready", params={"verbose": "1"})
        assert response.status_code == 200
        t.flush()
    spans = receiver.wait_until(lambda spans: any(s.kind == "SERVER" for s in spans))
    (server,) = [s for s in spans if s.kind == "SERVER"]
    assert server.name == "GET /ready"
    assert server.parent_span_id is None
    assert server.attributes == {
        "http.request.method": "GET",
        "http.route": "/ready",
        "http.response.status_code": 200,
        "url.scheme": "http",
        "network.protocol.version": "1.1",
    }
    assert server.status == "UNSET"
    # /ready reads the schema version: is the table there, which revision is stored
    *_, database = children_of(spans, server)
    assert database.kind == "CLIENT" and database.trace_id == server.trace_id
    assert database.attributes["db.system"] == "sqlite"
    assert database.attributes["db.statement"] == "SELECT version_num FROM alembic_version"
    assert server.resource["service.name"] == "residency-scheduler"
    assert server.resource["deployment.environment"] == "test"
    assert server.resource["service.version"]
    assert "verbose" not in str(receiver.raw)  # the query string is never recorded


async def test_incoming_traceparent_continues_the_trace(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    # sample_rate 0: only the parent's "sampled" flag makes this span exported
    async with traced_app(config_for(receiver, sample_rate=0.0)) as t:
        response = await t.client.get("/health", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200
        t.flush()
    server = receiver.wait_for(lambda s: s.name == "GET /health")
    assert server.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert server.parent_span_id == "b7ad6b7169203331"


async def test_personal_data_and_raw_paths_never_leave(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    async with traced_app(config_for(receiver)) as t:
        add_test_routes(t.app)
        assert (await t.client.post("/test/people?email=" + CANARY_EMAIL)).status_code == 200
        assert (await t.client.get("/test/boom/4711?name=Canary")).status_code == 500
        t.flush()
    spans = receiver.wait_until(lambda spans: sum(s.kind == "SERVER" for s in spans) == 2)
    insert = next(s for s in spans if "INSERT" in str(s.attributes.get("db.statement")))
    assert "?" in insert.attributes["db.statement"]  # placeholders, never the values
    failed = next(s for s in spans if s.name == "GET /test/boom/{resident_id}")
    assert failed.status == "ERROR"
    assert failed.attributes["error.type"] == "RuntimeError"
    assert failed.attributes["http.response.status_code"] == 500
    assert [name for name, _ in failed.events] == ["exception"]
    payload = b"".join(receiver.raw)
    for secret in (CANARY_NAME, CANARY_EMAIL, CANARY_CODE, "4711", "Canary"):
        assert secret.encode() not in payload, secret


async def test_unmatched_routes_and_metrics_scrapes(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    async with traced_app(config_for(receiver)) as t:
        assert (await t.client.get("/no/such/page/12345")).status_code == 404
        await t.client.get("/metrics")  # whatever /metrics answers, it is never traced
        assert (await t.client.request("PURGE", "/health")).status_code == 405
        t.flush()
    spans = receiver.wait_until(lambda spans: sum(s.kind == "SERVER" for s in spans) >= 2)
    names = sorted(s.name for s in spans if s.kind == "SERVER")
    assert names == ["GET", "HTTP /health"]
    unmatched = next(s for s in spans if s.name == "GET")
    assert "http.route" not in unmatched.attributes
    assert unmatched.status == "UNSET"  # 4xx is the client's error, not the server's
    other = next(s for s in spans if s.name == "HTTP /health")
    assert other.attributes["http.request.method"] == "_OTHER"
    assert b"12345" not in b"".join(receiver.raw)


async def test_unsampled_requests_export_nothing_and_give_no_exemplar(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    async with traced_app(config_for(receiver, sample_rate=0.0)) as t:
        tracing = t.app.state.telemetry.tracing
        handle = tracing.start({"type": "http", "method": "GET", "path": "/health", "headers": []})
        from app.core.request_telemetry import RequestInfo

        info = RequestInfo("GET", "/health", 200, 0.001, "r" * 16)
        assert tracing.finish(handle, info) is None
        assert (await t.client.get("/ready")).status_code == 200
        t.flush()
    assert receiver.spans == []


async def test_sampled_requests_return_the_trace_id_for_exemplars(
    traced_app: Callable[..., Any], receiver: OtlpReceiver
) -> None:
    from app.core.request_telemetry import RequestInfo

    async with traced_app(config_for(receiver)) as t:
        tracing = t.app.state.telemetry.tracing
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/health",
            "headers": [(b"traceparent", TRACEPARENT.encode())],
        }
        handle = tracing.start(scope)
        trace_id = tracing.finish(handle, RequestInfo("GET", "/health", 200, 0.001, "r" * 16))
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"


@pytest.mark.parametrize("header", ["garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"])
async def test_invalid_traceparent_starts_a_new_trace(
    traced_app: Callable[..., Any], receiver: OtlpReceiver, header: str
) -> None:
    async with traced_app(config_for(receiver)) as t:
        await t.client.get("/health", headers={"traceparent": header})
        t.flush()
    server = receiver.wait_for(lambda s: s.name == "GET /health")
    assert server.parent_span_id is None and server.trace_id != "0" * 32
