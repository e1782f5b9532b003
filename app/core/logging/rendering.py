"""The last processor: one JSON object per line, or a readable line for development."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import uuid
from pathlib import PurePath
from typing import Any

import structlog
from structlog.typing import EventDict

# Correlation fields first, so a human scanning the file reads them in the same place.
HEAD = (
    "timestamp",
    "level",
    "logger",
    "event",
    "service",
    "environment",
    "version",
    "request_id",
    "trace_id",
    "span_id",
    "user_pseudonym",
)


def plain(value: object) -> object:
    """JSON for what ``json`` cannot encode. Unknown objects become their type name: their
    ``str()`` could be a model holding a name or an email, which redaction cannot see."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | decimal.Decimal | PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return f"<{type(value).__qualname__}>"


_encode = json.JSONEncoder(
    default=plain, ensure_ascii=False, separators=(",", ":"), skipkeys=True
).encode


def render_json(_logger: Any, _method: str, event_dict: EventDict) -> str:
    line = {key: event_dict.pop(key) for key in HEAD if key in event_dict}
    exception = event_dict.pop("exception", None)
    line.update(event_dict)
    if exception is not None:
        line["exception"] = exception
    return _encode(line)


def console_renderer(colors: bool) -> structlog.dev.ConsoleRenderer:
    # Exceptions arrive already structured and rendered as text (exceptions.exception_as_text).
    return structlog.dev.ConsoleRenderer(colors=colors, sort_keys=False)
