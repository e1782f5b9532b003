"""capture_logs(): the JSON lines the configured pipeline writes, parsed, for assertions.

Unlike ``structlog.testing.capture_logs`` (which replaces the processors), this sees lines
exactly as they leave the process -- after correlation, redaction and rendering -- from
structlog and standard-library loggers alike::

    with capture_logs() as lines:
        await client.get("/health")
    assert lines[-1]["route"] == "/health"
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.core.config import Settings
from app.core.logging.config import configure_logging, is_configured
from app.core.logging.sinks import MemorySink, outputs


class CapturedLines(list[dict[str, Any]]):
    """Parsed lines (a list of dicts); ``raw`` keeps the text, ``find`` filters by fields."""

    def __init__(self, sink: MemorySink) -> None:
        super().__init__()
        self._sink = sink

    @property
    def raw(self) -> list[str]:
        return list(self._sink.lines)

    def refresh(self) -> CapturedLines:
        self[:] = [_parse(line) for line in self._sink.lines]
        return self

    def find(self, **fields: Any) -> list[dict[str, Any]]:
        self.refresh()
        return [line for line in self if all(line.get(k) == v for k, v in fields.items())]


def _parse(line: str) -> dict[str, Any]:
    try:
        parsed = json.loads(line)
    except ValueError:
        return {"raw": line}
    return parsed if isinstance(parsed, dict) else {"raw": line}


@contextmanager
def capture_logs() -> Iterator[CapturedLines]:
    """Collect every line written while the block runs (configuring JSON logging with the
    environment's settings first if nothing has configured it yet)."""
    if not is_configured():
        configure_logging(Settings())
    sink = MemorySink("capture")
    lines = CapturedLines(sink)
    outputs.add(sink)
    try:
        yield lines
    finally:
        outputs.remove(sink)
        lines.refresh()
