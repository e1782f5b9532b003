"""AccessLog: one line per request from the request layer's RequestInfo."""

from __future__ import annotations

from app.core.logging import AccessLog
from app.core.logging.testing import capture_logs
from app.core.request_telemetry import UNMATCHED_ROUTE, RequestInfo


def info(**overrides: object) -> RequestInfo:
    values: dict[str, object] = {
        "method": "GET",
        "route": "/api/v1/people/{person_id}",
        "status": 200,
        "duration": 0.0123456,
        "request_id": "req-12345678",
    }
    values.update(overrides)
    return RequestInfo(**values)  # type: ignore[arg-type]


def test_success_is_info_with_exactly_the_request_fields() -> None:
    with capture_logs() as lines:
        AccessLog()(info())
    (line,) = lines
    assert line["level"] == "info" and line["logger"] == "app.access"
    assert {k: line[k] for k in ("route", "method", "status", "duration_ms", "request_id")} == {
        "route": "/api/v1/people/{person_id}",
        "method": "GET",
        "status": 200,
        "duration_ms": 12.346,
        "request_id": "req-12345678",
    }
    assert "exception" not in line


def test_server_errors_are_errors_with_or_without_an_exception() -> None:
    with capture_logs() as lines:
        AccessLog()(info(status=503))
        AccessLog()(info(status=500, error=ValueError("details")))
    plain, failed = lines
    assert plain["level"] == failed["level"] == "error"
    assert "exception" not in plain
    assert failed["exception"]["type"] == "ValueError"
    assert "details" not in lines.raw[1]


def test_unmatched_routes_stay_unmatched() -> None:
    with capture_logs() as lines:
        AccessLog()(info(route=UNMATCHED_ROUTE, status=404, method="OTHER"))
    assert (lines[0]["route"], lines[0]["method"]) == (UNMATCHED_ROUTE, "OTHER")
