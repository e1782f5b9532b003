"""Large JSON request bodies decoded off the event loop.

Decoding a schedule file near ``MAX_IMPORT_BYTES`` takes tens of milliseconds of CPU, checking
it seconds; on the event loop that stalls every other request of the process, ``/health``
included. Routes that take whole files are registered with :class:`OffloadedJSONRoute`: FastAPI
reads the body as usual (capped by the body-limit layer first), but ``json.loads`` runs in a
worker thread, and the decoded document is cached on the request for everything after it
(the unstorable-text guard, the body parameter). What the endpoint does with the document is
its own business: it hands its CPU-heavy part to :func:`in_thread` too, which also keeps the
garbage collector's full passes (that hold the GIL) from stalling the loop meanwhile.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")

OFFLOAD_BYTES = 64 * 1024
"""Bodies at least this long are walked in a worker thread by the guards that walk them; a
smaller one costs less on the event loop than the hop to a thread."""

_gc_switch = threading.Lock()


def _without_gc_pauses(call: Callable[[], T]) -> T:
    """``call()`` with the cyclic garbage collector paused, unless another caller paused it
    already (then it resumes when that one ends: never off for longer than one call). Building
    a whole file's objects triggers full collections, each walking every object in the process
    with the GIL held: 0.3 to 0.8 s stalls of the event loop for a 10 MB file, even from a
    worker thread. Those objects hold no cycles; reference counting frees them all the same."""
    with _gc_switch:
        paused_here = gc.isenabled()
        if paused_here:
            gc.disable()
    try:
        return call()
    finally:
        if paused_here:
            gc.enable()


async def in_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``func(*args, **kwargs)`` in one of Starlette's worker threads (context variables such as
    the current span and the request id go with it), without garbage-collector pauses."""

    def call() -> T:
        return func(*args, **kwargs)

    return await run_in_threadpool(_without_gc_pauses, call)


class ThreadedJSONRequest(Request):
    """A request whose ``json()`` decodes in a worker thread (once; cached as Starlette does)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = await run_in_threadpool(json.loads, body)
        return self._json


class OffloadedJSONRoute(APIRoute):
    """An API route whose JSON body is decoded off the event loop (FastAPI's documented custom
    route class hook: the same handler, given a :class:`ThreadedJSONRequest`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def offloaded(request: Request) -> Response:
            return await handler(ThreadedJSONRequest(request.scope, request.receive))

        return offloaded
