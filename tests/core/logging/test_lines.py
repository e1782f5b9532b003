"""Shape of the JSON lines: correlation fields, trace context, request id, exceptions."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app import __version__
from app.core.config import Settings
from app.core.logging import configure_logging, get_logger
from app.core.logging.testing import capture_logs
from app.main import create_app
from tests.support.api import act_as_system

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
tracer = TracerProvider().get_tracer("tests.logging")  # an SDK tracer, not the global one


def file_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_access_line_has_every_field(
    log_app: FastAPI, log_client: httpx.AsyncClient, log_file: Path
) -> None:
    act_as_system(log_app)
    with capture_logs() as lines, tracer.start_as_current_span("client") as span:
        headers: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(headers)  # same trace whether tracing is on
        response = await log_client.get("/api/v1/people/12345?email=q@example.org", headers=headers)
    assert response.status_code == 404
    access = lines.find(logger="app.access")
    assert len(access) == 1
    line = access[0]
    assert RFC3339_UTC.match(str(line["timestamp"]))
    assert line["level"] == "info"
    assert line["event"] == "request"
    assert line["service"] == "residency-scheduler"
    assert line["environment"] == "test"
    assert line["version"] == __version__
    assert line["method"] == "GET"
    assert line["status"] == 404
    assert str(line["route"]).endswith("/people/{person_id}")  # the template, not the path
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert re.fullmatch(r"[0-9a-f]{16}", str(line["span_id"]))
    raw = lines.raw[-1]
    assert "12345" not in raw and "?" not in raw and "q@example.org" not in raw
    # the same line went to LOG_FILE
    assert line in file_lines(log_file)


async def test_trace_ids_only_inside_a_span() -> None:
    log = get_logger("tests.span")
    with capture_logs() as lines:
        log.info("outside")
        with tracer.start_as_current_span("work") as span:
            log.info("inside")
            logging.getLogger("tests.span.stdlib").warning("inside too")
    outside, inside, stdlib_inside = lines
    assert "trace_id" not in outside and "span_id" not in outside
    context = span.get_span_context()
    for line in (inside, stdlib_inside):
        assert line["trace_id"] == format(context.trace_id, "032x")
        assert line["span_id"] == format(context.span_id, "016x")


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("req-0123456789abcdef", True),
        ("short", False),  # under 8 characters
        ("has spaces in it!", False),
        ("x" * 65, False),  # over 64
        ("bad/slash-12345", False),
    ],
)
async def test_client_request_id_is_kept_only_when_valid(
    log_client: httpx.AsyncClient, sent: str, echoed: bool
) -> None:
    with capture_logs() as lines:
        response = await log_client.get("/health", headers={"X-Request-ID": sent})
    returned = response.headers["x-request-id"]
    assert returned != sent and re.fullmatch(r"[0-9a-f]{32}", returned)
    assert response.headers.get("x-client-request-id") == (sent if echoed else None)
    (access,) = lines.find(logger="app.access")
    assert access["request_id"] == returned
    assert access.get("client_request_id") == (sent if echoed else None)


async def test_lines_inside_a_request_carry_its_request_id(log_app: FastAPI) -> None:
    @log_app.get("/tests/logs-inside")
    async def logs_inside() -> dict[str, str]:
        get_logger("tests.inside").info("structlog line")
        logging.getLogger("tests.inside").info("stdlib line")
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=log_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with capture_logs() as lines:
            response = await client.get("/tests/logs-inside")
    request_id = response.headers["x-request-id"]
    assert [line["request_id"] for line in lines] == [request_id] * 3
    assert [line["logger"] for line in lines] == ["tests.inside", "tests.inside", "app.access"]


async def test_failed_request_logs_structured_exception_without_message(
    log_app: FastAPI, log_client: httpx.AsyncClient
) -> None:
    @log_app.get("/tests/fails")
    async def fails() -> None:
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("secret detail from a library") from exc

    with capture_logs() as lines:
        response = await log_client.get("/tests/fails")
    assert response.status_code == 500
    (access,) = lines.find(logger="app.access")
    assert access["level"] == "error"
    assert access["status"] == 500
    exception = access["exception"]
    assert exception["type"] == "RuntimeError"
    assert exception["frames"][-1]["function"] == "fails"
    assert exception["cause"]["type"] == "KeyError"
    assert "secret detail" not in lines.raw[-1]


async def test_stdlib_and_third_party_loggers_come_out_as_json() -> None:
    with capture_logs() as lines:
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("alembic.runtime.migration").info("Running upgrade")
        logging.getLogger("sqlalchemy.engine.Engine").warning("pool exhausted")
        logging.getLogger("tests.stdlib").info("with %s args", "positional", extra={"blocks": 13})
    assert [line["logger"] for line in lines] == [
        "uvicorn.error",
        "alembic.runtime.migration",
        "sqlalchemy.engine.Engine",
        "tests.stdlib",
    ]
    assert lines[-1]["event"] == "with positional args"
    assert lines[-1]["blocks"] == 13
    assert all(line["service"] == "residency-scheduler" for line in lines)


async def test_uvicorn_access_log_and_sql_parameters_are_held_back() -> None:
    with capture_logs() as lines:
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /x?email=a@b.c" 200')
        logging.getLogger("sqlalchemy.engine.Engine").info("INSERT ... ('Jane Doe',)")
    assert lines == []


async def test_user_is_a_pseudonym_never_the_id(make_settings: Callable[..., Settings]) -> None:
    from app.core.context import user_id_var

    configure_logging(make_settings())
    token = user_id_var.set(4242)
    try:
        with capture_logs() as lines:
            get_logger("tests.user").info("did something", user_id=4242)
    finally:
        user_id_var.reset(token)
    (line,) = lines
    assert re.fullmatch(r"u_[0-9a-f]{16}", str(line["user_pseudonym"]))
    assert line["user_id"] == "[REDACTED]"
    assert "4242" not in lines.raw[0]


def test_pseudonyms_are_stable_across_replicas_sharing_jwt_secret() -> None:
    from types import SimpleNamespace

    from pydantic import SecretStr

    from app.core.logging.config import _pseudonym_key
    from app.core.logging.processors import RequestContext

    def pseudonym(secret: str) -> str:
        settings = SimpleNamespace(jwt_secret=SecretStr(secret))
        return RequestContext(_pseudonym_key(settings)).pseudonym(7)  # type: ignore[arg-type]

    assert pseudonym("a" * 40) == pseudonym("a" * 40)  # two processes, one secret
    assert pseudonym("a" * 40) != pseudonym("b" * 40)


async def test_console_format_is_readable(
    make_settings: Callable[..., Settings], capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_format="console", log_file=None))
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        get_logger("tests.console").exception("it broke", email="a@example.org", blocks=3)
    out = capfd.readouterr().out
    assert "it broke" in out and "blocks=3" in out and "email=[REDACTED]" in out
    assert "ZeroDivisionError (message not logged" in out
    assert "division by zero" not in out
    assert not out.lstrip().startswith("{")


async def test_create_app_twice_configures_once(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    first = create_app(settings)
    second = create_app(settings)
    ours = [h for h in logging.getLogger().handlers if type(h).__name__ == "PipelineHandler"]
    assert len(ours) == 1
    assert first.state.telemetry.access_log is not None
    assert second.state.telemetry.access_log is not None
    with capture_logs() as lines:
        get_logger("tests.once").info("one line")
    assert len(lines) == 1
    for app in (first, second):
        await app.state.services.database.dispose()


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_lines_in_a_traced_request_carry_its_trace_id(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(tracing_enabled=True))

    @app.get("/tests/traced")
    async def traced() -> dict[str, str]:
        get_logger("tests.traced").info("inside the server span")
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with capture_logs() as lines:
            await client.get("/tests/traced", headers={"traceparent": TRACEPARENT})
    await app.state.services.database.dispose()
    (inside,) = lines.find(logger="tests.traced")
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["span_id"] != "00f067aa0ba902b7"  # the server span, a child of the caller's


async def test_access_line_of_a_traced_request_carries_its_trace_id(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(tracing_enabled=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with capture_logs() as lines:
            await client.get("/health", headers={"traceparent": TRACEPARENT})
    await app.state.services.database.dispose()
    (access,) = lines.find(logger="app.access")
    assert access["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_server_handlers_added_later_are_rerouted_on_the_next_create_app(
    make_settings: Callable[..., Settings], capfd: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(log_file=None)
    first = create_app(settings)
    # what gunicorn's glogging (or uvicorn's dictConfig) does in a worker before loading the app
    gunicorn = logging.getLogger("gunicorn.error")
    gunicorn.addHandler(logging.StreamHandler())
    gunicorn.propagate = False
    second = create_app(settings)  # same settings: nothing rebuilt, servers rerouted
    capfd.readouterr()
    with capture_logs() as lines:
        gunicorn.info("Booting worker with pid: %s", 4242)
    assert lines[0]["logger"] == "gunicorn.error"
    assert lines[0]["event"] == "Booting worker with pid: 4242"
    assert "Booting worker" not in capfd.readouterr().err  # no plain-text copy
    for app in (first, second):
        await app.state.services.database.dispose()
