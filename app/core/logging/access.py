"""One access-log line per request, from the request telemetry layer's :class:`RequestInfo`.

Route template (``/api/v1/people/{person_id}``), allow-listed method, status, duration and
request id (the server's, plus the client's ``client_request_id`` when it sent a valid one);
never the raw path, the query string, headers, the client address or a body.
A failed request is logged at ``error`` with the exception as structured fields.
"""

from __future__ import annotations

from app.core.logging.config import get_logger
from app.core.request_telemetry import RequestInfo

ACCESS_LOGGER = "app.access"


class AccessLog:
    """Implements the ``AccessLog`` protocol of :mod:`app.core.request_telemetry`."""

    __slots__ = ("_logger",)

    def __init__(self, logger_name: str = ACCESS_LOGGER) -> None:
        self._logger = get_logger(logger_name)

    def __call__(self, info: RequestInfo) -> None:
        failed = info.error is not None or info.status >= 500
        log = self._logger.error if failed else self._logger.info
        log(
            "request",
            route=info.route,
            method=info.method,
            status=info.status,
            duration_ms=round(info.duration * 1000, 3),
            request_id=info.request_id,
            **({"client_request_id": info.client_request_id} if info.client_request_id else {}),
            **({"exc_info": info.error} if failed else {}),
        )
