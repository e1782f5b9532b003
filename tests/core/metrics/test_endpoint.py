"""GET /metrics: negotiation, gzip, bearer token, scrape-time refresh, off-loop rendering."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from app.core.config import SettingsError, load_settings
from app.core.metrics import catalog, endpoint, refresh
from app.people.models import Person, PersonKind
from app.schedules.file_format import ShiftKind
from app.schedules.models import Shift
from app.swaps.events import SwapState
from app.swaps.models import SwapRequest
from tests.support.api import build_app, client_for
from tests.support.metrics import parse, scrape, value

TOKEN = "s3cr3t-metrics-token-0123456789"


async def test_plain_text_by_default(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# EOF" not in response.text
    assert "_created" not in response.text  # disabled: doubles the series, Prometheus ignores it


async def test_openmetrics_when_the_scraper_asks(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    prometheus_accept = (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    )
    async with client_for(app) as client:
        response = await client.get("/metrics", headers={"Accept": prometheus_accept})
    assert response.headers["content-type"].startswith(
        "application/openmetrics-text; version=1.0.0"
    )
    assert response.text.endswith("# EOF\n")
    assert "# UNIT http_request_duration_seconds seconds" in response.text


async def test_gzip_when_accepted(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        zipped = await client.get("/metrics", headers={"Accept-Encoding": "gzip"})
        identity = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(zipped.content) / 3  # decoded by httpx
    assert "content-encoding" not in identity.headers
    assert parse(zipped.text).keys() == parse(identity.text).keys()


async def test_bearer_token_guards_the_scrape(tmp_path: Path) -> None:
    app = await build_app(tmp_path, metrics_token=TOKEN)
    async with client_for(app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        lower = await client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
        health = await client.get("/health")  # only /metrics is guarded
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert catalog.HTTP_REQUESTS.name not in refused.text
    assert right.status_code == 200 and lower.status_code == 200
    assert catalog.HTTP_REQUESTS.name in right.text
    assert health.status_code == 200


@pytest.mark.parametrize("token", ["short", "has spaces in it 123456", "ünïcode-token-123456789"])
def test_a_bad_metrics_token_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", token)
    with pytest.raises(SettingsError, match=r"^invalid configuration: METRICS_TOKEN: must be"):
        load_settings()


async def test_rendering_runs_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await build_app(tmp_path)
    threads: list[int] = []
    real_render = endpoint.render

    def spy(*args: object) -> tuple[bytes, dict[str, str]]:
        threads.append(threading.get_ident())
        return real_render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(endpoint, "render", spy)
    async with client_for(app) as client:
        await scrape(client)
    assert threads and threads[0] != threading.get_ident()


class FakeActiveUsers:
    def __init__(self, count: int | Exception) -> None:
        self._count = count

    async def count(self) -> int:
        if isinstance(self._count, Exception):
            raise self._count
        return self._count


async def test_active_users_are_read_at_scrape_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await build_app(tmp_path)
    monkeypatch.setattr(app.state.services.active_users, "count", FakeActiveUsers(7).count)
    async with client_for(app) as client:
        assert value(await scrape(client), catalog.ACTIVE_USERS.name) == 7
        monkeypatch.setattr(app.state.services.active_users, "count", FakeActiveUsers(3).count)
        assert value(await scrape(client), catalog.ACTIVE_USERS.name) == 3


async def test_a_failing_refresh_is_counted_and_the_scrape_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await build_app(tmp_path)
    monkeypatch.setattr(app.state.services.active_users, "count", FakeActiveUsers(5).count)
    async with client_for(app) as client:
        await scrape(client)
        monkeypatch.setattr(
            app.state.services.active_users,
            "count",
            FakeActiveUsers(RuntimeError("redis down")).count,
        )
        samples = await scrape(client)
    assert value(samples, catalog.ACTIVE_USERS.name) == 5  # keeps the last good value
    assert value(samples, catalog.REFRESH_FAILURES.name, hook="active_users") == 1
    assert value(samples, catalog.REFRESH_FAILURES.name, hook="pending_swaps") == 0


async def test_a_slow_refresh_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh, "HOOK_TIMEOUT", 0.05)
    app = await build_app(tmp_path)

    class Slow:
        async def count(self) -> int:
            import asyncio

            await asyncio.sleep(5)
            return 1

    monkeypatch.setattr(app.state.services.active_users, "count", Slow().count)
    async with client_for(app) as client:
        samples = await scrape(client)
    assert value(samples, catalog.REFRESH_FAILURES.name, hook="active_users") == 1


async def test_pending_swaps_are_counted_from_the_database(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with app.state.services.database.session() as session:
        people = [Person(code=f"r{i}", kind=PersonKind.RESIDENT, pgy=1) for i in (1, 2)]
        session.add_all(people)
        await session.flush()
        shift = Shift(
            person_id=people[0].id,
            start_at=datetime(2026, 7, 1, 7),
            end_at=datetime(2026, 7, 1, 19),
            kind=ShiftKind.DAY,
        )
        session.add(shift)
        await session.flush()
        for state in (SwapState.PENDING, SwapState.ACCEPTED, SwapState.EXECUTED):
            session.add(
                SwapRequest(
                    requester_id=people[0].id,
                    counterpart_id=people[1].id,
                    shift_id=shift.id,
                    state=state,
                )
            )
    async with client_for(app) as client:
        samples = await scrape(client)
    assert value(samples, catalog.SWAPS_PENDING.name) == 2


async def test_metrics_can_be_switched_off(tmp_path: Path) -> None:
    app = await build_app(tmp_path, metrics_enabled=False)
    assert app.state.telemetry.metrics is None
    async with client_for(app) as client:
        assert (await client.get("/metrics")).status_code == 404
