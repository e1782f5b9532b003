"""Who the client is and which Host names are served, decided by the app itself.

Both are installed by ``create_app`` from the settings, so they hold the same under uvicorn,
gunicorn and the tests (``serve`` tells neither server to trust forwarded headers on its own):

- ``TRUSTED_PROXIES``: only a connection from one of these addresses may set the client address
  and scheme with ``X-Forwarded-For`` / ``X-Forwarded-Proto`` (uvicorn's ProxyHeadersMiddleware).
  Empty (the default): the client is the connection's peer, whatever the headers say; this is
  the address the per-IP sign-in rate limit and lockout count.
- ``TRUSTED_HOSTS``: a request whose ``Host`` matches none of them gets 400 before any route
  runs, so no response (a redirect's ``Location`` included) is built from a Host an attacker
  chose. ``/health``, ``/ready`` and ``/metrics`` answer whatever the Host: probes and scrapers
  address a replica by its IP, and these build nothing from it.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.config import Settings
from app.core.request_telemetry import METRICS_PATH

ANY_HOST_PATHS = frozenset({"/health", "/ready", METRICS_PATH})


class HostCheck:
    """Starlette's TrustedHostMiddleware (400 for an unknown Host, no www redirect), except
    on the probe and scrape paths."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ANY_HOST_PATHS:
            await self.app(scope, receive, send)
            return
        await self.checked(scope, receive, send)


def install_proxies_and_hosts(app: FastAPI, settings: Settings) -> None:
    """Add the Host check and, when TRUSTED_PROXIES is set, the forwarded-header handling.
    Both sit inside the request telemetry layer, which therefore logs and counts their 400s."""
    hosts = settings.trusted_host_list
    if hosts != ["*"]:
        app.add_middleware(HostCheck, allowed_hosts=hosts)
    if proxies := settings.trusted_proxy_list:
        # Never uvicorn's default (127.0.0.1): only the configured proxies are believed.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
