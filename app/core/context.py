"""Per-request context that logs, spans and audit events read without threading it through."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
