"""The domain's one outlet for observable facts.

Domain services publish small immutable events; the metrics (and anything else that wants them)
subscribe by event type. Publishing never raises into the domain: a failing subscriber is
logged and skipped, because telemetry must never break a coordinator's request.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    @contextmanager
    def subscribed(self, handlers: Mapping[type, Handler]) -> Iterator[None]:
        """Subscribe ``handlers`` (by event type) for the duration of the ``with`` block."""
        for event_type, handler in handlers.items():
            self.subscribe(event_type, handler)
        try:
            yield
        finally:
            for event_type, handler in handlers.items():
                self.unsubscribe(event_type, handler)

    def publish(self, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                logger.exception(
                    "event subscriber failed", extra={"event_type": type(event).__name__}
                )


bus = EventBus()
"""The process-wide bus; each app's lifespan subscribes its metrics to it."""


def publish(event: object) -> None:
    bus.publish(event)
