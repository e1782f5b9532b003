"""Large JSON bodies: decoded and walked in worker threads, without GC pauses meanwhile."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Body, Depends, FastAPI

import app.api.json_bodies as json_bodies
import app.api.validation as validation
from app.api.json_bodies import OFFLOAD_BYTES, OffloadedJSONRoute, in_thread
from app.api.validation import refuse_unstorable_text


@pytest.fixture
def threads_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Which thread decoded a body and which walked it for unstorable text."""
    seen: dict[str, str] = {}
    decode, walk = json_bodies.json.loads, validation._unstorable_path

    class Json:
        @staticmethod
        def loads(body: bytes) -> Any:
            seen["decode"] = threading.current_thread().name
            return decode(body)

    def walked(document: Any) -> Any:
        seen["walk"] = threading.current_thread().name
        return walk(document)

    monkeypatch.setattr(json_bodies, "json", Json)
    monkeypatch.setattr(validation, "_unstorable_path", walked)
    yield seen


def _app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(refuse_unstorable_text)])
    router = APIRouter()

    async def upload(body: dict[str, Any] = Body()) -> dict[str, int]:
        return {"keys": len(body)}

    router.add_api_route(
        "/upload", upload, methods=["POST"], route_class_override=OffloadedJSONRoute
    )

    @router.post("/plain")
    async def plain(body: dict[str, Any] = Body()) -> dict[str, int]:
        return {"keys": len(body)}

    app.include_router(router)
    return app


async def _post(path: str, body: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, json=body)


async def test_an_offloaded_route_decodes_and_walks_a_large_body_in_a_worker_thread(
    threads_seen: dict[str, str],
) -> None:
    large = {f"k{i}": "x" * 100 for i in range(OFFLOAD_BYTES // 100)}
    response = await _post("/upload", large)
    assert response.json() == {"keys": len(large)}
    main = threading.main_thread().name
    assert threads_seen["decode"] != main
    assert threads_seen["walk"] != main


async def test_a_small_body_is_walked_on_the_loop(threads_seen: dict[str, str]) -> None:
    response = await _post("/plain", {"a": "b"})
    assert response.json() == {"keys": 1}
    assert threads_seen["walk"] == threading.main_thread().name
    assert "decode" not in threads_seen  # an ordinary route: Starlette's own decoding


async def test_unstorable_text_in_a_large_body_is_still_refused(
    threads_seen: dict[str, str],
) -> None:
    large = {f"k{i}": "x" * 100 for i in range(OFFLOAD_BYTES // 100)}
    large["k7"] = "nul\x00"
    response = await _post("/upload", large)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "k7"]


async def test_in_thread_pauses_the_collector_and_resumes_it() -> None:
    assert gc.isenabled()
    during = await in_thread(gc.isenabled)
    assert during is False
    assert gc.isenabled()


async def test_in_thread_leaves_a_collector_paused_by_someone_else_paused() -> None:
    gc.disable()
    try:
        await in_thread(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_in_thread_resumes_the_collector_when_the_call_fails() -> None:
    def fail() -> None:
        raise ValueError("bad file")

    with pytest.raises(ValueError, match="bad file"):
        await in_thread(fail)
    assert gc.isenabled()
