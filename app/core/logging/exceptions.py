"""Exceptions as structured fields: type, frames and causes -- never the message.

Messages of exceptions are free text that libraries fill with the caller's input: pydantic's
``input_value=...``, SQLAlchemy's ``[parameters: ('Jane Doe', 'jane@...')]``, a developer's
f-string with a name. No pattern can find a person's name in free text, so the message is left
out; the type and the frames locate the bug, and request_id/trace_id lead to the context.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import Any

from structlog.typing import EventDict

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

MAX_FRAMES = 30
MAX_CHAIN = 3
MAX_GROUP = 5


def exception_fields(exc: BaseException, _depth: int = 0) -> dict[str, Any]:
    kind = type(exc)
    module = kind.__module__
    fields: dict[str, Any] = {
        "type": kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}",
        "frames": [
            {"file": frame.filename, "line": frame.lineno, "function": frame.name}
            for frame in traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
        ],
    }
    if isinstance(exc, BaseExceptionGroup) and _depth < MAX_CHAIN:
        fields["exceptions"] = [
            exception_fields(inner, _depth + 1) for inner in exc.exceptions[:MAX_GROUP]
        ]
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and _depth < MAX_CHAIN:
        fields["cause"] = exception_fields(cause, _depth + 1)
    return fields


def _exception_from(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def structure_exception(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Turn ``exc_info`` (``log.exception``, ``exc_info=True``, an exception or a
    ``sys.exc_info()`` tuple) into an ``exception`` object; drop ``stack_info``."""
    event_dict.pop("stack_info", None)
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        exc = _exception_from(exc_info)
        if exc is not None:
            event_dict["exception"] = exception_fields(exc)
    elif isinstance(event_dict.get("exception"), BaseException):
        event_dict["exception"] = exception_fields(event_dict["exception"])
    return event_dict


def render_exception_text(fields: dict[str, Any], indent: str = "") -> str:
    """A traceback-like rendering of :func:`exception_fields` for the console format."""
    lines = [f"{indent}{fields['type']} (message not logged; see docs/logging.md)"]
    lines.extend(
        f'{indent}  File "{f["file"]}", line {f["line"]}, in {f["function"]}'
        for f in fields.get("frames", ())
    )
    for inner in fields.get("exceptions", ()):
        lines.append(render_exception_text(inner, indent + "  | "))
    if "cause" in fields:
        lines.append(f"{indent}caused by:")
        lines.append(render_exception_text(fields["cause"], indent))
    return "\n".join(lines)


def exception_as_text(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Console format: structlog's ConsoleRenderer prints a string ``exception`` below the
    line, like a traceback."""
    fields = event_dict.get("exception")
    if isinstance(fields, dict):
        event_dict["exception"] = render_exception_text(fields)
    return event_dict
