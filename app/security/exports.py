"""Unusual export volume: more than N schedule exports by one user within an hour.

Counted in the rate limiter's storage (in process or Redis), in fixed one-hour windows from a
user's first export. Exports are never blocked: crossing the threshold is flagged once per
window as suspicious activity for a human to look at.
"""

from __future__ import annotations

import logging

from limits.aio.storage import Storage
from limits.errors import StorageError

from app.events import publish
from app.security.events import RedisUnavailable

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


class ExportMonitor:
    def __init__(self, storage: Storage, threshold: int) -> None:
        self.storage = storage
        self.threshold = threshold

    async def exported(self, user_id: int | None) -> bool:
        """Count one export; True exactly when this export crosses the hourly threshold."""
        if user_id is None:
            return False
        try:
            count = await self.storage.incr(f"exports/{user_id}", WINDOW_SECONDS)
        except (StorageError, ConnectionError, OSError):
            logger.warning("export monitor: storage unavailable")
            publish(RedisUnavailable("exports"))
            return False
        return count == self.threshold + 1
