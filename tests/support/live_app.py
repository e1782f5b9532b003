"""The app as a real HTTP server: ``create_app(settings)`` under uvicorn on a free port.

For end-to-end tests where real servers (Prometheus) must reach the app over TCP::

    with live_app(settings) as url:
        prometheus scrapes url + "/metrics"

uvicorn runs in a thread with its own event loop (and the app's lifespan); the block ends
with a graceful shutdown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from app.core.config import Settings
from app.main import create_app
from tests.support.servers import LOOPBACK, free_port

__all__ = ["live_app"]

STARTUP_TIMEOUT = 60.0


@contextmanager
def live_app(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` on ``127.0.0.1``; yields ``http://127.0.0.1:PORT``."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host=LOOPBACK, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {LOOPBACK}:{port}")
            time.sleep(0.05)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
