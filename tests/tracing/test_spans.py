"""trace_function and traced: sync and async, errors recorded, functions unchanged."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from app.tracing import current_trace_ids, trace_function, traced


def only(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    spans = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(spans) == 1, [s.name for s in exporter.get_finished_spans()]
    return spans[0]


@trace_function("schedule_generation")
async def generate(residents: list[str], *, seed: int = 1) -> dict[str, int]:
    """Generate a schedule."""
    await asyncio.sleep(0)
    return {"residents": len(residents), "seed": seed}


@trace_function("validate", attributes={"source": "upload", "user_id": 7})
def validate(shifts: int) -> int:
    return shifts * 2


@trace_function
def bare(x: int) -> int:
    return x + 1


async def test_async_function_runs_in_a_span(memory_spans: InMemorySpanExporter) -> None:
    assert await generate(["r01", "r02"], seed=5) == {"residents": 2, "seed": 5}
    span = only(memory_spans, "schedule_generation")
    assert span.status.status_code is StatusCode.UNSET


def test_sync_function_runs_in_a_span_with_safe_static_attributes(
    memory_spans: InMemorySpanExporter,
) -> None:
    assert validate(4) == 8
    assert dict(only(memory_spans, "validate").attributes or {}) == {"source": "upload"}


def test_bare_decorator_names_the_span_after_the_function(
    memory_spans: InMemorySpanExporter,
) -> None:
    assert bare(1) == 2
    only(memory_spans, "bare")


def test_signature_and_metadata_are_preserved() -> None:
    assert generate.__name__ == "generate"
    assert generate.__doc__ == "Generate a schedule."
    assert str(inspect.signature(generate)) == str(inspect.signature(generate.__wrapped__))
    assert inspect.iscoroutinefunction(generate)
    assert not inspect.iscoroutinefunction(validate)


class ResidentError(RuntimeError):
    pass


@pytest.mark.parametrize("is_async", [True, False])
async def test_exceptions_are_recorded_without_their_message(
    memory_spans: InMemorySpanExporter, is_async: bool
) -> None:
    person = "Jane Doe"  # runtime data: frames show source lines, never values

    @trace_function("failing")
    async def failing_async() -> None:
        raise ResidentError(f"{person} has no shifts")

    @trace_function("failing")
    def failing_sync() -> None:
        raise ResidentError(f"{person} has no shifts")

    with pytest.raises(ResidentError, match="Jane Doe"):  # the caller still gets it all
        if is_async:
            await failing_async()
        else:
            failing_sync()
    span = only(memory_spans, "failing")
    assert span.status.status_code is StatusCode.ERROR
    kind = f"{__name__}.ResidentError"
    assert span.status.description == kind
    assert (span.attributes or {})["error.type"] == kind
    (event,) = span.events
    assert event.name == "exception"
    assert (event.attributes or {})["exception.type"] == kind
    assert "failing_" in str((event.attributes or {})["exception.stacktrace"])
    assert "Jane" not in repr(span.to_json())


def test_generators_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot trace generator"):

        @trace_function("gen")
        def numbers() -> object:
            yield 1


async def test_spans_nest_and_expose_ids_for_logs(memory_spans: InMemorySpanExporter) -> None:
    assert current_trace_ids() is None
    with traced("outer", blocks=13) as outer:
        ids = current_trace_ids()
        await generate(["r01"])
    assert ids is not None
    assert ids == (
        format(outer.get_span_context().trace_id, "032x"),
        format(outer.get_span_context().span_id, "016x"),
    )
    inner = only(memory_spans, "schedule_generation")
    assert inner.parent is not None and inner.parent.span_id == outer.get_span_context().span_id
    assert dict(only(memory_spans, "outer").attributes or {}) == {"blocks": 13}


def test_without_setup_spans_cost_nothing_and_work() -> None:
    assert validate(2) == 4  # the no-op provider: no span, same result
    with traced("nothing") as span:
        assert not span.is_recording()
