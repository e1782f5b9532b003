"""The domain's one outlet for observable facts.

Domain services publish small immutable events; the metrics (and anything else that wants them)
subscribe by event type. Publishing never raises into the domain: a failing subscriber is
logged and skipped, because telemetry must never break a coordinator's request.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
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

    def publish(self, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                logger.exception(
                    "event subscriber failed", extra={"event_type": type(event).__name__}
                )


bus = EventBus()
"""The process-wide bus; ``create_app()`` subscribes the metrics to it."""


def publish(event: object) -> None:
    bus.publish(event)
