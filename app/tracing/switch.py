"""The process's one tracer provider, whose SDK backend setup_tracing can replace.

Everything here (server spans, SQLAlchemy and httpx spans, trace_function) gets tracers from
:data:`PROCESS`, which delegates to the current SDK provider: a second setup_tracing with a new
configuration (a test, a re-created app) takes effect for every tracer, old or new, which
OpenTelemetry's set-once global provider cannot do. Delegation costs one attribute check per
span. (Why it is not also the global provider: see app/tracing/setup.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span
from opentelemetry.util.types import Attributes


class SwitchableTracerProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self._backend: trace.TracerProvider = trace.NoOpTracerProvider()
        self._generation = 0

    @property
    def backend(self) -> trace.TracerProvider:
        return self._backend

    def use(self, backend: trace.TracerProvider) -> trace.TracerProvider:
        """Route every tracer to ``backend``; returns the previous backend."""
        previous, self._backend = self._backend, backend
        self._generation += 1
        return previous

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> trace.Tracer:
        key = (instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        return SwitchableTracer(self, key)


class SwitchableTracer(trace.Tracer):
    def __init__(self, provider: SwitchableTracerProvider, key: tuple[Any, ...]) -> None:
        self._provider = provider
        self._key = key
        self._generation = -1
        self._tracer: trace.Tracer = trace.NoOpTracer()

    @property
    def current(self) -> trace.Tracer:
        provider = self._provider
        if self._generation != provider._generation:
            self._tracer = provider._backend.get_tracer(*self._key)
            self._generation = provider._generation
        return self._tracer

    # Both take exactly the arguments of trace.Tracer's methods and pass them on unchanged.
    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        return self.current.start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]  # same protocol, stdlib decorator
        self, *args: Any, **kwargs: Any
    ) -> Iterator[Span]:
        with self.current.start_as_current_span(*args, **kwargs) as span:
            yield span


PROCESS = SwitchableTracerProvider()
