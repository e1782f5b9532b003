"""Client spans: outgoing httpx requests (URL without query or credentials, traceparent sent)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.tracing import traced
from app.tracing.instrument import bare_url, instrument_httpx, use_stable_http_conventions


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("url", "bare"),
    [
        ("https://u:p@grafana.example:3000/api/x?token=abc#frag", "https://grafana.example:3000/api/x"),
        ("http://[::1]:9091/metrics/job/x", "http://[::1]:9091/metrics/job/x"),
        ("http://host/path", "http://host/path"),
    ],
)  # fmt: skip
def test_bare_url(url: str, bare: str) -> None:
    assert bare_url(url) == bare


async def test_httpx_requests_are_client_spans_that_propagate(
    memory_spans: InMemorySpanExporter, upstream: tuple[str, list[dict[str, str]]]
) -> None:
    use_stable_http_conventions()
    instrument_httpx()
    base, seen = upstream
    with traced("outer") as outer:
        async with httpx.AsyncClient(trust_env=False) as client:
            assert (await client.get(f"{base}/api/dashboards?api_key=SECRET123")).status_code == 200
        with httpx.Client(trust_env=False) as client:
            assert client.get(f"{base}/sync?user=jane").status_code == 200
    spans = [s for s in memory_spans.get_finished_spans() if s.name != "outer"]
    assert len(spans) == 2
    trace_id = outer.get_span_context().trace_id
    for span in spans:
        assert span.parent is not None and span.parent.span_id == outer.get_span_context().span_id
        urls = [v for k, v in (span.attributes or {}).items() if k in ("url.full", "http.url")]
        assert urls and all("?" not in str(u) for u in urls)
    text = " ".join(repr(s.to_json()) for s in spans)
    assert "SECRET123" not in text and "jane" not in text
    assert all(format(trace_id, "032x") in headers["traceparent"] for headers in seen[-2:])
