"""Per-request context that logs, spans and audit events read without threading it through."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id the request layer generated: unique per request, never chosen by the client."""
client_request_id_var: ContextVar[str | None] = ContextVar("client_request_id", default=None)
"""The client's ``X-Request-ID`` when it sent a valid one: for correlation only, not unique."""
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_client_request_id() -> str | None:
    return client_request_id_var.get()
