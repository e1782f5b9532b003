"""``GET /metrics``: Prometheus text or OpenMetrics by the ``Accept`` header, gzip when
accepted, an optional bearer token, and rendering in a worker thread.

Scrape-time refresh hooks (async: they may query the database) run on the event loop first;
collecting and rendering (CPU work that grows with the number of series, and file reads in
multiprocess mode) then run off it, so a scrape never stalls requests.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.registry import Collector

from app.core.request_telemetry import METRICS_PATH
from app.services import AppServices

GZIP_MIN_BYTES = 1024  # below this gzip costs more than it saves
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"}


def render(source: Collector, accept: str, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a scrape answer (runs in a worker thread)."""
    encoder, content_type = choose_encoder(accept)
    body = encoder(source)
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "no-store",
        "Vary": "Accept, Accept-Encoding",
    }
    if len(body) >= GZIP_MIN_BYTES and gzip_accepted(accept_encoding):
        body = gzip.compress(body, compresslevel=1)  # fast: scrapes are frequent
        headers["Content-Encoding"] = "gzip"
    return body, headers


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def bearer_token_matches(authorization: str | None, expected_digest: bytes) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>`` (digests compare equal-length
    values, so neither content nor length of the token leaks through timing)."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(_digest(presented.strip()), expected_digest)


router = APIRouter()


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request, services: AppServices) -> Response:
    served = services.metrics
    if served is None:  # METRICS_ENABLED=false
        return Response(b"", status_code=404)
    if served.token is not None and not bearer_token_matches(
        request.headers.get("authorization"), _digest(served.token)
    ):
        return Response(b"", status_code=401, headers=UNAUTHORIZED_HEADERS)
    await served.refresh()
    body, headers = await anyio.to_thread.run_sync(
        render,
        served.metrics.exposition,
        request.headers.get("accept", ""),
        request.headers.get("accept-encoding", ""),
    )
    return Response(body, headers=headers)
