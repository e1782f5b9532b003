"""Run apps as a server would: their lifespans started before, and ended after, the test.

An app runs once at a time: :func:`serving` inside a test whose fixture already started the
app (with :func:`start`) leaves it running, as a second client of a live server would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


def is_running(app: FastAPI) -> bool:
    return getattr(app.state, "test_lifespan", None) is not None


async def start(app: FastAPI) -> FastAPI:
    """Start ``app``'s lifespan (for fixtures that yield it); :func:`stop` ends it."""
    if not is_running(app):
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        app.state.test_lifespan = lifespan
    return app


async def stop(app: FastAPI) -> None:
    if is_running(app):
        lifespan, app.state.test_lifespan = app.state.test_lifespan, None
        await lifespan.__aexit__(None, None, None)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[FastAPI]:
    """``app`` running for the block: started here unless it already runs."""
    if is_running(app):
        yield app
        return
    await start(app)
    try:
        yield app
    finally:
        await stop(app)
