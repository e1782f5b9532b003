"""install_logging(app, settings): the one line ``create_app`` calls for logs."""

from __future__ import annotations

from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging.access import AccessLog
from app.core.logging.config import configure_logging


def install_logging(app: FastAPI, settings: Settings) -> None:
    """Configure the process's logging (once; repeated calls with the same settings are
    no-ops) and attach the access log to the app's request telemetry layer."""
    configure_logging(settings)
    app.state.telemetry.access_log = AccessLog()
