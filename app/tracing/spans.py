"""Custom spans: ``@trace_function``, ``traced(...)``, ``add_span_attributes`` and the error
recording every span here shares (exception type and frames, never the message: messages of
database and validation errors can carry names and parameters; the log line with the same
trace_id has the redacted message)."""

from __future__ import annotations

import functools
import inspect
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast, overload

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from app import __version__
from app.tracing.attributes import safe_attributes
from app.tracing.switch import PROCESS

F = TypeVar("F", bound=Callable[..., Any])

tracer = PROCESS.get_tracer("residency_scheduler", __version__)


def error_type(exc: BaseException) -> str:
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def record_error(span: Span, exc: BaseException) -> None:
    """Mark ``span`` failed with ``exc``: ``error.type``, an ``exception`` event with the type and
    the stack frames, and ERROR status described by the type."""
    if not span.is_recording():
        return
    kind = error_type(exc)
    frames = "".join(traceback.format_tb(exc.__traceback__))
    span.set_attribute("error.type", kind)
    span.add_event(
        "exception",
        {"exception.type": kind, "exception.stacktrace": frames, "exception.escaped": True},
    )
    span.set_status(Status(StatusCode.ERROR, kind))


@contextmanager
def _span(name: str, attributes: Mapping[str, AttributeValue]) -> Iterator[Span]:
    with tracer.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except Exception as exc:
            record_error(span, exc)
            raise


@contextmanager
def traced(name: str, **attributes: object) -> Iterator[Span]:
    """A span around a block, current inside it, with safe attributes; exceptions recorded.

    ``with traced("compliance.validate", source="upload"): ...``
    """
    with _span(name, safe_attributes(attributes)) as span:
        yield span


@overload
def trace_function(name: F, /) -> F: ...


@overload
def trace_function(
    name: str | None = None, /, *, attributes: Mapping[str, object] | None = None
) -> Callable[[F], F]: ...


def trace_function(
    name: str | F | None = None, /, *, attributes: Mapping[str, object] | None = None
) -> F | Callable[[F], F]:
    """Run the decorated function (sync or async) in a span named ``name`` (default: its
    qualified name). Exceptions are recorded and set ERROR status, then re-raised; the
    signature, metadata and return value are the function's own."""
    if callable(name):
        return _decorate(name, None, attributes)
    return lambda function: _decorate(function, name, attributes)


def _decorate(function: F, name: str | None, attributes: Mapping[str, object] | None) -> F:
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        raise TypeError(
            f"trace_function cannot trace generator {function.__qualname__}: its span would end "
            "before it runs; use `with traced(...)` inside it"
        )
    span_name = name or function.__qualname__
    static = safe_attributes(attributes or {})

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def traced_coroutine(*args: Any, **kwargs: Any) -> Any:
            with _span(span_name, static):
                return await function(*args, **kwargs)

        return cast(F, traced_coroutine)

    @functools.wraps(function)
    def traced_function(*args: Any, **kwargs: Any) -> Any:
        with _span(span_name, static):
            return function(*args, **kwargs)

    return cast(F, traced_function)


def add_span_attributes(**attributes: object) -> None:
    """Set attributes on the current span; a no-op without a recording span. Personal-data keys
    are dropped and values coerced (see app/tracing/attributes.py for the policy)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(safe_attributes(attributes))


def current_trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) in hex of the current span, for log lines; None outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
