"""A local HTTP receiver that records the JSON bodies posted to it.

Alertmanager's PagerDuty and Slack integrations (and webhooks in general) post JSON to a URL;
this receiver stands in for the vendor's endpoint on ``127.0.0.1`` and keeps every request
for assertions::

    with recording_receiver(status=202) as pagerduty:
        ...  # point Alertmanager's pagerduty_configs url at pagerduty.url + "/v2/enqueue"
        event = pagerduty.wait_for(lambda r: r.json["event_action"] == "trigger")

The server binds port 0 (no free-port race), answers from a thread per request and is shut
down when the block ends, also when the test body raised.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "RecordingReceiver", "recording_receiver"]


@dataclass(frozen=True)
class Received:
    """One request: its path, headers (lower-case names), raw body and the body as JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body)


class RecordingReceiver:
    """Records every request; answers each with ``status`` and ``response_body``."""

    def __init__(
        self, *, status: int = 200, response_body: bytes = b"ok", content_type: str = "text/plain"
    ) -> None:
        self.status = status
        self.response_body = response_body
        self.content_type = content_type
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def received(self) -> list[Received]:
        """A snapshot of every request so far, oldest first."""
        with self._changed:
            return list(self._received)

    def wait_for(
        self, predicate: Callable[[Received], bool], what: str, timeout: float = 60.0
    ) -> Received:
        """The first request (old or new) that satisfies ``predicate``; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for request in self._received:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout:.0f}s waiting for {what}; received: "
                        f"{[r.body.decode(errors='replace') for r in self._received]}"
                    )
                self._changed.wait(remaining)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _record(self, request: Received) -> None:
        with self._changed:
            self._received.append(request)
            self._changed.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver._record(Received(self.command, self.path, headers, body))
                self.send_response(receiver.status)
                self.send_header("Content-Type", receiver.content_type)
                self.send_header("Content-Length", str(len(receiver.response_body)))
                self.end_headers()
                self.wfile.write(receiver.response_body)

            do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return None  # keep test output clean

        return Handler


@contextmanager
def recording_receiver(
    *, status: int = 200, response_body: bytes = b"ok", content_type: str = "text/plain"
) -> Iterator[RecordingReceiver]:
    """A started :class:`RecordingReceiver`, shut down when the block ends."""
    receiver = RecordingReceiver(
        status=status, response_body=response_body, content_type=content_type
    )
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
