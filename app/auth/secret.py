"""One signing key for every process that serves: ``serve`` calls this before it forks.

Each worker builds its own app and reads ``JWT_SECRET`` from the environment. When it is
unset (development and test only: production refuses to start), every worker used to make its
own key, so a token signed by one worker was refused by the next. Generating one key in the
parent and putting it in the environment before workers (or uvicorn's reloader) start gives
all of them the same key; it still lasts only as long as this run.
"""

from __future__ import annotations

import logging
import secrets

from app.core.config import Settings
from app.core.environment import hand_down

logger = logging.getLogger(__name__)


def ensure_shared_jwt_secret(settings: Settings) -> bool:
    """Make sure every process started from here signs with the same key; True when a key
    was generated (and a warning logged) because none was configured."""
    if settings.jwt_secret is not None:
        return False  # from the environment or .env: every worker reads the same value
    hand_down(JWT_SECRET=secrets.token_urlsafe(48))
    logger.warning(
        "JWT_SECRET is not set: generated a signing key for this run, shared by its workers; "
        "sign-ins will not survive a restart or work on other replicas "
        "(set JWT_SECRET; required in production)"
    )
    return True
