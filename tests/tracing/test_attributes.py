"""add_span_attributes: personal data never leaves, values become OpenTelemetry-valid."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.tracing import add_span_attributes, traced
from app.tracing.attributes import coerce, is_personal_key, safe_attributes


@pytest.mark.parametrize(
    "key",
    [
        "user_id", "userId", "user", "resident", "resident_id", "resident_name", "residents",
        "person_id", "patient", "actor_user_id", "name", "first_name", "lastName", "email",
        "user_email", "password", "new_password", "token", "access_token", "refresh_token",
        "secret", "api_key", "apiKey", "authorization", "cookie", "phone", "address", "ssn",
        "birth_date", "dob", "mrn", "client_ip", "session_id", "coordinator", "doctor_code",
    ],
)  # fmt: skip
def test_personal_keys_are_dropped(key: str) -> None:
    assert is_personal_key(key)
    assert safe_attributes({key: "x"}) == {}


@pytest.mark.parametrize(
    "key",
    [
        "resident_count", "residents_total", "user_count", "blocks", "violations", "source",
        "strict", "outcome", "rule", "rotation", "shifts", "seed", "http.route", "valid",
    ],
)  # fmt: skip
def test_counts_and_domain_keys_are_kept(key: str) -> None:
    assert not is_personal_key(key)
    assert safe_attributes({key: 3}) == {key: 3}


@pytest.mark.parametrize(
    "value",
    [
        "jane.doe@example.org",
        "contact: Jane <jane@hospital.example>",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "Bearer abc.def",
        ["ok", "x@y.example"],
    ],
)
def test_values_that_look_like_emails_or_credentials_are_dropped(value: object) -> None:
    assert safe_attributes({"note": value}) == {}


class Kind(enum.Enum):
    CALL = "call"
    OTHER = object()


@pytest.mark.parametrize(
    ("value", "coerced"),
    [
        ("text", "text"),
        (True, True),
        (3, 3),
        (2.5, 2.5),
        (2**70, str(2**70)),
        (Kind.CALL, "call"),
        (Kind.OTHER, "OTHER"),
        (dt.date(2026, 7, 1), "2026-07-01"),
        (dt.datetime(2026, 7, 1, 7, 30), "2026-07-01T07:30:00"),
        (dt.timedelta(minutes=1), 60.0),
        (Decimal("1.5"), 1.5),
        ([1, 2], [1, 2]),
        ((1, "a"), ["1", "a"]),
        ({"b"}, ["b"]),
        ([], []),
    ],
)
def test_values_become_otel_valid(value: object, coerced: object) -> None:
    assert coerce(value) == coerced


@pytest.mark.parametrize("value", [None, {"a": 1}, b"raw", object(), [{"a": 1}]])
def test_values_without_a_safe_form_are_dropped(value: object) -> None:
    assert safe_attributes({"detail": value}) == {}


def test_dropped_keys_are_logged_once_without_their_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="app.tracing.attributes"):
        safe_attributes({"reviewer_email": "secret-value@example.org"})
        safe_attributes({"reviewer_email": "secret-value@example.org"})
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "span attribute 'reviewer_email' dropped: personal data (see docs/tracing.md)"
    ]
    assert "secret-value" not in caplog.text


def test_add_span_attributes_is_a_no_op_without_a_span(memory_spans: InMemorySpanExporter) -> None:
    add_span_attributes(resident_count=3)  # no current span: nothing happens, nothing raises
    assert memory_spans.get_finished_spans() == ()


def test_add_span_attributes_on_the_current_span(memory_spans: InMemorySpanExporter) -> None:
    class User:
        id = 42

    user, residents = User(), ["r01", "r02", "r03"]
    with traced("schedule_generation"):
        add_span_attributes(
            user_id=user.id, resident_count=len(residents), when=dt.date(2026, 7, 1)
        )
    (span,) = memory_spans.get_finished_spans()
    assert dict(span.attributes or {}) == {"resident_count": 3, "when": "2026-07-01"}
