"""Where rendered lines go: standard output, a rotating file, or memory (tests).

A sink takes one rendered line (no trailing newline) and must never raise: a full or unwritable
disk, a closed pipe or a vanished directory is counted in :data:`write_errors`, reported once
on stderr per outage, and the request carries on (DESIGN principle 4).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Protocol


class Sink(Protocol):
    name: str

    def write(self, line: str) -> None:
        """Write one line; never raise."""

    def close(self) -> None: ...


class WriteErrors:
    """Lines that could not be written, per sink. Listeners (e.g. a metrics counter) are
    called on every failure with a bounded kind -- ``stdout``, ``stderr``, ``file`` or
    ``pipeline`` -- safe as a label; the first failure of an outage is also reported on
    stderr, directly, because logging about logging would recurse."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.listeners: list[Callable[[str], None]] = []
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def record(self, sink: str, exc: BaseException, kind: str = "pipeline") -> None:
        with self._lock:
            self.counts[sink] = self.counts.get(sink, 0) + 1
            first = sink not in self._failing
            self._failing.add(sink)
        if first:
            _stderr(
                f"residency-scheduler: cannot write log lines to {sink} ({exc!r}); "
                "counting dropped lines until it recovers, requests are unaffected\n"
            )
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # a broken listener must not break logging
                listener(kind)

    def recovered(self, sink: str) -> None:
        if sink in self._failing:
            with self._lock:
                self._failing.discard(sink)
            _stderr(f"residency-scheduler: writing log lines to {sink} again\n")


write_errors = WriteErrors()


def _stderr(text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "backslashreplace"))


def write_fully(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is out: regular files and pipes may take part of a
    buffer (disk nearly full, signal); the loop ends in an ``OSError`` when nothing fits."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class StreamSink:
    """Lines to a file descriptor (1 = standard output, what containers collect).

    One ``os.write`` per line: no Python-level buffering to lose on a crash, and on a pipe a
    line of up to PIPE_BUF (4096) bytes is never interleaved with another worker's line.
    """

    def __init__(self, fd: int = 1, name: str = "stdout") -> None:
        self.fd = fd
        self.name = name

    def write(self, line: str) -> None:
        try:
            write_fully(self.fd, (line + "\n").encode("utf-8", "backslashreplace"))
        except OSError as exc:
            write_errors.record(self.name, exc, self.name)

    def close(self) -> None:
        """The descriptor belongs to the process, not to us."""


class MemorySink:
    """Keeps lines in a list: the backing of :func:`app.core.logging.testing.capture_logs`."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line)

    def close(self) -> None:
        pass


class Outputs:
    """The sinks every logger writes to: the configured ones plus any added for a while (a
    test's capture). Replaced as a whole tuple (one atomic assignment) on every change, so a
    writer in another thread never sees a half-built list."""

    def __init__(self, default: tuple[Sink, ...] = ()) -> None:
        self.sinks: tuple[Sink, ...] = default
        self._configured: tuple[Sink, ...] = default
        self._extra: tuple[Sink, ...] = ()

    def write(self, line: str) -> None:
        for sink in self.sinks:
            sink.write(line)

    def configure(self, sinks: tuple[Sink, ...]) -> None:
        self._configured = sinks
        self.sinks = (*sinks, *self._extra)

    def add(self, sink: Sink) -> None:
        self._extra = (*self._extra, sink)
        self.sinks = (*self._configured, *self._extra)

    def remove(self, sink: Sink) -> None:
        self._extra = tuple(s for s in self._extra if s is not sink)
        self.sinks = (*self._configured, *self._extra)


outputs = Outputs((StreamSink(2, "stderr"),))
"""Until logging is configured: standard error, so a command's standard output stays its own."""
