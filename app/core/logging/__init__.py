"""Structured JSON logs: correlation ids, redaction, multi-process rotation (docs/logging.md).

Use ``get_logger(__name__)`` (structlog) or ``logging.getLogger(__name__)`` (standard library);
both end up as the same JSON lines once :func:`configure_logging` (called by ``create_app``)
has run.
"""

from __future__ import annotations

from app.core.logging.access import AccessLog
from app.core.logging.config import configure_logging, get_logger, is_configured
from app.core.logging.sinks import write_errors

__all__ = [
    "AccessLog",
    "configure_logging",
    "get_logger",
    "is_configured",
    "write_errors",
]
