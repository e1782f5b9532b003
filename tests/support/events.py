"""Catching what the app publishes on its event bus."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.events import bus


@contextmanager
def captured(*event_types: type) -> Iterator[list[Any]]:
    """Events of ``event_types`` published on the app's bus while the block runs."""
    seen: list[Any] = []
    for event_type in event_types:
        bus.subscribe(event_type, seen.append)
    try:
        yield seen
    finally:
        for event_type in event_types:
            bus.unsubscribe(event_type, seen.append)
