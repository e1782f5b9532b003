"""413 for a request body over its limit, before anything parses it or signs anyone in.

A pure ASGI layer: a declared ``Content-Length`` over the limit is answered at once, without
reading the body; a body without one (chunked) or longer than it said is counted as it streams
in, and reading stops at the first byte over the limit. Imports and validation take whole
schedule files and get their own, larger limit (``MAX_IMPORT_BYTES``).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import API_PREFIX

LARGE_BODY_ROUTES = frozenset(
    {("POST", f"{API_PREFIX}/schedule/import"), ("POST", f"{API_PREFIX}/compliance/validate")}
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes its limit. An HTTPException, so FastAPI's
    body reading lets it through (instead of a 400) and the exception handlers answer 413."""

    def __init__(self, limit: int) -> None:
        # No "Connection: close": a client still sending would get a reset instead of the 413.
        # The server discards the rest of the body unparsed, then the connection goes on.
        super().__init__(status_code=413, detail=f"request body too large: at most {limit} bytes")


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_large_body_bytes: int,
        large_body_routes: Collection[tuple[str, str]] = LARGE_BODY_ROUTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_large_body_bytes = max_large_body_bytes
        self.large_body_routes = frozenset(large_body_routes)

    def limit_for(self, scope: Scope) -> int:
        path = scope["path"].removeprefix(scope.get("root_path", "")).rstrip("/")
        if (scope["method"], path) in self.large_body_routes:
            return self.max_large_body_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Read outside a route (the route's own handlers answer it there).
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    error = BodyTooLarge(limit)
    return JSONResponse({"detail": error.detail}, status_code=413, headers=error.headers)
